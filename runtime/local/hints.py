"""How a request's progress is reported: when its status can change, and what `RetryAfter` says.

- `step:S` (the default, S = 0.5 s): the resource handler runs at submission and is re-invoked
  every S seconds, as CloudFormation's resource handlers are (they return IN_PROGRESS with a
  callback delay and report progress only when called again). A request's status can change
  only at an invocation, so one that needs L seconds ends at the first invocation at or after L;
  `RetryAfter` is the next invocation. This is the closest assumption to what Cloud Control
  reports: its RetryAfter is when the handler is next called, not when the work will be done.
- `exact`: the status changes when the latency has passed and `RetryAfter` is that moment: the
  completion time leaks to the client (the emulator's old behaviour; a flattering mirror).
- `none`: no `RetryAfter` at all; the status changes when the latency has passed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MODES = ("exact", "step", "none")
DEFAULT_STEP = 0.5


@dataclass(frozen=True)
class RetryAfter:
    mode: str = "step"
    step: float = DEFAULT_STEP

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"retry-after mode must be exact, step:SECONDS or none, not {self.mode!r}")
        if self.mode == "step" and not (self.step > 0 and math.isfinite(self.step)):
            raise ValueError(f"the step of step:S must be a positive number of seconds, not {self.step}")

    @classmethod
    def parse(cls, text: str | RetryAfter) -> RetryAfter:
        """`exact`, `none`, `step` or `step:S` (seconds)."""
        if isinstance(text, RetryAfter):
            return text
        mode, _, step = text.strip().partition(":")
        if mode == "step":
            try:
                return cls("step", float(step) if step else DEFAULT_STEP)
            except ValueError:
                raise ValueError(f"step:S needs S in seconds (step:2), not {text!r}") from None
        if step:
            raise ValueError(f"retry-after mode {mode!r} takes no value (got {text!r})")
        return cls(mode)

    def __str__(self) -> str:
        return f"step:{self.step:g}" if self.mode == "step" else self.mode

    def due(self, start: float, latency: float) -> float:
        """When a request that needs `latency` seconds reports its end."""
        if self.mode != "step" or latency <= 0:
            return start + max(latency, 0.0)
        # A tiny tolerance, so that 4.0 / 2.0 computed in floats is two invocations, not three.
        return start + math.ceil(latency / self.step - 1e-9) * self.step

    def hint(self, start: float, due: float, now: float) -> float | None:
        """The RetryAfter of a request in progress (epoch seconds), or None for no hint."""
        if self.mode == "none":
            return None
        if self.mode == "exact":
            return max(due, now)
        invocations = math.floor((now - start) / self.step + 1e-9) + 1
        return min(due, start + invocations * self.step) if due > now else now
