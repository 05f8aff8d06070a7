"""The shape of the bench's results and their rendering as a markdown table and JSON.

Every measurement module returns `Section`s of `Row`s: one figure of cloudforge against one
baseline measured in the same run. A figure that could not be measured carries `None` and the
reason, and is rendered "not measured (reason)", never a number.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Row:
    measure: str  # what is measured, with its unit: "wall time (s)"
    value: float | None  # cloudforge's figure; None when not measured
    baseline: str = ""  # what it is compared with: "troposphere.connect"
    baseline_value: float | None = None
    target: str = ""  # the target for this figure, in words: "<= 2 s"
    met: bool | None = None  # whether cloudforge's figure meets the target; None: no target
    note: str = ""  # why a figure is missing, or how to read it

    @property
    def ratio(self) -> float | None:
        """cloudforge / baseline; None when either is missing or the baseline is zero."""
        if self.value is None or self.baseline_value is None or self.baseline_value == 0:
            return None
        return self.value / self.baseline_value


@dataclass
class Section:
    title: str  # "1. Import"
    method: str  # how it was measured, one or two sentences
    rows: list[Row] = field(default_factory=list)


def not_measured(measure: str, reason: str, baseline: str = "", target: str = "") -> Row:
    """A row for a figure that could not be measured, with the reason."""
    return Row(measure=measure, value=None, baseline=baseline, target=target, note=reason)


def fmt(value: float | None) -> str:
    """A figure for the table: 3 significant digits, integers as integers, None as a dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if float(value).is_integer() and abs(value) >= 1:
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def render_markdown(sections: list[Section], header: str = "") -> str:
    """One markdown table per section, each headed by its method."""
    lines: list[str] = [header] if header else []
    for section in sections:
        lines += [f"## {section.title}", "", section.method, ""]
        lines.append("| measure | cloudforge | baseline | baseline value | ratio | target | met |")
        lines.append("|---|---:|---|---:|---:|---|:-:|")
        for row in section.rows:
            value = fmt(row.value) if row.value is not None else f"not measured ({row.note})"
            ratio = f"{row.ratio:.2f}x" if row.ratio is not None else "—"
            met = {True: "yes", False: "**no**", None: ""}[row.met]
            note = f" ({row.note})" if row.note and row.value is not None else ""
            lines.append(
                f"| {row.measure}{note} | {value} | {row.baseline or '—'} | "
                f"{fmt(row.baseline_value)} | {ratio} | {row.target} | {met} |"
            )
        lines.append("")
    return "\n".join(lines)


def to_json(sections: list[Section], meta: dict[str, Any]) -> dict[str, Any]:
    """The JSON document: run metadata, then every section's rows with their ratios."""
    return {
        "meta": meta,
        "sections": [
            {
                "title": s.title,
                "method": s.method,
                "rows": [{**asdict(r), "ratio": r.ratio} for r in s.rows],
            }
            for s in sections
        ],
    }


def from_json(document: dict[str, Any]) -> list[Section]:
    """Sections back from `to_json`'s document (the plot and the tests read results this way)."""
    sections = []
    for s in document["sections"]:
        rows = [Row(**{k: v for k, v in r.items() if k != "ratio"}) for r in s["rows"]]
        sections.append(Section(title=s["title"], method=s["method"], rows=rows))
    return sections


def write_results(
    sections: list[Section], meta: dict[str, Any], out_dir: Path, header: str = ""
) -> tuple[Path, Path]:
    """Write `results.md` and `results.json` into `out_dir`; returns both paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    md = out_dir / "results.md"
    js = out_dir / "results.json"
    md.write_text(render_markdown(sections, header))
    js.write_text(json.dumps(to_json(sections, meta), indent=2, sort_keys=False) + "\n")
    return md, js
