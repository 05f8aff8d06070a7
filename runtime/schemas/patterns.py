"""Registry patterns in the `regex` package's dialect.

Registry schemas write `pattern` in the ECMA/Java dialect (`\\z`, `\\p{L}`, UTF-16 surrogate
pairs); the generated validation and the local cloud's validator both compile them with
`regex`, after `normalize_pattern`, so a value is judged alike on both sides.
"""

from __future__ import annotations

import re

import regex

_SURROGATE_PAIR = re.compile(r"\\u(D[89AB][0-9A-F]{2})\\u(D[C-F][0-9A-F]{2})", re.IGNORECASE)


def _code_point(m: re.Match[str]) -> str:
    high, low = int(m.group(1), 16), int(m.group(2), 16)
    return f"\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08X}"


def normalize_pattern(pattern: str) -> str:
    """An ECMA/Java registry pattern in the `regex` package's dialect: `\\z` is `\\Z` there,
    and UTF-16 surrogate pairs (`\\uD800\\uDC00`) are the code points they encode."""
    pattern = _SURROGATE_PAIR.sub(_code_point, pattern)
    return re.sub(r"(?<!\\)((?:\\\\)*)\\z", r"\1\\Z", pattern)


def pattern_compiles(pattern: str) -> bool:
    """Whether `regex` compiles `pattern` (already normalized); some registry patterns never do."""
    try:
        regex.compile(pattern)
    except (regex.error, ValueError, OverflowError):
        return False
    return True

