"""The deployment engine: what `await resource` reaches, and the end-of-run pass.

Parts, each handed to the next rather than inherited: `runstate` (the run's records, the one
writer of state), `reporter` (events: one per outcome), `requests` (a write request's life,
written once), `executors` (create, update, replace, delete, adopt: plain functions),
`parts` (what an executor is handed; the runner is made on first use, so a run that sends
nothing loads neither `requests`, `executors` nor the poller and limiter), `teardown` (the orphan/destroy pass), `core` (`Engine`, the facade `App` holds). Pure helpers:
`decide` (the decision table shared by plan and up), `patch`, `plan`, `ordering` (deletion
waves), `adoption` (finding an existing resource to take over).
May import: the top-level surface (`cloudforge.errors`, `events`, `metadata`, `resource`,
`registry`), `cloudforge.cloud` and `cloudforge.state`. Never the CLI, the local cloud or the
generator. Names are re-exported lazily so that importing a submodule stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cloudforge.engine.core import Engine
    from cloudforge.engine.decide import Decision, decide
    from cloudforge.engine.runstate import Phase

__all__ = ["Decision", "Engine", "Phase", "decide"]

_HOMES = {
    "Engine": "cloudforge.engine.core",
    "Decision": "cloudforge.engine.decide",
    "decide": "cloudforge.engine.decide",
    "Phase": "cloudforge.engine.runstate",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'cloudforge.engine' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(home), name)
