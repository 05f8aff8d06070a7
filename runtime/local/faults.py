"""Fault injection: latency, API throttling, handler failures and HTTP 5xx, per server or per type.

Every random choice draws from one `random.Random(seed)`, so a test that sets a seed sees the same
faults in the same order on every run. Rules are plain dataclasses; `Faults` holds them.

    cloud.faults.latency = 0.05                          # every request takes 50 ms
    cloud.faults.set_latency(Latency(uniform=(0.1, 0.5)), type_name="AWS::S3::Bucket")
    cloud.faults.throttle(first=2)                       # the next 2 API calls: ThrottlingException
    cloud.faults.fail_handler("NotStabilized", probability=0.1, type_name="AWS::S3::Bucket")
    cloud.faults.http_error(503, first=1)
    cloud.faults.hold() ... cloud.faults.release()       # requests stay IN_PROGRESS in between
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field


@dataclass
class Latency:
    """How long a request stays IN_PROGRESS: fixed seconds, or uniform / exponential draws."""

    fixed: float = 0.0
    uniform: tuple[float, float] | None = None
    exponential_mean: float | None = None

    def draw(self, rng: random.Random) -> float:
        if self.uniform is not None:
            return rng.uniform(*self.uniform)
        if self.exponential_mean is not None:
            return rng.expovariate(1.0 / self.exponential_mean) if self.exponential_mean > 0 else 0.0
        return self.fixed


@dataclass
class Rule:
    """Fires for the first `first` matching events, then with `probability` (0 = never)."""

    first: int = 0
    probability: float = 0.0
    type_name: str | None = None
    operations: frozenset[str] = frozenset()  # empty: every operation
    fired: int = 0

    def applies(self, operation: str, type_name: str | None) -> bool:
        if self.type_name is not None and type_name != self.type_name:
            return False
        return not self.operations or operation in self.operations

    def fires(self, rng: random.Random) -> bool:
        if self.fired < self.first:
            self.fired += 1
            return True
        if self.probability > 0 and rng.random() < self.probability:
            self.fired += 1
            return True
        return False


@dataclass
class HandlerFailureRule(Rule):
    error_code: str = "InternalFailure"
    message: str = "Injected handler failure"


@dataclass
class HttpErrorRule(Rule):
    status: int = 500


@dataclass
class Faults:
    """The server's fault configuration; safe to change while it serves."""

    latency: float | Latency = 0.0
    seed: int | None = None
    type_latency: dict[str, float | Latency] = field(default_factory=dict)
    throttles: list[Rule] = field(default_factory=list)
    handler_failures: list[HandlerFailureRule] = field(default_factory=list)
    http_errors: list[HttpErrorRule] = field(default_factory=list)
    holding: bool = False  # while True no request ends, whatever its latency

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self._lock = threading.Lock()

    def reseed(self, seed: int | None) -> None:
        with self._lock:
            self.seed = seed
            self.rng = random.Random(seed)

    def clear(self) -> None:
        """Remove every rule and per-type latency (the server-wide latency stays)."""
        with self._lock:
            self.type_latency.clear()
            self.throttles.clear()
            self.handler_failures.clear()
            self.http_errors.clear()
            self.holding = False

    def set_latency(self, latency: float | Latency, *, type_name: str | None = None) -> None:
        with self._lock:
            if type_name is None:
                self.latency = latency
            else:
                self.type_latency[type_name] = latency

    def hold(self) -> None:
        """Keep every request IN_PROGRESS until `release()`, however long its latency.

        What a test needs to show that requests overlap (all N sent before any ends) without
        depending on how fast the machine sends them.
        """
        with self._lock:
            self.holding = True

    def release(self) -> None:
        """Let held requests end: each whose latency has passed ends at the next call."""
        with self._lock:
            self.holding = False

    def throttle(self, *, first: int = 0, probability: float = 0.0, type_name: str | None = None,
                 operations: tuple[str, ...] = ()) -> Rule:
        """Answer API calls (operation names such as "CreateResource") with ThrottlingException."""
        rule = Rule(first=first, probability=probability, type_name=type_name, operations=frozenset(operations))
        with self._lock:
            self.throttles.append(rule)
        return rule

    def fail_handler(self, error_code: str = "InternalFailure", *, first: int = 0, probability: float = 0.0,
                     type_name: str | None = None, operations: tuple[str, ...] = (),
                     message: str | None = None) -> HandlerFailureRule:
        """End requests (operations "CREATE", "UPDATE", "DELETE") FAILED with `error_code`."""
        rule = HandlerFailureRule(
            first=first, probability=probability, type_name=type_name, operations=frozenset(operations),
            error_code=error_code, message=message or f"Injected handler failure ({error_code})",
        )
        with self._lock:
            self.handler_failures.append(rule)
        return rule

    def http_error(self, status: int = 500, *, first: int = 0, probability: float = 0.0,
                   type_name: str | None = None, operations: tuple[str, ...] = ()) -> HttpErrorRule:
        """Answer API calls with an HTTP 5xx (`InternalFailure` / `ServiceUnavailable`)."""
        rule = HttpErrorRule(first=first, probability=probability, type_name=type_name,
                             operations=frozenset(operations), status=status)
        with self._lock:
            self.http_errors.append(rule)
        return rule

    # What the server asks, per request.

    def draw_latency(self, type_name: str) -> float:
        with self._lock:
            spec = self.type_latency.get(type_name, self.latency)
            return spec.draw(self.rng) if isinstance(spec, Latency) else float(spec)

    def _first_firing(self, rules: list[Rule], operation: str, type_name: str | None) -> Rule | None:
        with self._lock:
            for rule in rules:
                if rule.applies(operation, type_name) and rule.fires(self.rng):
                    return rule
        return None

    def throttled(self, operation: str, type_name: str | None) -> bool:
        return self._first_firing(self.throttles, operation, type_name) is not None

    def http_failure(self, operation: str, type_name: str | None) -> int | None:
        rule = self._first_firing(list(self.http_errors), operation, type_name)
        return rule.status if isinstance(rule, HttpErrorRule) else None

    def handler_failure(self, operation: str, type_name: str) -> HandlerFailureRule | None:
        rule = self._first_firing(list(self.handler_failures), operation, type_name)
        return rule if isinstance(rule, HandlerFailureRule) else None
