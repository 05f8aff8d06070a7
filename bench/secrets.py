"""Figure 6: offline guessing of a write-only value from its hash in state (issue 12).

An attacker holding the state and its key tests candidate passwords against a stored hash. The
baseline is the hash cloudforge stored before (one unsalted HMAC-SHA256 per guess); cloudforge's
is today's (HMAC, then scrypt n=2**13, r=8 with the stored salt). Both run the same guessing loop
in this process, on one core, for a fixed number of guesses each.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from cloudforge.cloud.tokens import canonical_json
from cloudforge.engine import hashing

from bench.report import Row, Section

KEY = bytes(32)


def legacy_hash(value: str) -> str:
    return hmac.new(KEY, canonical_json(value).encode(), hashlib.sha256).hexdigest()


def guesses_per_second(check: object, count: int) -> float:
    start = time.perf_counter()
    for i in range(count):
        check(f"guess-{i}")  # type: ignore[operator]
    return count / (time.perf_counter() - start)


def measure(quick: bool = False) -> Section:
    stored = hashing.hash_value("the real password", KEY)
    salt = bytes.fromhex(stored[len(hashing.PREFIX) :].split(":")[0])
    before = guesses_per_second(legacy_hash, 20_000 if quick else 200_000)
    after = guesses_per_second(
        lambda g: hashing.hash_value(g, KEY, salt), 10 if quick else 40
    )
    return Section(
        "11. Write-only hashes",
        "Guesses per second an offline attacker with state and key makes against one stored "
        "hash, on one core: the unsalted HMAC-SHA256 stored before issue 12 against today's "
        "salted scrypt (n=2**13, r=8).",
        baselines=["HMAC-SHA256 (before)"],
        rows=[
            Row(
                "guesses per second",
                after,
                {"HMAC-SHA256 (before)": before},
                note=f"{before / after:,.0f}x fewer guesses per second",
                key={"figure": "secret-guesses"},
            )
        ],
    )


if __name__ == "__main__":
    section = measure()
    row = section.rows[0]
    print(f"{row.measure}: scrypt {row.value:,.1f}, before {row.baselines['HMAC-SHA256 (before)']:,.0f} ({row.note})")
