"""The bench's report code on a tiny input, so `make bench` cannot rot while it stays out of `make test`."""

from __future__ import annotations

import json
from pathlib import Path

from bench.report import Row, Section, from_json, not_measured, render_markdown, write_results


def tiny() -> list[Section]:
    return [
        Section(
            title="1. Import",
            method="Fresh interpreter per run.",
            rows=[
                Row("wall time (ms)", 20.0, baseline="peer", baseline_value=80.0),
                Row("calls", 3.0, baseline="peer", baseline_value=0.0, target="<= 4", met=True),
                not_measured("memory (MiB)", "the generator has not landed", baseline="peer"),
            ],
        )
    ]


def test_ratio_is_cloudforge_over_baseline_and_undefined_without_both() -> None:
    rows = tiny()[0].rows
    assert rows[0].ratio == 0.25
    assert rows[1].ratio is None  # a zero baseline has no ratio, rather than a division error
    assert rows[2].ratio is None


def test_markdown_shows_figures_ratios_targets_and_reasons() -> None:
    text = render_markdown(tiny(), header="# results")
    lines = text.splitlines()
    assert lines[0] == "# results"
    assert "## 1. Import" in lines
    row = next(line for line in lines if line.startswith("| wall time"))
    assert [c.strip() for c in row.strip("|").split("|")] == ["wall time (ms)", "20", "peer", "80", "0.25x", "", ""]
    calls = next(line for line in lines if line.startswith("| calls"))
    assert "<= 4" in calls and "| yes |" in calls
    missing = next(line for line in lines if line.startswith("| memory"))
    assert "not measured (the generator has not landed)" in missing
    assert "| — |" in missing  # no made-up number where nothing was measured


def test_written_results_round_trip(tmp_path: Path) -> None:
    md, js = write_results(tiny(), {"date": "today"}, tmp_path / "results", header="# results")
    assert md.read_text().startswith("# results")
    document = json.loads(js.read_text())
    assert document["meta"] == {"date": "today"}
    assert document["sections"][0]["rows"][0]["ratio"] == 0.25
    assert from_json(document) == tiny()
