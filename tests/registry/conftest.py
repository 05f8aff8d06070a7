"""Registry checks: the seeds of the rotating samples are printed in pytest's header, so a
failing run can be repeated (CLOUDFORGE_FIDELITY_SEED, CLOUDFORGE_REGISTRY_SEED)."""

from __future__ import annotations

import pytest


def pytest_report_header(config: pytest.Config) -> list[str]:
    from registry_samples import fidelity_seed, registry_seed

    return [
        f"registry sample seed: {registry_seed()} (CLOUDFORGE_REGISTRY_SEED to repeat)",
        f"fidelity sample seed: {fidelity_seed()} (CLOUDFORGE_FIDELITY_SEED to repeat)",
    ]
