"""cloudforge: typed AWS resources from CloudFormation registry schemas, deployed via Cloud Control.

The import surface is small: `App` runs a program's resources, the errors live in
`cloudforge.errors`, generated resource classes in `cloudforge.aws.<service>`. Heavy
dependencies (boto3, the local cloud) load lazily so that importing a generated module stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["App", "StageOutputs"]

if TYPE_CHECKING:
    from cloudforge.app import App
    from cloudforge.outputs import StageOutputs


def __getattr__(name: str) -> Any:
    if name == "App":
        from cloudforge.app import App

        return App
    if name == "StageOutputs":
        from cloudforge.outputs import StageOutputs

        return StageOutputs
    raise AttributeError(f"module 'cloudforge' has no attribute {name!r}")
