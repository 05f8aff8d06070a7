"""A stage's dependency graph as Graphviz DOT (`cloudforge graph`).

Nodes are the stage's resources (and resources whose last create failed, which have no record),
coloured by their last outcome; an edge `a -> b` says a is used by b (b depends on a), as
`terraform graph` draws it, so a bucket points at its policy. Drawing it as SVG or PNG is
Graphviz's `dot` (Debian's `graphviz` package): laying out graphs well is its job, not ours.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from cloudforge.errors import CloudforgeError
from cloudforge.state.sqlite import StageState

# Fill colours by last outcome; a resource with none recorded (older state) is white.
COLOURS = {
    "created": "#b7e1b0",
    "adopted": "#b7e1b0",
    "updated": "#fff2a8",
    "replaced": "#ffd59e",
    "unchanged": "#e6e6e6",
    "failed": "#f4a6a6",
    "skipped": "#c9d7f0",
}
INSTALL_HINT = (
    "Graphviz's `dot` is needed to draw an image: install it (Debian/Ubuntu: "
    "`sudo apt-get install graphviz`; macOS: `brew install graphviz`), or write DOT to standard "
    "output with `cloudforge graph` and draw it elsewhere"
)


def _quote(text: str) -> str:
    return json.dumps(text)  # a DOT ID in double quotes escapes as a JSON string does


def dot_source(name: str, state: StageState) -> str:
    outcomes = {k: str(v) for k, v in dict(state.info.get("outcomes", {})).items()}
    lines = [f"digraph {_quote(name)} {{", "  rankdir=LR;", '  node [shape=box, style="rounded,filled", fontname="Helvetica"];']
    nodes = sorted(set(state.records) | {k for k, v in outcomes.items() if v == "failed"})
    for lid in nodes:
        record = state.records.get(lid)
        outcome = outcomes.get(lid, "")
        type_name = record.type_name if record else ""
        label = "\n".join(part for part in (lid, type_name, outcome) if part)
        colour = COLOURS.get(outcome, "#ffffff")
        lines.append(f"  {_quote(lid)} [label={_quote(label)}, fillcolor={_quote(colour)}];")
    for lid in sorted(state.records):
        for used in state.records[lid].depends_on or ():
            if used in state.records:
                lines.append(f"  {_quote(used)} -> {_quote(lid)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(source: str, output: Path) -> None:
    """Draw `source` into `output`; the format is the file's suffix (svg, png, pdf, ...)."""
    fmt = output.suffix.lstrip(".").lower()
    if not fmt:
        raise CloudforgeError(f"{output}: name the image format by its suffix (.svg, .png)")
    dot = shutil.which("dot")
    if dot is None:
        raise CloudforgeError(INSTALL_HINT)
    done = subprocess.run(
        [dot, f"-T{fmt}", "-o", str(output)], input=source.encode(), capture_output=True
    )
    if done.returncode != 0:
        raise CloudforgeError(
            f"dot could not draw {output}: {done.stderr.decode(errors='replace').strip()}"
        )
