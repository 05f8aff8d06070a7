"""The emulator's state: resources by type and identifier, requests by token, client tokens.

One lock guards it all; each API call takes the lock once, settles the requests whose time has
come, then does its work. With a state file every change is journaled before the answer goes
out (`cloudforge.local.journal`), so a restarted server loses no resource or request.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cloudforge.local import journal
from cloudforge.local.requests import CANCEL_COMPLETE, IN_PROGRESS, SUCCESS, Request


@dataclass
class StoredResource:
    type_name: str
    identifier: str
    model: dict[str, Any]
    visible: bool  # False while the create that made it is still in progress
    pending: str | None = None  # token of the request in progress on this resource
    created_at: float | None = None  # when its create succeeded (epoch seconds)


SettleCallback = Callable[[Request, dict[str, Any] | None], None]
# (type name, model) -> what must be unique among the type's resources besides the identifier.
UniqueKey = Callable[[str, dict[str, Any]], Hashable | None]


def _no_unique_key(type_name: str, model: dict[str, Any]) -> Hashable | None:
    return None


@dataclass
class Store:
    state_file: Path | None = None
    resources: dict[str, dict[str, StoredResource]] = field(default_factory=dict)
    requests: dict[str, Request] = field(default_factory=dict)
    client_tokens: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.lock = threading.RLock()
        self._due: list[tuple[float, int, str]] = []
        self._seq = 0
        # What changed since the last save: resource keys and request tokens.
        self._touched_resources: set[tuple[str, str]] = set()
        self._touched_requests: set[str] = set()
        # Callbacks run (under the lock) when a request settles: (request, resource model or None).
        self.on_settle: list[SettleCallback] = []
        # Resources by (type, unique key), so a create's clash check is a lookup, not a scan.
        self._unique_key: UniqueKey = _no_unique_key
        self._by_key: dict[tuple[str, Hashable], dict[str, StoredResource]] = {}
        self._journal = journal.Journal(self.state_file) if self.state_file is not None else None
        if self._journal is not None:
            self._load()

    # Requests and their settling.

    def add_request(self, request: Request) -> None:
        """Record a new request (and journal the resource it concerns, whose `pending` it sets)."""
        self.requests[request.token] = request
        if request.client_token:
            self.client_tokens[request.client_token] = request.token
        self._seq += 1
        heapq.heappush(self._due, (request.due, self._seq, request.token))
        self._touch(request)

    def settle(self, now: float | None = None) -> None:
        """Finish every request whose latency has passed, in the order they fall due."""
        now = time.time() if now is None else now
        while self._due and self._due[0][0] <= now:
            _, _, token = heapq.heappop(self._due)
            request = self.requests.get(token)
            if request is not None and request.status == IN_PROGRESS:
                self._finish(request, request.outcome, request.due)

    def cancel(self, request: Request, now: float) -> None:
        self._finish(request, CANCEL_COMPLETE, now)

    def _touch(self, request: Request) -> None:
        self._touched_requests.add(request.token)
        if request.identifier is not None:
            self._touched_resources.add((request.type_name, request.identifier))

    def _finish(self, request: Request, status: str, when: float) -> None:
        request.status = status
        request.ended = when
        self._touch(request)
        resource = self.get(request.type_name, request.identifier) if request.identifier else None
        model: dict[str, Any] | None = None
        if resource is not None and resource.pending == request.token:
            resource.pending = None
            model = self._apply(request, resource, status)
        if status == SUCCESS:
            request.new_model = None
        for callback in self.on_settle:
            callback(request, model)

    def _apply(self, request: Request, resource: StoredResource, status: str) -> dict[str, Any] | None:
        """The request's effect on its resource; the resource's model when it succeeded."""
        if status != SUCCESS:
            if request.operation == "CREATE":
                self.remove(resource)  # a failed or cancelled create leaves nothing behind
            return None
        if request.operation == "CREATE":
            resource.visible = True
            resource.created_at = request.ended
        elif request.operation == "UPDATE" and request.new_model is not None:
            self._unindex(resource)
            resource.model = request.new_model
            self._index(resource)
        elif request.operation == "DELETE":
            self.remove(resource)
        return resource.model

    # Resources.

    def get(self, type_name: str, identifier: str) -> StoredResource | None:
        return self.resources.get(type_name, {}).get(identifier)

    def visible(self, type_name: str, identifier: str) -> StoredResource | None:
        resource = self.get(type_name, identifier)
        return resource if resource is not None and resource.visible else None

    def of_type(self, type_name: str) -> Iterable[StoredResource]:
        """The type's resources, as a live view (iterate under the lock; nothing is copied)."""
        return self.resources.get(type_name, {}).values()

    def sharing_key(self, type_name: str, model: dict[str, Any]) -> Iterable[StoredResource] | None:
        """The resources whose unique key equals `model`'s; None when the type has no such key."""
        key = self._unique_key(type_name, model)
        if key is None:
            return None
        return self._by_key.get((type_name, key), {}).values()

    def set_unique_key(self, unique_key: UniqueKey) -> None:
        self._unique_key = unique_key
        self._by_key.clear()
        for by_id in self.resources.values():
            for resource in by_id.values():
                self._index(resource)

    def _index(self, resource: StoredResource) -> None:
        key = self._unique_key(resource.type_name, resource.model)
        if key is not None:
            self._by_key.setdefault((resource.type_name, key), {})[resource.identifier] = resource

    def _unindex(self, resource: StoredResource) -> None:
        key = self._unique_key(resource.type_name, resource.model)
        if key is not None:
            peers = self._by_key.get((resource.type_name, key))
            if peers is not None:
                peers.pop(resource.identifier, None)
                if not peers:
                    del self._by_key[(resource.type_name, key)]

    def put(self, resource: StoredResource) -> None:
        self.resources.setdefault(resource.type_name, {})[resource.identifier] = resource
        self._index(resource)
        self._touched_resources.add((resource.type_name, resource.identifier))

    def remove(self, resource: StoredResource) -> None:
        self.resources.get(resource.type_name, {}).pop(resource.identifier, None)
        self._unindex(resource)
        self._touched_resources.add((resource.type_name, resource.identifier))

    def clear(self) -> None:
        self.resources.clear()
        self._by_key.clear()
        self.requests.clear()
        self.client_tokens.clear()
        self._due.clear()
        self._touched_resources.clear()
        self._touched_requests.clear()
        if self._journal is not None:
            self._journal.rewrite([])

    # Persistence.

    def save(self) -> None:
        """Journal what changed since the last save (caller holds the lock)."""
        if self._journal is None or not (self._touched_resources or self._touched_requests):
            return
        records: list[dict[str, Any]] = []
        for type_name, identifier in sorted(self._touched_resources):
            resource = self.get(type_name, identifier)
            records.append({"resource": asdict(resource)} if resource is not None
                           else {"gone": [type_name, identifier]})
        records += [{"request": self.requests[t].to_json()} for t in sorted(self._touched_requests)
                    if t in self.requests]
        self._touched_resources.clear()
        self._touched_requests.clear()
        self._journal.append(records)

    def close(self) -> None:
        with self.lock:
            self.save()
            if self._journal is not None:
                self._journal.close()

    def _snapshot(self) -> Iterator[dict[str, Any]]:
        for by_id in self.resources.values():
            for resource in by_id.values():
                yield {"resource": asdict(resource)}
        for request in self.requests.values():
            yield {"request": request.to_json()}

    def _load(self) -> None:
        assert self.state_file is not None and self._journal is not None
        for record in journal.read(self.state_file):
            if "resource" in record:
                resource = StoredResource(**record["resource"])
                self.resources.setdefault(resource.type_name, {})[resource.identifier] = resource
            elif "gone" in record:
                type_name, identifier = record["gone"]
                self.resources.get(type_name, {}).pop(identifier, None)
            elif "request" in record:
                request = Request.from_json(record["request"])
                self.requests[request.token] = request
        for request in self.requests.values():
            if request.client_token:
                self.client_tokens[request.client_token] = request.token
            if request.status == IN_PROGRESS:
                self._seq += 1
                heapq.heappush(self._due, (request.due, self._seq, request.token))
        self._journal.rewrite(self._snapshot())
