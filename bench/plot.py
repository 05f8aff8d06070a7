"""The PNG beside the results table: import cost, deploy against latency and scale, other ratios.

Runs in bench/.venv-peers (matplotlib lives only there): `python -m bench.plot results.json out.png`.
Panels are drawn from the rows' `key`s; a figure that was not measured is simply absent, and a
panel with nothing to show says so.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display on a build machine
import matplotlib.pyplot as plt

from bench.report import Row, Section, from_json

OURS = "cloudforge"
COLOURS = {
    OURS: "tab:green",
    "troposphere": "tab:blue",
    "pulumi-aws-native": "tab:purple",
    "botocore waiter (5 s)": "tab:orange",
    "doubling 1→10 s": "tab:red",
    "limit (latency + 1 poll RTT)": "black",
}


def keyed(sections: list[Section], figure: str) -> list[tuple[Section, Row]]:
    return [(s, r) for s in sections for r in s.rows if r.key.get("figure") == figure]


def series(pairs: list[tuple[Section, Row]]) -> dict[str, list[tuple[Row, float]]]:
    """Subject name -> (row, figure) for every measured figure, cloudforge first."""
    out: dict[str, list[tuple[Row, float]]] = {}
    for section, row in pairs:
        if row.value is not None:
            out.setdefault(OURS, []).append((row, row.value))
        for name in section.baselines:
            value = row.baselines.get(name)
            if value is not None:
                out.setdefault(name, []).append((row, value))
    return out


def empty(ax: Any, title: str) -> None:
    ax.set_title(title, fontsize=9, loc="left")
    ax.text(0.5, 0.5, "not measured", ha="center", va="center", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def grouped_bars(
    ax: Any, groups: list[str], data: dict[str, dict[str, float]], title: str, ylabel: str
) -> None:
    """Bars per group (x) and subject (colour): data[subject][group]."""
    if not data:
        return empty(ax, title)
    width = 0.8 / len(data)
    for i, (subject, values) in enumerate(data.items()):
        xs = [g + i * width for g, name in enumerate(groups) if name in values]
        ys = [values[name] for name in groups if name in values]
        bars = ax.bar(xs, ys, width, label=subject, color=COLOURS.get(subject))
        ax.bar_label(bars, fmt="%.3g", fontsize=6)
    top = max(v for values in data.values() for v in values.values())
    ax.set_ylim(0, top * 1.3)  # room for the legend above the bars
    ax.set_xticks([g + 0.4 - width / 2 for g in range(len(groups))], groups, fontsize=7)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.set_title(title, fontsize=9, loc="left")
    ax.legend(fontsize=7, loc="upper left", ncols=2)


def import_panel(ax: Any, sections: list[Section], kind: str, title: str, ylabel: str) -> None:
    pairs = [(s, r) for s, r in keyed(sections, "import") if r.key.get("kind") == kind]
    groups = sorted({r.key["statement"] for _, r in pairs}, key=len)
    data = {
        subject: {row.key["statement"]: value for row, value in points}
        for subject, points in series(pairs).items()
    }
    labels = [
        "import <pkg>.connect" if "from" not in g else "from <pkg>.connect import SecurityProfile"
        for g in groups
    ]
    relabel = dict(zip(groups, labels, strict=True))
    grouped_bars(
        ax,
        labels,
        {s: {relabel[g]: v for g, v in d.items()} for s, d in data.items()},
        title,
        ylabel,
    )


def latency_panel(
    ax: Any, sections: list[Section], figure: str, title: str, ylabel: str, target: Any
) -> None:
    pairs = [(s, r) for s, r in keyed(sections, figure) if r.key.get("n") == 1]
    lines = series(pairs)
    if not lines:
        return empty(ax, title)
    for subject, points in lines.items():
        points.sort(key=lambda p: p[0].key["latency"])
        style = "--" if subject.startswith("limit") else "-o"
        ax.plot(
            [p[0].key["latency"] for p in points],
            [v for _, v in points],
            style,
            label=subject,
            color=COLOURS.get(subject),
            markersize=4,
        )
    latencies = sorted({r.key["latency"] for _, r in pairs})
    ax.plot(latencies, [target(lat) for lat in latencies], ":", color="grey", label="target")
    ax.set_xscale("log")
    ax.set_xticks(latencies, [f"{lat:g}" for lat in latencies])
    ax.set_xlabel("operation latency (s)", fontsize=8)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.set_title(title, fontsize=9, loc="left")
    ax.legend(fontsize=7)


def scale_panel(ax: Any, sections: list[Section]) -> None:
    pairs = keyed(sections, "deploy-wall")
    at = {r.key["latency"] for _, r in pairs if r.key.get("n", 1) > 1}
    pairs = [(s, r) for s, r in pairs if r.key["latency"] in at]
    data = {
        subject: {f"{row.key['n']} × create": value for row, value in points}
        for subject, points in series(pairs).items()
    }
    groups = [f"{n} × create" for n in sorted({r.key["n"] for _, r in pairs})]
    latency = f" at latency {min(at):g} s" if at else ""
    grouped_bars(
        ax, groups, data, f"3. Deploy: wall time / latency by count{latency}", "wall time / latency"
    )


def ratio_panel(ax: Any, sections: list[Section]) -> None:
    bars = []
    for section in sections:
        if section.title.startswith(("1.", "3.")):
            continue
        for row in section.rows:
            for name in section.baselines[:1]:
                ratio = row.ratio(name)
                if ratio:  # a zero has no place on a log scale; the table shows it
                    label = f"{section.title.split(' ', 1)[1]}: {row.measure.replace('`', '')}"
                    bars.append((label[:60], ratio))
    title = "Codegen, no-op, update: cloudforge / first baseline"
    if not bars:
        return empty(ax, title)
    ratios = [q for _, q in bars]
    ax.barh(range(len(bars)), ratios, color=["tab:green" if q <= 1 else "tab:red" for q in ratios])
    ax.set_yticks(range(len(bars)), [label for label, _ in bars], fontsize=6)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.axvline(1.0, color="black", linewidth=0.8)
    for i, q in enumerate(ratios):
        ax.text(q, i, f" {q:.2g}x", va="center", fontsize=6)
    ax.set_xlabel("ratio (log; < 1: cloudforge ahead)", fontsize=8)
    ax.set_title(title, fontsize=9, loc="left")


def plot(results: Path, out: Path) -> None:
    sections = from_json(json.loads(results.read_text()))
    fig, axes = plt.subplots(3, 2, figsize=(13, 13))
    import_panel(axes[0][0], sections, "ms", "1. Import: wall time (median)", "ms")
    import_panel(axes[0][1], sections, "rss_mib", "1. Import: peak RSS, whole process", "MiB")
    latency_panel(
        axes[1][0],
        sections,
        "deploy-wall",
        "3. Deploy: one create, wall time / latency",
        "wall time / latency",
        lambda lat: (lat + max(0.5, 0.1 * lat)) / lat,
    )
    latency_panel(
        axes[1][1],
        sections,
        "deploy-polls",
        "3. Deploy: status polls per create",
        "polls",
        lambda lat: 2 + math.log2(max(lat, 1.0)),
    )
    scale_panel(axes[2][0], sections)
    ratio_panel(axes[2][1], sections)
    fig.tight_layout()
    fig.savefig(out, dpi=100)


if __name__ == "__main__":
    plot(Path(sys.argv[1]), Path(sys.argv[2]))
