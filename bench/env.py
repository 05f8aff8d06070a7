"""Where the interpreters the bench compares live.

cloudforge runs from the project's own venv (the interpreter running the bench); the peers
(troposphere, pulumi-aws-native) and matplotlib live in bench/.venv-peers, which `make bench`
creates from bench/requirements-peers.txt once and reuses, so the project venv stays lean.
"""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
PEERS_VENV = BENCH / ".venv-peers"
PEERS_PYTHON = PEERS_VENV / "bin" / "python"
PROJECT_PYTHON = Path(sys.executable)
RESULTS = BENCH / "results"


def peers_missing() -> str | None:
    """None when the peers venv is usable, else the reason (for a "not measured" row)."""
    if not PEERS_PYTHON.exists():
        return f"no peers venv at {PEERS_VENV.relative_to(BENCH.parent)}: run `make bench`"
    return None
