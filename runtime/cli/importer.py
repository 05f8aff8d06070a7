"""Writes the Python program that declares an existing resource, for `cloudforge import`.

The program declares the resource's readable properties minus the read-only ones, with
`adopt=True`, so `cloudforge up` takes the resource over without changing it.
"""

from __future__ import annotations

import copy
import hashlib
import keyword
import pprint
import re
import subprocess
import sys
from collections.abc import Iterable
from typing import Any

from cloudforge.metadata import TypeMetadata
from cloudforge.resource import Resource

WIDTH = 100


def declared_props(metadata: TypeMetadata, properties: dict[str, Any]) -> dict[str, Any]:
    """`properties` as read from Cloud Control, without the read-only paths."""
    props = copy.deepcopy(properties)
    for path in metadata.read_only:
        remove_path(props, [unescape(p) for p in path.strip("/").split("/")])
    return props


def remove_path(doc: Any, parts: list[str]) -> None:
    """Remove a JSON-Pointer-like path (`*` matches every index or key) from `doc` in place."""
    if not parts:
        return
    head, rest = parts[0], parts[1:]
    if isinstance(doc, dict):
        keys = list(doc) if head == "*" else [head] if head in doc else []
        for key in keys:
            if rest:
                remove_path(doc[key], rest)
            else:
                del doc[key]
    elif isinstance(doc, list) and rest:
        items = doc if head == "*" else [doc[int(head)]] if head.isdigit() and int(head) < len(doc) else []
        for item in items:
            remove_path(item, rest)


def unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def app_name_for(type_name: str, identifier: str) -> str:
    """A default app name of its own for each imported resource, so two imports never share an
    app (whose state the second `up` would otherwise prune of the first's resource):
    `AWS::SQS::Queue` + `https://.../orders` -> `sqs-queue-orders-<10 hex digits of a hash of
    both>`, within cloudforge's name form (cloudforge.names)."""
    _, service, kind = [*type_name.split("::"), "", "", ""][:3]
    tail = re.split(r"[/:|]", identifier.rstrip("/"))[-1]
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", tail).strip("-._")[:40]
    digest = hashlib.sha256(f"{type_name}\n{identifier}".encode()).hexdigest()[:10]
    parts = [p for p in (service.lower(), kind.lower(), readable) if p]
    return "-".join([*parts, digest])[-100:].lstrip("-._")


def logical_id_for(type_name: str) -> str:
    """A default logical id from the type: `AWS::Connect::SecurityProfile` -> `securityProfile`."""
    name = type_name.split("::")[-1]
    return name[:1].lower() + name[1:]


def render_program(
    cls: type[Resource],
    properties: dict[str, Any],
    *,
    logical_id: str,
    app_name: str,
    identifier: str,
) -> str:
    """The source of a program declaring `properties` (already read-only free) of type `cls`."""
    metadata = cls.metadata
    module = cls.__module__.rsplit(".", 1)[0]  # cloudforge.aws.connect.security_profile -> service
    ordered = ordered_props(properties, getattr(cls, "props_model", None))
    args = "".join(keyword_arg(name, value) for name, value in ordered)
    write_only = sorted({p.strip("/").split("/")[0] for p in metadata.write_only})
    note = ""
    if write_only:
        note = (
            "        # Write-only properties cannot be read back; declare them if you manage them:\n"
            f"        # {', '.join(write_only)}\n"
        )
    return (
        f'"""Declares the existing {metadata.type_name} {identifier}.\n'
        "\n"
        "Written by `cloudforge import`; `cloudforge up` adopts it (adopt=True) without changing it.\n"
        '"""\n'
        "\n"
        "import asyncio\n"
        "\n"
        "from cloudforge import App\n"
        f"from {module} import {cls.__name__}\n"
        "\n"
        "\n"
        "async def main() -> None:\n"
        f"    async with App({app_name!r}):\n"
        f"        await {cls.__name__}(\n"
        f"            {logical_id!r},\n"
        f"{args}"
        f"{note}"
        "            adopt=True,\n"
        "        )\n"
        "\n"
        "\n"
        'if __name__ == "__main__":\n'
        "    asyncio.run(main())\n"
    )


def formatted(source: str) -> str:
    """`source` through ruff's formatter when ruff is installed (as in the dev setup), else as is."""
    try:
        result = subprocess.run(
            [sys.executable, "-m", "ruff", "format", f"--line-length={WIDTH}", "-"],
            input=source, capture_output=True, text=True, timeout=30, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return source
    return result.stdout if result.returncode == 0 and result.stdout else source


def ordered_props(properties: dict[str, Any], model: Any) -> list[tuple[str, Any]]:
    """Properties in the props model's (schema) order; unknown names last, sorted."""
    order: Iterable[str] = []
    fields = getattr(model, "model_fields", None)
    if isinstance(fields, dict):
        order = [getattr(f, "alias", None) or name for name, f in fields.items()]
    known = [(name, properties[name]) for name in order if name in properties]
    rest = sorted((n, v) for n, v in properties.items() if n not in dict(known))
    return known + rest


def keyword_arg(name: str, value: Any) -> str:
    """`Name=value,` indented for the call, long values wrapped by pprint."""
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"property {name!r} is not a valid Python keyword argument")
    indent = " " * 12
    text = pprint.pformat(value, width=WIDTH - len(indent) - len(name) - 1, sort_dicts=False)
    text = re.sub(r"\n", "\n" + indent + " " * (len(name) + 1), text)
    return f"{indent}{name}={text},\n"
