"""The progress display the CLI attaches to a run: plain lines off a terminal, counts, summary.

Fed with `cloudforge.events.ResourceEvent`s directly; the terminal rendering is exercised through
a pseudo-terminal in test_cli_deploy.py.
"""

from __future__ import annotations

import io

from cloudforge.cli.display import ProgressDisplay, plain_console
from cloudforge.events import ResourceEvent
from rich.console import Console

TYPE = "AWS::Connect::SecurityProfile"


def feed(phase: str, *events: tuple[str, str, str]) -> tuple[ProgressDisplay, str]:
    out = io.StringIO()
    display = ProgressDisplay(phase, plain_console(out))
    with display:
        for logical_id, action, status in events:
            display(ResourceEvent(logical_id, TYPE, action, status, 1.25, ""))  # type: ignore[arg-type]
    return display, out.getvalue()


def test_off_a_terminal_each_step_is_one_plain_line() -> None:
    display, out = feed(
        "up",
        ("a", "create", "started"), ("a", "create", "polling"), ("a", "create", "polling"),
        ("a", "create", "succeeded"),
        ("b", "adopt", "started"), ("b", "adopt", "started"), ("b", "adopt", "succeeded"),
        ("c", "noop", "succeeded"),
    )

    assert out.splitlines() == [
        f"a ({TYPE}): Creating...",
        f"a ({TYPE}): Creation complete after 1.2s",
        f"b ({TYPE}): Adopting...",
        f"b ({TYPE}): Adoption complete after 1.2s",
    ]
    assert "\x1b[" not in out
    assert display.summary().startswith("Apply complete: 1 created, 1 adopted, 1 unchanged (")


def test_a_failed_resource_is_named_in_the_summary() -> None:
    display, out = feed("up", ("a", "update", "started"), ("a", "update", "failed"),
                        ("b", "delete", "skipped"))

    assert f"a ({TYPE}): Modifications failed after 1.2s" in out
    summary = display.summary()
    assert summary.startswith("Apply failed: 1 failed (a), 1 skipped (")
    assert display.outcome().failed == ["a"]


def test_a_plan_counts_what_would_change() -> None:
    display, out = feed("plan", ("a", "create", "planned"), ("b", "update", "planned"),
                        ("c", "noop", "planned"), ("d", "delete", "planned"))

    assert f"    ~ b ({TYPE}) will be updated" in out.splitlines()
    assert display.summary() == "Plan: 1 to create, 1 to update, 1 to delete, 1 unchanged."
    assert display.outcome().pending_changes


def test_a_plan_without_changes_says_so() -> None:
    display, _ = feed("plan", ("a", "noop", "planned"), ("b", "noop", "planned"))

    assert display.summary() == "No changes: 2 unchanged."
    assert not display.outcome().pending_changes


def test_destroy_summary_counts_deletes() -> None:
    display, _ = feed("destroy", ("a", "delete", "started"), ("a", "delete", "succeeded"))

    assert display.summary().startswith("Destroy complete: 1 deleted (")


def test_the_live_table_lists_changing_resources_and_counts_the_rest() -> None:
    display = ProgressDisplay("up", plain_console(io.StringIO()))
    display(ResourceEvent("a", TYPE, "create", "started", 0.5))
    display(ResourceEvent("b", TYPE, "noop", "succeeded"))

    out = io.StringIO()
    Console(file=out, width=120, no_color=True).print(display.render())

    text = out.getvalue()
    assert "a" in text and "+ create" in text and "started" in text
    assert " b " not in text
    assert "1 unchanged" in text


def test_a_long_run_keeps_running_and_failed_rows_and_counts_the_rest() -> None:
    display = ProgressDisplay("up", Console(file=io.StringIO(), width=120, height=14))
    for i in range(40):
        display(ResourceEvent(f"done{i}", TYPE, "create", "succeeded", 1.0))
    display(ResourceEvent("broken", TYPE, "update", "failed", 1.0, "boom"))
    display(ResourceEvent("running", TYPE, "create", "polling", 1.0))

    out = io.StringIO()
    Console(file=out, width=120, no_color=True).print(display.render())

    text = out.getvalue()
    assert "broken" in text and "running" in text
    assert "done39" in text and "done0 " not in text
    shown = sum(1 for line in text.splitlines() if line.startswith("done"))
    assert f"{40 - shown} finished not shown" in text
    assert len(text.splitlines()) <= 14


def test_a_plan_is_printed_as_lines_even_on_a_terminal() -> None:
    out = io.StringIO()
    display = ProgressDisplay("plan", Console(file=out, force_terminal=True, width=120))

    with display:
        display(ResourceEvent("a", TYPE, "create", "planned"))

    assert not display.live
    assert f"+ a ({TYPE}) will be created" in out.getvalue()


def test_a_run_with_nothing_declared_says_so() -> None:
    assert feed("up")[0].summary().startswith("Apply complete: nothing to do (")
    assert feed("plan")[0].summary() == "No changes: no resources."


def test_an_error_is_never_summed_up_as_complete() -> None:
    # Issue 13: `Apply complete: nothing to do` was printed before a program's error, and
    # `Apply failed: nothing to do ... Failed: r0, r1, r2` when every resource failed.
    display, _ = feed("up")
    assert display.summary(error=True).startswith("Apply failed: nothing changed (")
    display, _ = feed("up", *((f"r{i}", "create", "failed") for i in range(3)))
    assert display.summary().startswith("Apply failed: 3 failed (r0, r1, r2) (")
    display, _ = feed("plan", ("a", "create", "planned"))
    assert display.summary(error=True) == "Plan failed: no complete plan."


def test_an_interrupted_run_counts_the_requests_it_left_in_flight() -> None:
    display, out = feed("up", ("a", "create", "succeeded"), ("b", "create", "interrupted"),
                        ("c", "update", "interrupted"))

    assert f"b ({TYPE}): Creating interrupted after 1.2s: the request was recorded" in out
    summary = display.summary(interrupted=True)
    assert summary.startswith("Apply interrupted: 1 created (")
    assert summary.endswith("2 requests in flight were recorded and will be resumed by the next run.")
    assert "failed" not in summary
