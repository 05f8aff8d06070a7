"""Registry types generated into a temporary package of their own, for tests that need types
beyond the committed SecurityProfile (pulled from the cfn-lint bundle, generated, imported)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any


@contextmanager
def generated_package(types: list[str], package: str, root: Path) -> Iterator[ModuleType]:
    """Pull `types` into `root/schemas`, generate them into `root/out`, and import the tree as
    `package` (its own name, so it cannot shadow cloudforge.aws); unimported on exit."""
    from cloudforge.codegen.generate import generate_all
    from cloudforge.codegen.pull import pull_schemas

    pull_schemas(types, dest=root / "schemas")
    generate_all(root / "schemas", root / "out")
    (root / "out" / "aws").rename(root / "out" / package)
    sys.path.insert(0, str(root / "out"))
    try:
        yield importlib.import_module(package)
    finally:
        sys.path.remove(str(root / "out"))
        for name in [m for m in sys.modules if m.split(".")[0] == package]:
            del sys.modules[name]


def generated_classes(package: str) -> dict[str, Any]:
    """type name -> resource class of a package made by `generated_package`."""
    index = importlib.import_module(f"{package}._index").TYPES
    return {
        type_name: getattr(
            importlib.import_module(module.replace("cloudforge.aws", package, 1)), name
        )
        for type_name, (module, name) in index.items()
    }
