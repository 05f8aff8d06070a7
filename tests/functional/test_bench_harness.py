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
            baselines=["peer", "other"],
            rows=[
                Row("wall time (ms)", 20.0, baselines={"peer": 80.0, "other": 10.0}),
                Row("calls", 3.0, baselines={"peer": 0.0}, target="<= 4", met=True),
                not_measured("memory (MiB)", "the generator has not landed"),
            ],
        )
    ]


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def test_ratio_is_cloudforge_over_each_baseline_and_undefined_without_both() -> None:
    rows = tiny()[0].rows
    assert rows[0].ratio("peer") == 0.25
    assert rows[0].ratio("other") == 2.0
    assert rows[1].ratio("peer") is None  # a zero baseline has no ratio, not a division error
    assert rows[1].ratio("other") is None  # a baseline that was not measured
    assert rows[2].ratio("peer") is None


def test_markdown_has_a_column_pair_per_baseline_and_reasons_for_gaps() -> None:
    lines = render_markdown(tiny(), header="# results").splitlines()
    assert lines[0] == "# results"
    assert "## 1. Import" in lines
    head = next(line for line in lines if line.startswith("| measure"))
    assert cells(head) == [
        "measure",
        "cloudforge",
        "peer",
        "ratio",
        "other",
        "ratio",
        "target",
        "met",
    ]
    wall = next(line for line in lines if line.startswith("| wall time"))
    assert cells(wall) == ["wall time (ms)", "20", "80", "0.25x", "10", "2x", "", ""]
    calls = next(line for line in lines if line.startswith("| calls"))
    assert cells(calls)[-2:] == ["<= 4", "yes"]
    missing = cells(next(line for line in lines if line.startswith("| memory")))
    assert missing[1] == "not measured (the generator has not landed)"
    assert set(missing[2:6]) == {"—"}  # no made-up number where nothing was measured


def test_written_results_round_trip(tmp_path: Path) -> None:
    md, js = write_results(tiny(), {"date": "today"}, tmp_path / "results", header="# results")
    assert md.read_text().startswith("# results")
    document = json.loads(js.read_text())
    assert document["meta"] == {"date": "today"}
    assert document["sections"][0]["rows"][0]["ratios"] == {"peer": 0.25, "other": 2.0}
    assert from_json(document) == tiny()


def test_a_measurement_that_raises_becomes_a_not_measured_section() -> None:
    from bench.__main__ import run_measure

    def broken() -> Section:
        raise ModuleNotFoundError("No module named 'cloudforge.app'")

    [section] = run_measure("3. Deploy", broken)
    assert section.title == "3. Deploy"
    [row] = section.rows
    assert row.value is None
    assert row.note == "ModuleNotFoundError: No module named 'cloudforge.app'"
    assert "not measured (ModuleNotFoundError" in render_markdown([section])


def test_a_measurement_that_works_passes_its_sections_through() -> None:
    from bench.__main__ import run_measure

    assert run_measure("1. Import", lambda: tiny()[0]) == tiny()
