"""The embedded state store: records, generations, file modes, the per-stage lock; ClientTokens."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cloudforge import App
from cloudforge.cloud.tokens import client_token
from cloudforge.errors import StateLockedError
from cloudforge.state.sqlite import ResourceRecord, SqliteState


def record(logical_id: str = "a", **changes: object) -> ResourceRecord:
    base = ResourceRecord(
        logical_id=logical_id,
        type_name="AWS::Connect::SecurityProfile",
        identifier="arn:x",
        declared={"SecurityProfileName": "n", "Permissions": ["p"]},
        properties={"SecurityProfileArn": "arn:x", "SecurityProfileName": "n"},
        created_seq=1,
    )
    for key, value in changes.items():
        setattr(base, key, value)
    return base


def test_records_round_trip_per_stage(tmp_path: Path) -> None:
    state = SqliteState(tmp_path)
    pending = record(
        "b", status="pending", pending_operation="update", pending_token="rt", pending_declared={"X": 1}
    )
    state.put("app/dev", record())
    state.put("app/dev", pending)
    state.put("app/prod", record("c"))
    state.close()

    reopened = SqliteState(tmp_path)
    loaded = reopened.load("app/dev")
    assert set(loaded.records) == {"a", "b"}
    assert loaded.records["a"] == record()
    assert loaded.records["b"] == pending
    assert set(reopened.load("app/prod").records) == {"c"}
    assert reopened.stages() == ["app/dev", "app/prod"]


def test_generations_outlive_removed_records(tmp_path: Path) -> None:
    state = SqliteState(tmp_path)
    state.put("s", record())
    state.set_generation("s", "a", 3)
    state.remove("s", "a")
    loaded = state.load("s")
    assert loaded.records == {}
    assert loaded.generations == {"a": 3}


def test_files_are_private(tmp_path: Path) -> None:
    state = SqliteState(tmp_path / "st")
    key = state.secret()  # made while the store is empty (as the engine asks, before any put)
    state.put("s", record())
    assert len(key) == 32
    assert stat.S_IMODE(os.stat(tmp_path / "st").st_mode) == 0o700
    for name in ("state.db", "key"):
        assert stat.S_IMODE(os.stat(tmp_path / "st" / name).st_mode) == 0o600
    state.close()
    assert SqliteState(tmp_path / "st").secret() == key  # stable across opens


def test_default_location_is_dot_cloudforge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    SqliteState().close()
    assert (tmp_path / ".cloudforge" / "state.db").exists()


def test_second_writer_fails_fast_naming_the_holder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = SqliteState(tmp_path), SqliteState(tmp_path)
    first.lock("app/dev")

    def no_waiting(seconds: float) -> None:
        raise AssertionError(f"the second writer waited ({seconds} s) instead of failing")

    # Fails while the first still holds the lock (so it did not wait for it), and never sleeps.
    monkeypatch.setattr(time, "sleep", no_waiting)
    with pytest.raises(StateLockedError) as caught:
        second.lock("app/dev")
    monkeypatch.undo()
    message = str(caught.value)
    assert f"pid {os.getpid()}" in message and socket.gethostname() in message
    assert "app/dev" in message
    second.lock("app/prod")  # other stages are independent
    assert second.holder("app/dev") == message.split("locked by ")[1].split(";")[0]
    first.unlock("app/dev")
    assert second.holder("app/dev") is None
    second.lock("app/dev")


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    script = (
        "import sys, time; from cloudforge.state.sqlite import SqliteState; "
        f"s = SqliteState({str(tmp_path)!r}); s.lock('app/dev'); print('locked', flush=True); "
        "time.sleep(60)"
    )
    holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(StateLockedError, match=f"pid {holder.pid}"):
            SqliteState(tmp_path).lock("app/dev")
    finally:
        holder.kill()
        holder.wait()
    SqliteState(tmp_path).lock("app/dev")


def test_concurrent_apps_on_one_stage(tmp_path: Path) -> None:
    async def main() -> None:
        async with App("shop", stage="dev", state_dir=tmp_path):
            with pytest.raises(StateLockedError, match="pid"):
                async with App("shop", stage="dev", state_dir=tmp_path):
                    pass
            async with App("shop", stage="prod", state_dir=tmp_path):
                pass
        async with App("shop", stage="dev", state_dir=tmp_path):  # released on exit
            pass

    asyncio.run(main())


def test_stage_and_phase_defaults_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFORGE_STAGE", "ci")
    monkeypatch.setenv("CLOUDFORGE_PHASE", "plan")
    monkeypatch.setenv("CLOUDFORGE_REFRESH", "1")
    app = App("x")
    assert (app.stage, app.phase, app.refresh) == ("ci", "plan", True)
    app = App("x", stage="s", phase="destroy", refresh=False)
    assert (app.stage, app.phase, app.refresh) == ("s", "destroy", False)


# -- ClientTokens --------------------------------------------------------------------------------

KEY = b"k" * 32
BASE = dict(stage="app/dev", logical_id="a", operation="create", desired={"N": 1}, attempt=0, generation=0)


def test_client_token_is_deterministic_and_valid() -> None:
    token = client_token(KEY, **BASE)  # type: ignore[arg-type]
    assert token == client_token(KEY, **BASE)  # type: ignore[arg-type]
    assert re.fullmatch(r"[-A-Za-z0-9+/=]{1,128}", token)


@pytest.mark.parametrize(
    "change",
    [
        {"stage": "app/prod"},
        {"logical_id": "b"},
        {"operation": "update"},
        {"desired": {"N": 2}},
        {"attempt": 1},
        {"generation": 1},
        {"identifier": "arn:x"},
    ],
)
def test_client_token_changes_with_every_input(change: dict[str, object]) -> None:
    assert client_token(KEY, **{**BASE, **change}) != client_token(KEY, **BASE)  # type: ignore[arg-type]


def test_client_token_is_keyed() -> None:
    assert client_token(b"x" * 32, **BASE) != client_token(KEY, **BASE)  # type: ignore[arg-type]
