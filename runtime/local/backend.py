"""What every operation works on: the store, the fault configuration, the hook context.

The backend also runs the hooks' side effects (e.g. the moto bucket behind an S3 bucket) when a
request settles, and again for stored resources when a server starts from its state file.
"""

from __future__ import annotations

import random
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cloudforge.local.faults import Faults
from cloudforge.local.hints import RetryAfter
from cloudforge.local.hooks import HookContext, hooks_for
from cloudforge.local.requests import CANCEL_COMPLETE, SUCCESS, Request
from cloudforge.local.store import Store
from cloudforge.local.typeinfo import TypeInfo, type_info


@dataclass
class Backend:
    """Everything an operation works on: the store, the fault configuration, the hook context."""

    store: Store
    faults: Faults
    context: HookContext = field(default_factory=lambda: HookContext(rng=random.Random()))
    # When a request's status may change and what RetryAfter says (cloudforge.local.hints).
    retry_after: RetryAfter = field(default_factory=RetryAfter)
    # Seconds after a create succeeds during which GetResource still answers NotFound
    # (eventual consistency, which other tools retry for real AWS); 0: consistent at once.
    read_after_create: float = 0.0

    def __post_init__(self) -> None:
        self.store.on_settle.append(self._settled)
        self.store.set_unique_key(lambda t, model: hooks_for(t).unique_key(type_info(t), model))
        self.restore()

    def restore(self) -> None:
        """Recreate the side effects of stored resources (moto's state does not survive a restart)."""
        with self.store.lock:
            for by_id in self.store.resources.values():
                for resource in by_id.values():
                    if resource.visible:
                        self._side_effect(hooks_for(resource.type_name).after_create, resource.type_name, resource.model)

    def capture(self) -> None:
        """Take what the services hold for the moto-backed types into the store (and its journal).

        Resources made or changed through the service APIs (`sqs.create_queue`) are then restored
        on the next start, like those made through Cloud Control. Only services moto has loaded
        can hold anything, so nothing is imported for this.
        """
        from cloudforge.local.moto_adapters import BACKED, in_use
        from cloudforge.local.store import StoredResource

        ctx = self.context
        with self.store.lock:
            for type_name in BACKED:
                if not in_use(type_name):
                    continue
                hooks, info = hooks_for(type_name), type_info(type_name)
                if "list" not in info.handlers:
                    continue  # nothing lists it (IAM::Policy): the store's record is all there is
                live = set(hooks.live_identifiers(ctx, info) or ())
                for resource in self.store.of_type(type_name):
                    if resource.visible and resource.pending is None and resource.identifier not in live:
                        self.store.remove(resource)
                for identifier in sorted(live):
                    stored = self.store.get(type_name, identifier)
                    if stored is not None and (not stored.visible or stored.pending is not None):
                        continue
                    model = hooks.live(ctx, info, identifier, stored.model if stored is not None else None)
                    if model is not None and (stored is None or stored.model != model):
                        self.store.put(StoredResource(type_name, identifier, model, visible=True))
            self.store.save()

    def _settled(self, request: Request, model: dict[str, Any] | None) -> None:
        if request.status == CANCEL_COMPLETE and request.outcome == SUCCESS and request.identifier is not None:
            # A service-backed create or update reached its service when it was submitted: undo it.
            stored = self.store.get(request.type_name, request.identifier)
            undo = hooks_for(request.type_name).cancelled
            self._side_effect(
                lambda ctx, info, old: undo(ctx, info, request.operation, str(request.identifier), old, request.new_model),
                request.type_name, stored.model if stored is not None else {},
            )
            return
        if request.status != SUCCESS or model is None:
            return
        hooks = hooks_for(request.type_name)
        if request.operation == "CREATE":
            self._side_effect(hooks.after_create, request.type_name, model)
        elif request.operation == "DELETE":
            self._side_effect(hooks.after_delete, request.type_name, model)

    def _side_effect(self, effect: Callable[[HookContext, TypeInfo, dict[str, Any]], None], type_name: str,
                     model: dict[str, Any]) -> None:
        # A side effect in moto must never break Cloud Control's own bookkeeping.
        try:
            effect(self.context, type_info(type_name), model)
        except Exception:
            traceback.print_exc(file=sys.stderr)
