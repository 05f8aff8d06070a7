"""AWS::KMS::Key in moto's KMS: description, usage, spec, policy, rotation, enabled, tags.

KMS generates the key id (a restore gets the stored one back through `generated_id`). Deleting schedules the deletion (7 days at least, as AWS does); a key
pending deletion is gone for Cloud Control.
"""

from __future__ import annotations

import json
from typing import Any

from cloudforge.local.moto_adapters import Adapter, Api, Model, error_code, generated_id


def _tags(model: Model) -> list[dict[str, str]]:
    return [{"TagKey": t["Key"], "TagValue": t.get("Value", "")} for t in model.get("Tags") or []]


def create(api: Api, model: Model) -> Model:
    client = api.client("kms")
    args: dict[str, Any] = {}
    for key in ("Description", "KeyUsage", "KeySpec", "MultiRegion", "Origin"):
        if key in model:
            args[key] = model[key]
    if "KeyPolicy" in model:
        args["Policy"] = model["KeyPolicy"] if isinstance(model["KeyPolicy"], str) else json.dumps(model["KeyPolicy"])
    if model.get("Tags"):
        args["Tags"] = _tags(model)
    with generated_id("moto.kms.models", "generate_key_id", model.get("KeyId")):
        key = client.create_key(**args)["KeyMetadata"]
    if model.get("EnableKeyRotation"):
        client.enable_key_rotation(KeyId=key["KeyId"])
    if model.get("Enabled") is False:
        client.disable_key(KeyId=key["KeyId"])
    return {**model, "KeyId": key["KeyId"], "Arn": key["Arn"]}


def read(api: Api, key_id: str) -> Model | None:
    client = api.client("kms")
    try:
        key = client.describe_key(KeyId=key_id)["KeyMetadata"]
    except Exception as exc:
        if error_code(exc) in ("NotFoundException", "InvalidArnException"):
            return None
        raise
    if key.get("KeyState") == "PendingDeletion":
        return None
    model: Model = {"KeyId": key["KeyId"], "Arn": key["Arn"], "Enabled": key["Enabled"], "KeyUsage": key.get("KeyUsage", "ENCRYPT_DECRYPT"),
                    "KeySpec": key.get("KeySpec", "SYMMETRIC_DEFAULT"), "MultiRegion": key.get("MultiRegion", False),
                    "Description": key.get("Description", "")}
    policy = client.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]
    model["KeyPolicy"] = json.loads(policy)
    if model["KeyUsage"] == "ENCRYPT_DECRYPT" and model["KeySpec"] == "SYMMETRIC_DEFAULT":
        model["EnableKeyRotation"] = client.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"]
    tags = client.list_resource_tags(KeyId=key_id).get("Tags", [])
    if tags:
        model["Tags"] = [{"Key": t["TagKey"], "Value": t["TagValue"]} for t in tags]
    return model


def update(api: Api, key_id: str, old: Model, new: Model) -> None:
    client = api.client("kms")
    if old.get("Description") != new.get("Description"):
        client.update_key_description(KeyId=key_id, Description=new.get("Description", ""))
    if old.get("KeyPolicy") != new.get("KeyPolicy") and "KeyPolicy" in new:
        policy = new["KeyPolicy"]
        client.put_key_policy(KeyId=key_id, PolicyName="default", Policy=policy if isinstance(policy, str) else json.dumps(policy))
    if old.get("EnableKeyRotation") != new.get("EnableKeyRotation"):
        (client.enable_key_rotation if new.get("EnableKeyRotation") else client.disable_key_rotation)(KeyId=key_id)
    if old.get("Enabled", True) != new.get("Enabled", True):
        (client.enable_key if new.get("Enabled", True) else client.disable_key)(KeyId=key_id)
    old_tags = {t["Key"]: t.get("Value") for t in old.get("Tags") or []}
    new_tags = {t["Key"]: t.get("Value") for t in new.get("Tags") or []}
    gone = [k for k in old_tags if k not in new_tags]
    if gone:
        client.untag_resource(KeyId=key_id, TagKeys=gone)
    if new_tags and new_tags != old_tags:
        client.tag_resource(KeyId=key_id, Tags=_tags(new))


def delete(api: Api, key_id: str) -> None:
    if read(api, key_id) is not None:
        api.client("kms").schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)


def list_(api: Api) -> list[str]:
    client = api.client("kms")
    ids = [k["KeyId"] for page in client.get_paginator("list_keys").paginate() for k in page["Keys"]]
    return [key_id for key_id in ids if client.describe_key(KeyId=key_id)["KeyMetadata"].get("KeyState") != "PendingDeletion"]


ADAPTERS = {"AWS::KMS::Key": Adapter(create=create, read=read, update=update, delete=delete, list=list_)}
