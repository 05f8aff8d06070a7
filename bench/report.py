"""The shape of the bench's results and their rendering as markdown tables and JSON.

Every measurement module returns `Section`s of `Row`s: one figure of cloudforge against the
section's baselines, all measured in the same run. A figure that could not be measured is
`None` with the reason, rendered "not measured (reason)", never a number.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Row:
    measure: str  # what is measured, with its unit: "wall time (ms)"
    value: float | None  # cloudforge's figure; None when not measured
    baselines: dict[str, float | None] = field(default_factory=dict)  # baseline name -> figure
    target: str = ""  # the target for this figure, in words: "<= 2 s"
    met: bool | None = None  # whether cloudforge's figure meets the target; None: no target
    note: str = ""  # why a figure is missing, or how to read it
    # What the figure is, as data for the plot: {"figure": "deploy-wall", "n": 1, "latency": 2.0}.
    key: dict[str, Any] = field(default_factory=dict)

    def ratio(self, baseline: str) -> float | None:
        """cloudforge / baseline; None when either is missing or the baseline is zero."""
        theirs = self.baselines.get(baseline)
        if self.value is None or theirs is None or theirs == 0:
            return None
        return self.value / theirs


@dataclass
class Section:
    title: str  # "1. Import"
    method: str  # how it was measured, one or two sentences
    baselines: list[str] = field(default_factory=list)  # the columns, in order
    rows: list[Row] = field(default_factory=list)


def not_measured(measure: str, reason: str, target: str = "") -> Row:
    """A row for a figure that could not be measured, with the reason."""
    return Row(measure=measure, value=None, target=target, note=reason)


def fmt(value: float | None) -> str:
    """A figure for the table: 3 significant digits, integers as integers, None as a dash."""
    if value is None or math.isnan(value):
        return "—"
    if float(value).is_integer():
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:#.3g}"  # keeps "1.00": a figure near 1 must not read as exactly 1


def fmt_ratio(ratio: float | None) -> str:
    if ratio is None:
        return "—"
    return f"{ratio:,.0f}x" if ratio >= 10 else f"{ratio:.2g}x"


def render_section(section: Section) -> list[str]:
    head = ["measure", "cloudforge"]
    for name in section.baselines:
        head += [name, "ratio"]
    head += ["target", "met"]
    lines = [f"## {section.title}", "", section.method, ""]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|---|---:|" + "---:|---:|" * len(section.baselines) + "---|:-:|")
    for row in section.rows:
        measured = row.value is not None
        cells = [
            row.measure + (f" ({row.note})" if row.note and measured else ""),
            fmt(row.value) if measured else f"not measured ({row.note})",
        ]
        for name in section.baselines:
            cells += [fmt(row.baselines.get(name)), fmt_ratio(row.ratio(name))]
        cells += [row.target, {True: "yes", False: "**no**", None: ""}[row.met]]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    return lines


def render_markdown(sections: list[Section], header: str = "") -> str:
    """One markdown table per section, each headed by its method."""
    lines: list[str] = [header] if header else []
    for section in sections:
        lines += render_section(section)
    return "\n".join(lines)


def to_json(sections: list[Section], meta: dict[str, Any]) -> dict[str, Any]:
    """The JSON document: run metadata, then every section's rows with their ratios."""
    return {
        "meta": meta,
        "sections": [
            {
                **{k: v for k, v in asdict(s).items() if k != "rows"},
                "rows": [
                    {**asdict(r), "ratios": {b: r.ratio(b) for b in s.baselines}} for r in s.rows
                ],
            }
            for s in sections
        ],
    }


def from_json(document: dict[str, Any]) -> list[Section]:
    """Sections back from `to_json`'s document (the plot and the tests read results this way)."""
    sections = []
    for s in document["sections"]:
        rows = [Row(**{k: v for k, v in r.items() if k != "ratios"}) for r in s["rows"]]
        sections.append(Section(s["title"], s["method"], list(s["baselines"]), rows))
    return sections


def write_results(
    sections: list[Section], meta: dict[str, Any], out_dir: Path, header: str = ""
) -> tuple[Path, Path]:
    """Write `results.md` and `results.json` into `out_dir`; returns both paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    md = out_dir / "results.md"
    js = out_dir / "results.json"
    md.write_text(render_markdown(sections, header))
    js.write_text(json.dumps(to_json(sections, meta), indent=2) + "\n")
    return md, js
