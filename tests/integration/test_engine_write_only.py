"""Write-only properties end to end: never stored in plain text, re-sent, a change noticed.

`AWS::SecretsManager::Secret` keeps `SecretString` write-only (the read handler never returns it).
No generated class exists for it here, so the test declares a small Resource subclass by hand with
the schema's facts: that is a fixture, the engine under test treats it like any generated class.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, ClassVar

import boto3
import pytest
from cloudforge import App
from cloudforge.local import LocalCloud
from cloudforge.local import operations as local_operations
from cloudforge.metadata import TypeMetadata
from cloudforge.resource import Resource
from pydantic import BaseModel

SECRET_VALUE = "correct horse battery staple"


class Secret(Resource):
    metadata: ClassVar[TypeMetadata] = TypeMetadata(
        type_name="AWS::SecretsManager::Secret",
        schema_file="aws-secretsmanager-secret.json",
        primary_identifier=("/Id",),
        read_only=("/Id",),
        create_only=("/Name",),
        write_only=("/SecretString", "/GenerateSecretString"),
        handlers={"create": 120, "read": 120, "update": 120, "delete": 120, "list": 120},
    )

    class Props(BaseModel):
        Name: str | None = None
        Description: str | None = None
        SecretString: str | None = None

    props_model: ClassVar[type[BaseModel]] = Props


def deploy(state_dir: Path, secret: Secret) -> App:
    async def main() -> App:
        async with App("secrets", stage="test", state_dir=state_dir) as app:
            await secret
        return app

    return asyncio.run(main())


def test_write_only_value_is_sent_never_stored_and_its_change_is_noticed(
    local_cloud: LocalCloud, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[tuple[str, Any]] = []
    for operation, field in (("CreateResource", "DesiredState"), ("UpdateResource", "PatchDocument")):
        original = local_operations.OPERATIONS[operation]

        def recording(backend: Any, body: dict[str, Any], _o: Any = original, _n: str = operation, _f: str = field) -> Any:
            sent.append((_n, json.loads(body[_f])))
            return _o(backend, body)

        monkeypatch.setitem(local_operations.OPERATIONS, operation, recording)

    app = deploy(tmp_path, Secret("db", Name="db-password", SecretString=SECRET_VALUE))
    assert [c.action for c in app.changes] == ["create"]
    assert sent[0] == ("CreateResource", {"Name": "db-password", "SecretString": SECRET_VALUE})
    for path in tmp_path.iterdir():  # the state folder: database, WAL, key, locks
        assert SECRET_VALUE.encode() not in path.read_bytes(), path.name

    # Unchanged: no call at all, though the value cannot be read back to compare.
    local_cloud.reset_calls()
    app = deploy(tmp_path, Secret("db", Name="db-password", SecretString=SECRET_VALUE))
    assert [c.action for c in app.changes] == ["noop"]
    assert sum(local_cloud.calls().values()) == 0

    # Rotated: noticed through the keyed hash, sent as a patch, masked in the diff.
    app = deploy(tmp_path, Secret("db", Name="db-password", SecretString="rotated"))
    (change,) = app.changes
    assert change.action == "update"
    assert [(d.path, d.after) for d in change.diff] == [("/SecretString", "(write-only value)")]
    assert sent[-1] == ("UpdateResource", [{"op": "add", "path": "/SecretString", "value": "rotated"}])

    # Another property changes: the write-only value goes along (it cannot be read back).
    deploy(tmp_path, Secret("db", Name="db-password", SecretString="rotated", Description="d"))
    assert sorted(op["path"] for op in sent[-1][1]) == ["/Description", "/SecretString"]
    secret_id = app.changes[0].identifier
    described = boto3.client("cloudcontrol").get_resource(
        TypeName=Secret.metadata.type_name, Identifier=secret_id
    )
    assert "SecretString" not in json.loads(described["ResourceDescription"]["Properties"])
