"""AWS::SecretsManager::Secret in moto's Secrets Manager: the value (given or generated), KMS key, tags."""

from __future__ import annotations

import string
from typing import Any

from cloudforge.local.moto_adapters import (
    Adapter,
    Api,
    Model,
    error_code,
    name_for,
    tag_list,
    tags_of,
)

_CUSTOM_ID = "_custom_id_"


def _generated(api: Api, spec: Model) -> str:
    """A value as GenerateSecretString asks (length, exclusions); in a template, a JSON key for it."""
    alphabet = string.ascii_letters + string.digits + ("" if spec.get("ExcludePunctuation") else "!#$%&()*+,-.:;<=>?@[]^_{|}~")
    excluded = set(spec.get("ExcludeCharacters", ""))
    if spec.get("ExcludeNumbers"):
        excluded |= set(string.digits)
    if spec.get("ExcludeUppercase"):
        excluded |= set(string.ascii_uppercase)
    if spec.get("ExcludeLowercase"):
        excluded |= set(string.ascii_lowercase)
    pool = [c for c in alphabet if c not in excluded] or list(string.ascii_letters)
    value = "".join(api.rng.choice(pool) for _ in range(int(spec.get("PasswordLength", 32))))
    template, key = spec.get("SecretStringTemplate"), spec.get("GenerateStringKey")
    if template and key:
        import json

        return json.dumps({**json.loads(template), key: value})
    return value


def create(api: Api, model: Model) -> Model:
    name = model.get("Name") or name_for(api, "secret", 512)
    args: dict[str, Any] = {"Name": name}
    if "SecretString" in model:
        args["SecretString"] = model["SecretString"]
    elif isinstance(model.get("GenerateSecretString"), dict):
        args["SecretString"] = _generated(api, model["GenerateSecretString"])
    for key in ("Description", "KmsKeyId"):
        if model.get(key):
            args[key] = model[key]
    tags = tags_of(model)
    restoring = str(model.get("Id", "")).startswith(f"arn:aws:secretsmanager:{api.region}:{api.account}:secret:{name}-")
    if restoring:  # the same ARN again (its random suffix), through moto's custom-id tag
        tags[_CUSTOM_ID] = str(model["Id"]).rsplit("-", 1)[-1]
    if tags:
        args["Tags"] = tag_list(tags)
    client = api.client("secretsmanager")
    arn = client.create_secret(**args)["ARN"]
    if restoring:
        client.untag_resource(SecretId=arn, TagKeys=[_CUSTOM_ID])
    return {**model, "Name": name, "Id": arn}


def read(api: Api, arn: str) -> Model | None:
    try:
        secret = api.client("secretsmanager").describe_secret(SecretId=arn)
    except Exception as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return None
        raise
    if secret.get("DeletedDate"):
        return None
    model: Model = {"Id": secret["ARN"], "Name": secret["Name"]}
    for key in ("Description", "KmsKeyId"):
        if secret.get(key):
            model[key] = secret[key]
    if secret.get("Tags"):
        model["Tags"] = tag_list({t["Key"]: t["Value"] for t in secret["Tags"]})
    return model


def update(api: Api, arn: str, old: Model, new: Model) -> None:
    client = api.client("secretsmanager")
    args: dict[str, Any] = {}
    if "SecretString" in new and new.get("SecretString") != old.get("SecretString"):
        args["SecretString"] = new["SecretString"]
    for key in ("Description", "KmsKeyId"):
        if new.get(key) != old.get(key) and new.get(key):
            args[key] = new[key]
    if args:
        client.update_secret(SecretId=arn, **args)
    old_tags, new_tags = tags_of(old), tags_of(new)
    gone = [k for k in old_tags if k not in new_tags]
    if gone:
        client.untag_resource(SecretId=arn, TagKeys=gone)
    if new_tags and new_tags != old_tags:
        client.tag_resource(SecretId=arn, Tags=tag_list(new_tags))


def delete(api: Api, arn: str) -> None:
    if read(api, arn) is not None:
        # CloudFormation deletes without the recovery window, so the name is free again at once.
        api.client("secretsmanager").delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)


def list_(api: Api) -> list[str]:
    client = api.client("secretsmanager")
    return [s["ARN"] for page in client.get_paginator("list_secrets").paginate() for s in page["SecretList"]]


ADAPTERS = {"AWS::SecretsManager::Secret": Adapter(create=create, read=read, update=update, delete=delete, list=list_)}
