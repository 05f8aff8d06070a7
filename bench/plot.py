"""The PNG beside the results table: every figure's ratio to its baseline, one panel per section.

Runs in bench/.venv-peers (matplotlib lives only there): `python -m bench.plot results.json out.png`.
Every figure in the bench is lower-is-better, so a bar left of 1x means cloudforge is ahead.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on a build machine
import matplotlib.pyplot as plt

from bench.report import from_json


def short(text: str, width: int = 70) -> str:
    text = text.replace("`", "")
    return text if len(text) <= width else text[: width - 1] + "…"


def plot(results: Path, out: Path) -> None:
    sections = [s for s in from_json(json.loads(results.read_text())) if any(r.ratio for r in s.rows)]
    if not sections:
        sections_note = "no figure with a baseline was measured"
        fig, ax = plt.subplots(figsize=(8, 1.5))
        ax.text(0.5, 0.5, sections_note, ha="center", va="center")
        ax.axis("off")
        fig.savefig(out, dpi=110)
        return
    heights = [max(1.5, 0.32 * sum(1 for r in s.rows if r.ratio) + 0.9) for s in sections]
    fig, axes = plt.subplots(len(sections), 1, figsize=(11, sum(heights)), height_ratios=heights)
    axes = axes if len(sections) > 1 else [axes]
    for ax, section in zip(axes, sections, strict=True):
        rows = [r for r in section.rows if r.ratio]
        labels = [short(f"{r.measure} vs {r.baseline}") for r in rows]
        ratios = [r.ratio for r in rows]
        colours = ["tab:green" if q <= 1 else "tab:red" for q in ratios]
        ax.barh(range(len(rows)), ratios, color=colours)
        ax.set_yticks(range(len(rows)), labels, fontsize=7)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.axvline(1.0, color="black", linewidth=0.8)
        for i, q in enumerate(ratios):
            ax.text(q, i, f" {q:.2g}x", va="center", fontsize=7)
        ax.set_title(section.title, fontsize=9, loc="left")
    axes[-1].set_xlabel("cloudforge / baseline (log scale; < 1 is better)")
    fig.tight_layout()
    fig.savefig(out, dpi=110)


if __name__ == "__main__":
    plot(Path(sys.argv[1]), Path(sys.argv[2]))
