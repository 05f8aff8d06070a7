"""The Cloud Control wire protocol: JSON 1.0 bodies, `X-Amz-Target` routing, AWS error shapes.

Errors are raised as `ApiError` anywhere in the emulator and turned into the body botocore
expects (`{"__type": code, "message": ...}`, HTTP 400 unless said otherwise) in one place.
"""

from __future__ import annotations

import json
from typing import Any

TARGET_PREFIX = "CloudApiService."
CONTENT_TYPE = "application/x-amz-json-1.0"
# The service model caps DesiredState, ResourceModel and PatchDocument at 256 KiB.
MAX_DOCUMENT = 262144
# Far deeper than any registry schema nests; deeper documents are refused before they are walked.
MAX_DEPTH = 64


class ApiError(Exception):
    """An error answer: the AWS error code, its message and the HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    def body(self) -> bytes:
        # AWS sends both spellings; botocore reads `message` and, for modeled errors, `Message`.
        return json.dumps({"__type": self.code, "message": self.message, "Message": self.message}).encode()


def type_not_found(type_name: str) -> ApiError:
    return ApiError("TypeNotFoundException", f"The type '{type_name}' cannot be found.")


def validation(message: str) -> ApiError:
    return ApiError("ValidationException", message)


def serialization(message: str) -> ApiError:
    return ApiError("SerializationException", message)


def parse_body(raw: bytes) -> dict[str, Any]:
    """The request's JSON object; SerializationException when it is not one."""
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except RecursionError as exc:
        raise serialization("The request body nests too deeply") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise serialization(f"Could not parse the request body as JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise serialization("The request body must be a JSON object")
    return body


def require(body: dict[str, Any], *members: str) -> None:
    """Raise ValidationException, as AWS does, when required members are missing or not strings."""
    missing = [m for m in members if body.get(m) in (None, "")]
    if missing:
        parts = [f"Value null at '{m[0].lower() + m[1:]}' failed to satisfy constraint: Member must not be null" for m in missing]
        raise validation(f"{len(parts)} validation error{'s' if len(parts) > 1 else ''} detected: " + "; ".join(parts))


def string_member(body: dict[str, Any], member: str, *, max_len: int | None = None) -> str | None:
    """A string member of the request, or None; ValidationException for another JSON type or an oversized value."""
    value = body.get(member)
    if value is None:
        return None
    if not isinstance(value, str):
        raise serialization(f"Member {member} must be a string, found {type(value).__name__}")
    if max_len is not None and len(value) > max_len:
        name = member[0].lower() + member[1:]
        raise validation(
            f"1 validation error detected: Value at '{name}' failed to satisfy constraint: "
            f"Member must have length less than or equal to {max_len}"
        )
    return value


def _depth(value: Any) -> int:
    """How deeply `value` nests arrays and objects (iteratively: the value may be hostile)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def json_document(body: dict[str, Any], member: str) -> Any:
    """A member that carries a JSON document as a string (DesiredState, PatchDocument, ResourceModel)."""
    text = string_member(body, member, max_len=MAX_DOCUMENT)
    if text is None:
        return None
    try:
        document = json.loads(text)
    except RecursionError as exc:
        raise validation(f"{member} nests deeper than {MAX_DEPTH} levels") from exc
    except ValueError as exc:
        raise validation(f"{member} is not valid JSON: {exc}") from exc
    # Validation and patching recurse through the document: refuse what no schema describes.
    if _depth(document) > MAX_DEPTH:
        raise validation(f"{member} nests deeper than {MAX_DEPTH} levels")
    return document
