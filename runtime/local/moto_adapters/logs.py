"""AWS::Logs::LogGroup in moto's CloudWatch Logs: retention, KMS key, tags."""

from __future__ import annotations

from typing import Any

from cloudforge.local.moto_adapters import Adapter, Api, Model, name_for, tags_of


def _arn(api: Api, name: str) -> str:
    return f"arn:aws:logs:{api.region}:{api.account}:log-group:{name}:*"


def create(api: Api, model: Model) -> Model:
    name = model.get("LogGroupName") or name_for(api, "log-group", 512)
    logs = api.client("logs")
    args: dict[str, Any] = {"logGroupName": name}
    if model.get("KmsKeyId"):
        args["kmsKeyId"] = model["KmsKeyId"]
    if model.get("Tags"):
        args["tags"] = tags_of(model)
    logs.create_log_group(**args)
    if model.get("RetentionInDays"):
        logs.put_retention_policy(logGroupName=name, retentionInDays=int(model["RetentionInDays"]))
    return {**model, "LogGroupName": name, "Arn": _arn(api, name)}


def read(api: Api, name: str) -> Model | None:
    logs = api.client("logs")
    groups = logs.describe_log_groups(logGroupNamePrefix=name).get("logGroups", [])
    group = next((g for g in groups if g["logGroupName"] == name), None)
    if group is None:
        return None
    model: Model = {"LogGroupName": name, "Arn": _arn(api, name)}
    if group.get("retentionInDays"):
        model["RetentionInDays"] = group["retentionInDays"]
    if group.get("kmsKeyId"):
        model["KmsKeyId"] = group["kmsKeyId"]
    tags = logs.list_tags_for_resource(resourceArn=_arn(api, name).removesuffix(":*")).get("tags", {})
    if tags:
        model["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
    return model


def update(api: Api, name: str, old: Model, new: Model) -> None:
    logs = api.client("logs")
    if old.get("RetentionInDays") != new.get("RetentionInDays"):
        if new.get("RetentionInDays"):
            logs.put_retention_policy(logGroupName=name, retentionInDays=int(new["RetentionInDays"]))
        else:
            logs.delete_retention_policy(logGroupName=name)
    arn = _arn(api, name).removesuffix(":*")
    old_tags, new_tags = tags_of(old), tags_of(new)
    gone = [k for k in old_tags if k not in new_tags]
    if gone:
        logs.untag_resource(resourceArn=arn, tagKeys=gone)
    if new_tags and new_tags != old_tags:
        logs.tag_resource(resourceArn=arn, tags=new_tags)


def delete(api: Api, name: str) -> None:
    if read(api, name) is not None:
        api.client("logs").delete_log_group(logGroupName=name)


def list_(api: Api) -> list[str]:
    return [g["logGroupName"] for g in api.client("logs").describe_log_groups().get("logGroups", [])]


ADAPTERS = {"AWS::Logs::LogGroup": Adapter(create=create, read=read, update=update, delete=delete, list=list_)}
