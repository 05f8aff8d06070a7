"""The emulator's state: resources by type and identifier, requests by token, client tokens.

One lock guards it all; each API call takes the lock once, settles the requests whose time has
come, then does its work. With a state file the store is written after every change (atomic
rename), so a restarted server loses no resource or request.
"""

from __future__ import annotations

import heapq
import json
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cloudforge.local.requests import CANCEL_COMPLETE, FAILED, IN_PROGRESS, SUCCESS, Request


@dataclass
class StoredResource:
    type_name: str
    identifier: str
    model: dict[str, Any]
    visible: bool  # False while the create that made it is still in progress
    pending: str | None = None  # token of the request in progress on this resource


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
        self.dirty = False
        # Callbacks run (under the lock) when a request settles: (request, resource model or None).
        self.on_settle: list[Any] = []
        if self.state_file is not None and self.state_file.is_file():
            self._load(self.state_file)

    # Requests and their settling.

    def add_request(self, request: Request) -> None:
        self.requests[request.token] = request
        if request.client_token:
            self.client_tokens[request.client_token] = request.token
        self._seq += 1
        heapq.heappush(self._due, (request.due, self._seq, request.token))
        self.dirty = True

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

    def _finish(self, request: Request, status: str, when: float) -> None:
        request.status = status
        request.ended = when
        self.dirty = True
        resource = self.get(request.type_name, request.identifier) if request.identifier else None
        if resource is None or resource.pending != request.token:
            for callback in self.on_settle:
                callback(request, None)
            return
        resource.pending = None
        model: dict[str, Any] | None = None
        if status == SUCCESS:
            if request.operation == "CREATE":
                resource.visible = True
                model = resource.model
            elif request.operation == "UPDATE" and request.new_model is not None:
                resource.model = request.new_model
                model = resource.model
            elif request.operation == "DELETE":
                model = resource.model
                self.remove(resource)
        elif request.operation == "CREATE":
            # A failed or cancelled create leaves nothing behind.
            self.remove(resource)
        if status == SUCCESS:
            request.new_model = None
        for callback in self.on_settle:
            callback(request, model)

    # Resources.

    def get(self, type_name: str, identifier: str) -> StoredResource | None:
        return self.resources.get(type_name, {}).get(identifier)

    def visible(self, type_name: str, identifier: str) -> StoredResource | None:
        resource = self.get(type_name, identifier)
        return resource if resource is not None and resource.visible else None

    def of_type(self, type_name: str) -> list[StoredResource]:
        return list(self.resources.get(type_name, {}).values())

    def put(self, resource: StoredResource) -> None:
        self.resources.setdefault(resource.type_name, {})[resource.identifier] = resource
        self.dirty = True

    def remove(self, resource: StoredResource) -> None:
        self.resources.get(resource.type_name, {}).pop(resource.identifier, None)
        self.dirty = True

    def clear(self) -> None:
        self.resources.clear()
        self.requests.clear()
        self.client_tokens.clear()
        self._due.clear()
        self.dirty = True

    # Persistence.

    def save(self) -> None:
        """Write the state file if anything changed (caller holds the lock)."""
        if self.state_file is None or not self.dirty:
            return
        data = {
            "version": 1,
            "resources": [
                {"type_name": r.type_name, "identifier": r.identifier, "model": r.model,
                 "visible": r.visible, "pending": r.pending}
                for by_id in self.resources.values() for r in by_id.values()
            ],
            "requests": [r.to_json() for r in self.requests.values()],
            "client_tokens": self.client_tokens,
        }
        tmp = self.state_file.with_name(self.state_file.name + f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, self.state_file)
        self.dirty = False

    def _load(self, path: Path) -> None:
        data = json.loads(path.read_text())
        for r in data.get("resources", []):
            self.put(StoredResource(**r))
        for r in data.get("requests", []):
            request = Request.from_json(r)
            self.requests[request.token] = request
            if request.status == IN_PROGRESS:
                self._seq += 1
                heapq.heappush(self._due, (request.due, self._seq, request.token))
        self.client_tokens = dict(data.get("client_tokens", {}))
        self.dirty = False


__all__ = ["FAILED", "Store", "StoredResource"]
