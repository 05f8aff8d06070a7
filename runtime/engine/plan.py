"""What a run did or would do, per resource: the entries of `App.changes`.

In plan mode nothing is written; attributes that only exist once a resource is created are the
`UNKNOWN` sentinel, so a program can print them without pretending to know them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from cloudforge.events import Action

ChangeStatus = Literal["planned", "done", "failed", "skipped", "interrupted"]


class Unknown:
    """The value of an attribute that is not known until the resource is created."""

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unknown until deployed>"

    __str__ = __repr__

    # What is built from an unknown value is unknown too (`bucket.Arn + "/*"`, `arns[0]`), so a
    # program that wires attributes into other resources runs to its end in a plan or destroy.
    def __add__(self, other: object) -> Unknown:
        return self

    __radd__ = __add__

    def __getitem__(self, key: object) -> Unknown:
        return self


UNKNOWN = Unknown()


@dataclass(frozen=True, slots=True)
class PropertyChange:
    """One top-level property a change sets, replaces or removes (write-only values masked)."""

    path: str  # JSON Pointer of a top-level property: "/Description"
    before: Any  # None when the property was absent
    after: Any  # None when the property is removed


@dataclass(slots=True)
class Change:
    """What a run did or plans to do to one resource (`App.changes`)."""

    logical_id: str
    type_name: str
    action: Action
    status: ChangeStatus = "planned"
    diff: list[PropertyChange] = field(default_factory=list)
    identifier: str | None = None
    detail: str = ""  # why (e.g. which create-only property forces a replacement)
