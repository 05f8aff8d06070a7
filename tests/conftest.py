"""Shared fixtures: fake AWS credentials for every test, and the local cloud.

`local_cloud` is one LocalCloud for the whole session (started on first use, on a free port).
Each test that uses it (directly or through another fixture) starts from a clean cloud (`reset()`: no resources, requests, moto state,
call counts or fault rules) and has AWS_ENDPOINT_URL pointing at it, so plain `boto3.client(...)`
and `App(...)` reach it without passing endpoint_url.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from cloudforge.local import LocalCloud

# Set at import, before any boto3 session is made: tests must never find real credentials.
_FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}
os.environ.update(_FAKE_ENV)
for _name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL"):
    os.environ.pop(_name, None)


# Where each source tree sits in the package (setup.py's ROOTS).
_TREES = {"runtime": (), "codegen": ("codegen",), "generated/aws": ("aws",)}


def unlinked_modules(checkout: Path, package: Path) -> list[str]:
    """Modules of the checkout missing from the editable install's link tree at `package`."""
    missing = []
    for tree, prefix in _TREES.items():
        for source in (checkout / tree).rglob("*.py"):
            linked = package.joinpath(*prefix, *source.relative_to(checkout / tree).parts)
            if not linked.exists():
                missing.append(source.relative_to(checkout).as_posix())
    return sorted(missing)


def pytest_sessionstart(session: pytest.Session) -> None:
    """A module added since the strict editable install was linked cannot be imported: say how
    to fix it once, instead of as ModuleNotFoundErrors scattered over the run.

    Also: a suite started in the background by a shell (`make test &`) inherits SIGINT ignored,
    and so would every CLI it starts, which then cannot be interrupted by the tests that send
    Ctrl-C to it. A handler here (rather than "ignored") makes the children start with the
    default disposition, as they do from a terminal or CI.
    """
    import signal

    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    import cloudforge

    package = Path(cloudforge.__file__ or "").parent
    if "__editable__" not in str(package):
        return  # a regular install or a plain path entry: nothing to re-link
    missing = unlinked_modules(session.config.rootpath, package)
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        pytest.exit(f"not in the editable install yet: {shown}. Run `make relink`.", returncode=4)


@pytest.fixture(scope="session")
def local_cloud() -> Iterator[LocalCloud]:
    """One LocalCloud for the session (no latency, seeded); reset before each test that uses it."""
    from cloudforge.local import LocalCloud

    with LocalCloud(port=0, latency=0.0, seed=1234) as cloud:
        yield cloud


@pytest.fixture(autouse=True)
def _fresh_local_cloud(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test that uses `local_cloud` gets it clean and has AWS_ENDPOINT_URL pointing at it."""
    if "local_cloud" not in request.fixturenames:
        return
    cloud = request.getfixturevalue("local_cloud")
    cloud.reset()
    monkeypatch.setenv("AWS_ENDPOINT_URL", cloud.endpoint_url)


@pytest.fixture(autouse=True)
def _private_account_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test (and the CLI processes it starts) has its own account cache
    (cloudforge.cloud.target), empty: never the user's, never another test's."""
    monkeypatch.setenv("CLOUDFORGE_CACHE_DIR", str(tmp_path_factory.mktemp("accounts")))
    from cloudforge.cloud import target

    monkeypatch.setattr(target, "_ACCOUNTS", {})


# Whole folders of long suites: every registry type, crashes, faults and fuzzing.
SLOW_FOLDERS = ("registry", "robustness")
# A slow test's only time limit is a guard against a hang, never a judgement of speed: on a
# loaded 2-core machine a cold-cache regeneration of the whole registry takes many minutes.
SLOW_TIMEOUT = 3600


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the long suites `slow` (`make test` still runs them; `make test-fast` leaves them
    out) and give them the hang guard above instead of the default per-test timeout."""
    tests_root = config.rootpath / "tests"
    for item in items:
        parts = item.path.relative_to(tests_root).parts if item.path.is_relative_to(tests_root) else ()
        if parts and parts[0] in SLOW_FOLDERS:
            item.add_marker(pytest.mark.slow)
        if item.get_closest_marker("slow") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(SLOW_TIMEOUT))
