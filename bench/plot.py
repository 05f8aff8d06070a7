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

from bench.report import Section, from_json


def short(text: str, width: int = 70) -> str:
    text = text.replace("`", "")
    return text if len(text) <= width else text[: width - 1] + "…"


def bars(section: Section) -> list[tuple[str, float]]:
    """(label, ratio) for every figure of the section that has both sides."""
    out = []
    for row in section.rows:
        for name in section.baselines:
            ratio = row.ratio(name)
            if ratio:  # a zero has no place on a log scale; the table shows it
                out.append((short(f"{row.measure} vs {name}"), ratio))
    return out


def plot(results: Path, out: Path) -> None:
    panels = [(s, b) for s in from_json(json.loads(results.read_text())) if (b := bars(s))]
    if not panels:
        fig, ax = plt.subplots(figsize=(8, 1.5))
        ax.text(0.5, 0.5, "no figure with a baseline was measured", ha="center", va="center")
        ax.axis("off")
        fig.savefig(out, dpi=110)
        return
    heights = [0.3 * len(b) + 0.9 for _, b in panels]
    fig, axes = plt.subplots(len(panels), 1, figsize=(11, sum(heights)), height_ratios=heights)
    axes = axes if len(panels) > 1 else [axes]
    for ax, (section, section_bars) in zip(axes, panels, strict=True):
        labels = [label for label, _ in section_bars]
        ratios = [ratio for _, ratio in section_bars]
        colours = ["tab:green" if q <= 1 else "tab:red" for q in ratios]
        ax.barh(range(len(ratios)), ratios, color=colours)
        ax.set_yticks(range(len(ratios)), labels, fontsize=7)
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
