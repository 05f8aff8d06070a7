"""What the CLI shows while a program deploys: a live table per resource, then a summary.

`ProgressDisplay` is a listener for `cloudforge.events`: on a terminal it redraws a rich table
(resource, type, operation, status, elapsed time); anywhere else (CI, pipes) it prints one plain
line per step, without ANSI codes, in the terraform manner ("x: Creating...").
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, TextIO

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.live import Live

    # What the display reads of an event and of a change: for the type checker only (creating
    # a Protocol class costs a start, and nothing checks against one at run time).
    class Event(Protocol):
        """The fields of `cloudforge.events.ResourceEvent` the display reads."""

        @property
        def logical_id(self) -> str: ...
        @property
        def type_name(self) -> str: ...
        @property
        def action(self) -> str: ...
        @property
        def status(self) -> str: ...
        @property
        def elapsed(self) -> float: ...
        @property
        def detail(self) -> str | None: ...
        @property
        def diff(self) -> Sequence[Change]: ...
        @property
        def order(self) -> str: ...

    class Change(Protocol):
        """The fields of `cloudforge.engine.plan.PropertyChange` the display reads."""

        @property
        def path(self) -> str: ...
        @property
        def before(self) -> Any: ...
        @property
        def after(self) -> Any: ...


# Plan symbols as terraform prints them, so a plan reads the same way.
SYMBOLS = {
    "create": "+",
    "update": "~",
    "replace": "-/+",
    "delete": "-",
    "adopt": "<=+",
    "read": "<=",
    "noop": " ",
}
# The verb in progress lines ("Creating...") and in the completion line ("Creation complete").
PROGRESS = {
    "create": ("Creating", "Creation"),
    "update": ("Modifying", "Modifications"),
    "replace": ("Replacing", "Replacement"),
    "delete": ("Destroying", "Destruction"),
    "adopt": ("Adopting", "Adoption"),
    "read": ("Refreshing", "Refresh"),
    "noop": ("Checking", "Check"),
}
# Past tense for the summary line, in the order it lists them.
DONE = {
    "create": "created",
    "adopt": "adopted",
    "update": "updated",
    "replace": "replaced",
    "delete": "deleted",
    "read": "read",
}
STYLES = {
    "planned": "cyan",
    "interrupted": "magenta",
    "started": "yellow",
    "polling": "yellow",
    "succeeded": "green",
    "failed": "bold red",
    "skipped": "dim",
}
FINAL = ("succeeded", "failed", "skipped", "interrupted")


@dataclass
class Row:
    """One resource's line in the progress display: its latest action and status."""

    logical_id: str
    type_name: str
    action: str
    status: str
    elapsed: float
    detail: str | None
    # Local clock when the row last changed, so a running step's time keeps ticking on screen.
    seen_at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class Outcome:
    """What the run did or plans to do, counted from the events."""

    phase: str
    done: Counter[str]
    planned: Counter[str]
    failed: list[str]
    unchanged: int
    skipped: int = 0
    # Requests in flight when the run was interrupted: journaled, so the next run resumes them.
    interrupted: list[str] = field(default_factory=list)

    @property
    def pending_changes(self) -> bool:
        """True when a plan has something to create, change or delete."""
        return any(n for action, n in self.planned.items() if action not in ("noop", "read"))


class ProgressDisplay:
    """A `cloudforge.events` listener that renders progress on `console`.

    Use it as a context manager around the run; call it with each event.
    """

    def __init__(self, phase: str, console: Console | PlainConsole | None = None) -> None:
        self.phase = phase
        self.console = console or default_console()
        self.rows: dict[str, Row] = {}
        self.started_at = time.monotonic()
        self._lock = threading.Lock()
        self._live: Live | None = None

    @property
    def live(self) -> bool:
        # A plan happens at once and is read as a list (as terraform prints it): lines even on a
        # terminal. The live table is for deploys, where steps take time.
        return self.console.is_terminal and self.phase != "plan"

    def __enter__(self) -> ProgressDisplay:
        if self.live:
            from rich.live import Live  # a terminal's live table only

            assert not isinstance(self.console, PlainConsole)  # `live` says it is a terminal

            self._live = Live(
                get_renderable=self.render, console=self.console, refresh_per_second=8,
                transient=False,
            )
            self._live.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def __call__(self, event: Event) -> None:
        with self._lock:
            row = self.rows.get(event.logical_id)
            # A step reported twice (e.g. "adopt started" before and after the lookup) is one line.
            repeated = row is not None and (row.action, row.status) == (event.action, event.status)
            if row is None:
                row = Row(event.logical_id, event.type_name, event.action, event.status,
                          event.elapsed, event.detail)
                self.rows[event.logical_id] = row
            else:
                row.type_name, row.action, row.status = event.type_name, event.action, event.status
                row.elapsed, row.seen_at = event.elapsed, time.monotonic()
                row.detail = event.detail or row.detail
        if not self.live and not repeated:
            line = plain_line(event)
            if line:
                self.console.file.write(line + "\n")
                self.console.file.flush()

    def render(self) -> RenderableType:
        """The live table: resources that are not unchanged, in the order first seen.

        When they do not fit the terminal, running and failed ones are kept and the oldest
        finished ones left out (counted in the caption), so a thousand resources stay readable.
        """
        from rich.table import Table  # only a terminal's live view draws one
        from rich.text import Text

        table = Table(box=None, pad_edge=False, show_edge=False)
        for column in ("resource", "type", "operation", "status", "time"):
            table.add_column(column, no_wrap=column != "status")
        now = time.monotonic()
        with self._lock:
            rows = list(self.rows.values())
        changing = [r for r in rows if r.action != "noop"]
        console = self.console
        # Rendered for a plain console only by tests and tools: no terminal height to keep to.
        limit = len(changing) if isinstance(console, PlainConsole) else max(5, console.size.height - 4)
        shown = fit(changing, limit)
        for row in shown:
            elapsed = row.elapsed
            if row.status in ("started", "polling"):
                elapsed += now - row.seen_at
            status = Text(row.status, style=STYLES.get(row.status, ""))
            if row.detail and row.status in ("failed", "planned"):
                status.append(f"  {row.detail}", style="dim")
            table.add_row(row.logical_id, row.type_name, f"{SYMBOLS.get(row.action, '')} {row.action}",
                          status, f"{elapsed:.1f}s")
        notes = []
        if len(shown) < len(changing):
            notes.append(f"{len(changing) - len(shown)} finished not shown")
        if unchanged := len(rows) - len(changing):
            notes.append(f"{unchanged} unchanged")
        if notes:
            table.caption = ", ".join(notes)
        return table

    def outcome(self) -> Outcome:
        with self._lock:
            rows = list(self.rows.values())
        done: Counter[str] = Counter()
        planned: Counter[str] = Counter()
        failed = [r.logical_id for r in rows if r.status == "failed"]
        for row in rows:
            if row.status == "succeeded":
                done[row.action] += 1
            elif row.status == "planned":
                planned[row.action] += 1
        unchanged = done.pop("noop", 0) + planned.get("noop", 0)
        skipped = sum(1 for r in rows if r.status == "skipped")
        interrupted = [r.logical_id for r in rows if r.status == "interrupted"]
        return Outcome(self.phase, done, planned, failed, unchanged, skipped, interrupted)

    def summary(self, *, error: bool = False, interrupted: bool = False) -> str:
        """The closing line; `error`: the run ended in an error, `interrupted`: by Ctrl-C."""
        return summary_line(
            self.outcome(), time.monotonic() - self.started_at, error=error, interrupted=interrupted
        )


def fit(rows: list[Row], limit: int) -> list[Row]:
    """At most `limit` rows in their order: all running and failed ones first, then the newest others."""
    if len(rows) <= limit:
        return rows
    must = [r for r in rows if r.status not in FINAL or r.status == "failed"]
    rest = [r for r in rows if not (r.status not in FINAL or r.status == "failed")]
    room = max(0, limit - len(must))
    keep = {id(r) for r in must[:limit]} | {id(r) for r in (rest[-room:] if room else [])}
    return [r for r in rows if id(r) in keep]


def plain_line(event: Event) -> str | None:
    """One line of plain output for an event, or None for events not worth a line (polling, no-op)."""
    if event.action == "noop" or event.status == "polling":
        return None
    name = f"{event.logical_id} ({event.type_name})"
    doing, done = PROGRESS.get(event.action, (event.action, event.action))
    detail = f": {event.detail}" if event.detail else ""
    if event.status == "planned":
        symbol = SYMBOLS.get(event.action, "?")
        if event.action == "replace":
            # As terraform marks them: -/+ destroy then create, +/- create then destroy.
            symbol = "-/+" if event.order == "delete_then_create" else "+/-"
        head = f"  {symbol:>3} {name} will be {DONE.get(event.action, event.action)}{detail}"
        return "\n".join([head, *(diff_line(change) for change in event.diff)])
    if event.status == "started":
        return f"{name}: {doing}..." + (f" ({event.detail})" if event.detail else "")
    if event.status == "succeeded":
        return f"{name}: {done} complete after {event.elapsed:.1f}s"
    if event.status == "failed":
        return f"{name}: {done} failed after {event.elapsed:.1f}s{detail}"
    if event.status == "interrupted":
        return (
            f"{name}: {doing} interrupted after {event.elapsed:.1f}s: the request was recorded "
            "and the next run resumes it"
        )
    if event.status == "skipped":
        return f"{name}: {event.action} skipped{detail}"
    return f"{name}: {event.action} {event.status}{detail}"


def diff_line(change: Change, width: int = 72) -> str:
    """One property of a planned change, terraform style: `~ /Description: "a" -> "b"`."""

    def show(value: Any) -> str:
        text = json.dumps(value, sort_keys=True, default=str)
        return text if len(text) <= width else text[: width - 3] + "..."

    if change.before is None:
        return f"        + {change.path}: {show(change.after)}"
    if change.after is None:
        return f"        - {change.path}: {show(change.before)}"
    return f"        ~ {change.path}: {show(change.before)} -> {show(change.after)}"


def summary_line(
    outcome: Outcome, seconds: float, *, error: bool = False, interrupted: bool = False
) -> str:
    """The closing line, terraform style, derived from what happened: what was done (or would
    be), what failed, and whether the run completed, failed (any error) or was interrupted."""
    unchanged = [f"{outcome.unchanged} unchanged"] if outcome.unchanged else []
    if outcome.phase == "plan":
        parts = [f"{n} to {a}" for a in ("create", "adopt", "update", "replace", "delete")
                 if (n := outcome.planned.get(a, 0))]
        if interrupted or error:
            # A plan cut short predicts nothing: say so rather than count what it got to.
            text = f"Plan {'interrupted' if interrupted else 'failed'}: no complete plan."
        elif parts:
            text = f"Plan: {', '.join(parts + unchanged)}."
        else:
            text = f"No changes: {outcome.unchanged} unchanged." if unchanged else "No changes: no resources."
        return text
    label = "Destroy" if outcome.phase == "destroy" else "Apply"
    if interrupted:
        verdict = "interrupted"
    elif error or outcome.failed:
        verdict = "failed"
    else:
        verdict = "complete"
    parts = [f"{n} {word}" for a, word in DONE.items() if (n := outcome.done.get(a, 0))]
    if outcome.failed:
        parts.append(f"{len(outcome.failed)} failed ({', '.join(outcome.failed)})")
    parts += unchanged + ([f"{outcome.skipped} skipped"] if outcome.skipped else [])
    empty = "nothing to do" if verdict == "complete" else "nothing changed"
    text = f"{label} {verdict}: {', '.join(parts) or empty} ({seconds:.1f}s)."
    if interrupted:
        count = len(outcome.interrupted)
        text += (
            f" {count} request{'s' if count != 1 else ''} in flight "
            f"{'were' if count != 1 else 'was'} recorded and will be resumed by the next run."
        )
    return text


class PlainConsole:
    """What the CLI needs of a console where no terminal is: text written as it is.

    Pipes, CI logs and tests get this instead of rich's Console, so a no-op `cloudforge plan`
    never imports rich (about 30 ms of a start that should cost less than `import boto3`).
    A plain class, not a dataclass: creating one costs a start about 1 ms.
    """

    is_terminal = False

    def __init__(self, file: TextIO | None = None) -> None:
        self.file = file if file is not None else sys.stdout

    def print(self, *objects: object, end: str = "\n", **_: object) -> None:
        self.file.write(" ".join(str(o) for o in objects) + end)
        self.file.flush()


def default_console(*, stderr: bool = False) -> Console | PlainConsole:
    """rich's Console on a terminal (or when FORCE_COLOR/TTY_INTERACTIVE asks rich for one)."""
    stream = sys.stderr if stderr else sys.stdout
    wanted = any(os.environ.get(name) for name in ("FORCE_COLOR", "TTY_INTERACTIVE"))
    if not (wanted or stream.isatty()):
        return PlainConsole(stream)
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True) if stderr else Console()


def plain_console(file: TextIO | None = None) -> PlainConsole:
    """A console that never writes ANSI codes (for CI logs, pipes and tests)."""
    return PlainConsole(file or sys.stdout)
