"""No inheritance chains in the runtime: parts are passed in, not inherited (issue 11).

A runtime class may implement a Protocol or extend one small base of its own, never a class that
itself extends another cloudforge class. Exceptions are a tree on purpose (`cloudforge.errors`),
and generated classes (`cloudforge.aws`, another source tree) extend `Resource`: both are aside.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import cloudforge

RUNTIME = Path(__file__).resolve().parents[2] / "runtime"


def runtime_modules() -> list[str]:
    """Every module of the runtime source tree (`runtime/` is the `cloudforge` package)."""
    names = []
    for path in sorted(RUNTIME.rglob("*.py")):
        parts = path.relative_to(RUNTIME).with_suffix("").parts
        if parts[-1] == "__main__":
            continue  # runs a command when imported
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.append(".".join(("cloudforge", *parts)))
    return names


def cloudforge_ancestors(cls: type) -> list[str]:
    return [
        f"{base.__module__}.{base.__qualname__}"
        for base in cls.__mro__[1:]
        if base.__module__.split(".")[0] == "cloudforge"
    ]


def chains(module_names: list[str]) -> dict[str, list[str]]:
    """Runtime classes (exceptions aside) with two or more cloudforge classes above them."""
    found: dict[str, list[str]] = {}
    for name in module_names:
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != name or issubclass(cls, BaseException):
                continue
            ancestors = cloudforge_ancestors(cls)
            if len(ancestors) >= 2:
                found[f"{name}.{cls.__qualname__}"] = ancestors
    return found


def test_the_walk_covers_the_runtime() -> None:
    modules = runtime_modules()
    assert "cloudforge.engine.core" in modules and "cloudforge.state.sqlite" in modules
    assert Path(cloudforge.__file__).resolve().parent == RUNTIME  # testing this worktree's code
    assert len(modules) > 50


def test_no_runtime_class_extends_a_class_that_extends_another() -> None:
    assert chains(runtime_modules()) == {}


def test_a_chain_is_caught() -> None:
    # The checker itself: a three-level chain of cloudforge classes is reported, a single
    # base (or a Protocol) is not.
    from cloudforge.resource import Resource

    class Middle(Resource):
        pass

    class Leaf(Middle):
        pass

    Middle.__module__ = Leaf.__module__ = "cloudforge.fake"
    assert len(cloudforge_ancestors(Leaf)) == 2
    assert len(cloudforge_ancestors(Middle)) == 1
