"""Opaque NextToken pages for ListResources and ListResourceRequests.

A token is base64 of a prefix and the last key of the page, so a page boundary survives
resources being added or removed between calls.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from cloudforge.local.protocol import string_member, validation

DEFAULT_PAGE = 100


def page_args(body: dict[str, Any]) -> tuple[int, str | None]:
    size = body.get("MaxResults", DEFAULT_PAGE)
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 100:
        raise validation(
            f"1 validation error detected: Value '{size}' at 'maxResults' failed to satisfy constraint: "
            "Member must have value between 1 and 100"
        )
    token = string_member(body, "NextToken", max_len=4096)
    if token is None:
        return size, None
    try:
        decoded = base64.b64decode(token.encode(), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise validation(f"Invalid NextToken {token!r}") from exc
    if not decoded.startswith(_TOKEN_PREFIX):
        raise validation(f"Invalid NextToken {token!r}")
    return size, decoded.removeprefix(_TOKEN_PREFIX)


# Page tokens are opaque to clients: base64 of this prefix and the last key of the page.
_TOKEN_PREFIX = "cloudforge-page:"


def next_token(key: str) -> str:
    return base64.urlsafe_b64encode((_TOKEN_PREFIX + key).encode()).decode()
