"""Reading another stage's outputs from a program: `StageOutputs("network", stage="prod")`.

Outputs are the JSON values a program stored with `app.output(name, value)`; they are kept with
the stage in its state store (write-only-derived values masked) and read here without a lock
and without any cloud call, like Pulumi's stack references or Terraform's remote state.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator, Mapping
from typing import TypeAlias

from cloudforge.errors import CloudforgeError

JSON: TypeAlias = "str | int | float | bool | list[JSON] | dict[str, JSON] | None"


class StageOutputs(Mapping[str, JSON]):
    """The outputs of app `app`'s `stage` (default: $CLOUDFORGE_STAGE or your user name), read
    once from the state store `state` (default: $CLOUDFORGE_STATE or `.cloudforge/`)."""

    def __init__(
        self,
        app: str,
        *,
        stage: str | None = None,
        state: str | os.PathLike[str] | None = None,
        region: str | None = None,
        profile: str | None = None,
        endpoint_url: str | None = None,
    ) -> None:
        from cloudforge.state.backends import open_backend

        self.app = app
        self.stage = stage or os.environ.get("CLOUDFORGE_STAGE") or getpass.getuser()
        backend = open_backend(state, region=region, profile=profile, endpoint_url=endpoint_url)
        try:
            scope = f"{app}/{self.stage}"
            if scope not in backend.stages():
                raise CloudforgeError(
                    f"no state for app {app!r} stage {self.stage!r} in this state store; deploy "
                    "it first, or pass state= where it lives (see `cloudforge stages`)"
                )
            outputs = backend.load(scope).info.get("outputs", {})
        finally:
            backend.close()
        self._values: dict[str, JSON] = dict(outputs) if isinstance(outputs, dict) else {}

    def __getitem__(self, name: str) -> JSON:
        try:
            return self._values[name]
        except KeyError:
            known = ", ".join(sorted(self._values)) or "none"
            raise KeyError(
                f"stage {self.app}/{self.stage} has no output {name!r} (its outputs: {known})"
            ) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"StageOutputs({self.app!r}, stage={self.stage!r}, {self._values!r})"
