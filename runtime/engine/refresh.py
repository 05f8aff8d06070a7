"""`cloudforge refresh`: read every resource of a stage live and bring its state up to date.

Reads only (GetResource per record, concurrently, bounded by the client's pool); no write call.
A resource deleted out of band leaves state (the next `up` creates it again, as terraform's
refresh-then-apply does); one changed out of band gets its live properties recorded, and the
drift, top-level property by property, is returned for printing. Write-only values are never
read back, so they never show as drift.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Literal

from cloudforge.cloud.cloudcontrol import CloudControl
from cloudforge.engine.patch import MISSING, same_value, strip_write_only
from cloudforge.engine.plan import PropertyChange
from cloudforge.engine.runstate import RunState
from cloudforge.errors import ResourceNotFoundError
from cloudforge.state.sqlite import ResourceRecord

DriftKind = Literal["unchanged", "changed", "deleted", "pending"]


@dataclass(frozen=True, slots=True)
class Drift:
    logical_id: str
    type_name: str
    kind: DriftKind
    changes: list[PropertyChange] = field(default_factory=list)


async def refresh_stage(state: RunState, cloud: CloudControl) -> list[Drift]:
    """Read every record's resource live; update state; the drift of each, by logical id."""
    records = sorted(state.records.values(), key=lambda r: r.logical_id)
    drifts = await asyncio.gather(*(_refresh(state, cloud, r) for r in records))
    await state.sync()
    return list(drifts)


async def _refresh(state: RunState, cloud: CloudControl, record: ResourceRecord) -> Drift:
    logical_id, type_name = record.logical_id, record.type_name
    if record.status == "pending" or record.identifier is None:
        # A request in flight: the next `up` resumes it; reading now would race it.
        return Drift(logical_id, type_name, "pending")
    metadata = state.metadata_for(type_name)
    try:
        live = strip_write_only(await cloud.get(type_name, record.identifier, logical_id), metadata)
    except ResourceNotFoundError:
        state.drop(logical_id)
        return Drift(logical_id, type_name, "deleted")
    changes = [
        PropertyChange(f"/{name}", record.properties.get(name), live.get(name))
        for name in sorted(set(record.properties) | set(live))
        if not same_value(
            record.properties.get(name, MISSING),
            live.get(name, MISSING),
            metadata.unordered_arrays,
            f"/{name}",
        )
    ]
    if changes:
        record.properties = live
        state.put(record)
    return Drift(logical_id, type_name, "changed" if changes else "unchanged", changes)
