"""The rotating samples of registry types the CI checks, seeded by the date (or by environment
variables, to repeat a run), so every day covers other types and any failure can be replayed."""

from __future__ import annotations

import datetime
import os
import random

from cloudforge.schemas.loading import cfn_lint_bundle


def _date_seed() -> int:
    return int(datetime.date.today().strftime("%Y%m%d"))


def registry_seed() -> int:
    return int(os.environ.get("CLOUDFORGE_REGISTRY_SEED") or _date_seed())


def fidelity_seed() -> int:
    return int(os.environ.get("CLOUDFORGE_FIDELITY_SEED") or _date_seed())


def pick(names: list[str], size: int, seed: int) -> list[str]:
    return sorted(random.Random(seed).sample(sorted(names), size))


def all_types() -> list[str]:
    return sorted(cfn_lint_bundle())
