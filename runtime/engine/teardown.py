"""The end-of-run pass: delete what the program no longer declares (in the destroy phase,
everything) in deletion waves, dependents first (`cloudforge.engine.ordering`); in plan, or after a
failed run, only report what would be or was not deleted.
"""

from __future__ import annotations

import asyncio
import time

from cloudforge.engine.operations import Operations
from cloudforge.engine.ordering import deletion_waves
from cloudforge.engine.plan import Change
from cloudforge.events import Status
from cloudforge.state.sqlite import ResourceRecord


class Teardown(Operations):
    """The orphan and destroy pass that ends a run."""

    async def finish(self, failed: bool, interrupted: bool = False) -> None:
        """Delete orphans (destroy: everything), dependents first; plan them in plan.

        Deletions go in waves (`cloudforge.engine.ordering`): a wave's resources are deleted
        concurrently, a wave starts when the previous one is done, and a failure stops the
        waves after its own. `interrupted` (Ctrl-C, cancellation): resources still in flight
        are cancelled rather than waited for; their requests stay journaled for the next run.
        """
        if self._tasks:
            if interrupted:
                for task in self._tasks.values():
                    task.cancel()
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        if self.phase == "destroy":
            targets = list(self.records.values())
        else:
            targets = [r for r in self.records.values() if r.logical_id not in self._declared]
        waves = deletion_waves(targets)
        if self.phase == "plan" or failed:
            for record in [r for wave in waves for r in wave]:
                self._skip_delete(record, planned=self.phase == "plan")
            return
        for index, wave in enumerate(waves):
            outcomes = await asyncio.gather(
                *(self._delete_orphan(record) for record in wave), return_exceptions=True
            )
            errors = [o for o in outcomes if isinstance(o, BaseException)]
            if errors:
                first = errors[0]
                for record in [r for later in waves[index + 1 :] for r in later]:
                    self._skip_delete(record, detail=f"not deleted: {first}")
                raise first
        await self.sync()  # the rest is written when the backend is closed, on the loop

    def _skip_delete(self, record: ResourceRecord, planned: bool = False, detail: str = "") -> None:
        if planned:
            detail = "no longer declared"
        else:
            detail = detail or "not deleted: the run failed (fix it and run again)"
        self.changes.append(
            Change(
                record.logical_id,
                record.type_name,
                "delete",
                "planned" if planned else "skipped",
                identifier=record.identifier,
                detail=detail,
            )
        )
        status: Status = "planned" if planned else "skipped"
        self._emit(record, record.type_name, "delete", status, time.monotonic(), detail)

    async def _delete_orphan(self, record: ResourceRecord) -> None:
        started = time.monotonic()
        change = Change(
            record.logical_id, record.type_name, "delete", "done", identifier=record.identifier
        )
        self._emit(record, record.type_name, "delete", "started", started)
        try:
            current: ResourceRecord | None = record
            if record.status == "pending":
                current = await self._resume(record)
            if current is not None:
                await self._delete(current, self.metadata_for(record.type_name), started)
        except BaseException as err:
            change.status, change.detail = "failed", str(err)
            self.changes.append(change)
            self._emit(record, record.type_name, "delete", "failed", started, str(err))
            raise
        self.changes.append(change)
        self._emit(record, record.type_name, "delete", "succeeded", started)
