"""Resource requests: what was asked, how it ends, and the ProgressEvent a client sees.

A request's outcome is decided when it is submitted; it becomes visible once its latency has
passed, computed on read from the start time, so no background thread is needed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from cloudforge.local.hints import RetryAfter

IN_PROGRESS = "IN_PROGRESS"
SUCCESS = "SUCCESS"
FAILED = "FAILED"
CANCEL_COMPLETE = "CANCEL_COMPLETE"
FINAL = frozenset({SUCCESS, FAILED, CANCEL_COMPLETE})


@dataclass
class Request:
    token: str
    operation: str  # CREATE | UPDATE | DELETE
    type_name: str
    identifier: str | None  # the resource's identifier once known
    show_identifier: bool  # whether the IN_PROGRESS event carries it (known up front)
    start: float
    due: float
    outcome: str  # SUCCESS | FAILED: what the request ends as
    error_code: str | None = None
    status_message: str | None = None
    client_token: str | None = None
    fingerprint: str = ""
    status: str = IN_PROGRESS  # settled status; IN_PROGRESS until settled
    ended: float | None = None
    new_model: dict[str, Any] | None = None  # create/update: the model to install on success

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Request:
        return cls(**data)

    def progress_event(self, now: float, hints: RetryAfter | None) -> dict[str, Any]:
        """The ProgressEvent for this request, as GetResourceRequestStatus shows it.

        AWS's answers to Create/Update/Delete carry no RetryAfter (`hints=None`); status reads
        and ListResourceRequests do, while the request is in progress, as `hints` says.
        """
        event: dict[str, Any] = {
            "TypeName": self.type_name,
            "RequestToken": self.token,
            "Operation": self.operation,
            "OperationStatus": self.status,
            "EventTime": self.ended if self.ended is not None else self.start,
        }
        if self.identifier is not None and (self.status != IN_PROGRESS or self.show_identifier):
            event["Identifier"] = self.identifier
        hint = hints.hint(self.start, self.due, now) if hints is not None else None
        if self.status == IN_PROGRESS and hint is not None:
            event["RetryAfter"] = hint
        if self.status == FAILED:
            event["ErrorCode"] = self.error_code or "InternalFailure"
            event["StatusMessage"] = self.status_message or ""
        return event
