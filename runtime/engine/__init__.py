"""The deployment engine: what `await resource` reaches, and the end-of-run pass.

`decide` is the pure decision table shared by plan and up; `patch` builds RFC 6902 patches;
`journal`, `inflight`, `operations` and `teardown` run the decisions against Cloud Control;
`ordering` computes deletion waves; `adoption` finds an existing resource to take over.
May import: the top-level surface (`cloudforge.errors`, `events`, `metadata`, `resource`),
`cloudforge.cloud` and `cloudforge.state`. Never the CLI, the local cloud or the generator.
Names are re-exported lazily so that importing a submodule stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cloudforge.engine.core import Engine
    from cloudforge.engine.decide import Decision, decide
    from cloudforge.engine.journal import Phase

__all__ = ["Decision", "Engine", "Phase", "decide"]

_HOMES = {
    "Engine": "cloudforge.engine.core",
    "Decision": "cloudforge.engine.decide",
    "decide": "cloudforge.engine.decide",
    "Phase": "cloudforge.engine.journal",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'cloudforge.engine' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(home), name)
