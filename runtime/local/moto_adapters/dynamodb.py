"""AWS::DynamoDB::Table in moto's DynamoDB: keys, indexes, billing, streams, TTL, tags."""

from __future__ import annotations

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

_COPIED = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "LocalSecondaryIndexes",
           "ProvisionedThroughput", "BillingMode", "StreamSpecification", "SSESpecification", "TableClass",
           "DeletionProtectionEnabled")


def create(api: Api, model: Model) -> Model:
    name = model.get("TableName") or name_for(api, "table", 255)
    args: dict[str, Any] = {"TableName": name, **{k: model[k] for k in _COPIED if k in model}}
    args.setdefault("BillingMode", "PROVISIONED" if "ProvisionedThroughput" in model else "PAY_PER_REQUEST")
    if args.get("SSESpecification"):
        args["SSESpecification"] = {k.replace("SSEEnabled", "Enabled"): v for k, v in args["SSESpecification"].items()}
    if model.get("Tags"):
        args["Tags"] = tag_list(tags_of(model))
    client = api.client("dynamodb")
    table = client.create_table(**args)["TableDescription"]
    if model.get("TimeToLiveSpecification", {}).get("Enabled"):
        client.update_time_to_live(TableName=name, TimeToLiveSpecification=model["TimeToLiveSpecification"])
    found = {"TableName": name, "Arn": table["TableArn"]}
    if table.get("LatestStreamArn"):
        found["StreamArn"] = table["LatestStreamArn"]
    return {**model, **found}


def read(api: Api, name: str) -> Model | None:
    client = api.client("dynamodb")
    try:
        table = client.describe_table(TableName=name)["Table"]
    except Exception as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return None
        raise
    model: Model = {"TableName": name, "Arn": table["TableArn"], "KeySchema": table.get("KeySchema", []),
                    "AttributeDefinitions": table.get("AttributeDefinitions", [])}
    billing = table.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
    model["BillingMode"] = billing
    throughput = table.get("ProvisionedThroughput", {})
    if billing == "PROVISIONED" and throughput:
        model["ProvisionedThroughput"] = {k: throughput[k] for k in ("ReadCapacityUnits", "WriteCapacityUnits") if k in throughput}
    if table.get("LatestStreamArn"):
        model["StreamArn"] = table["LatestStreamArn"]
        model["StreamSpecification"] = {"StreamViewType": table["StreamSpecification"]["StreamViewType"]}
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if table.get(key):
            model[key] = [{k: index[k] for k in ("IndexName", "KeySchema", "Projection") if k in index} for index in table[key]]
    if "DeletionProtectionEnabled" in table:
        model["DeletionProtectionEnabled"] = table["DeletionProtectionEnabled"]
    tags = client.list_tags_of_resource(ResourceArn=table["TableArn"]).get("Tags", [])
    if tags:
        model["Tags"] = tag_list({t["Key"]: t["Value"] for t in tags})
    return model


def update(api: Api, name: str, old: Model, new: Model) -> None:
    client = api.client("dynamodb")
    args: dict[str, Any] = {}
    for key in ("BillingMode", "ProvisionedThroughput", "StreamSpecification", "DeletionProtectionEnabled", "TableClass"):
        if old.get(key) != new.get(key) and key in new:
            args[key] = new[key]
    if args:
        client.update_table(TableName=name, **args)
    arn = f"arn:aws:dynamodb:{api.region}:{api.account}:table/{name}"
    old_tags, new_tags = tags_of(old), tags_of(new)
    gone = [k for k in old_tags if k not in new_tags]
    if gone:
        client.untag_resource(ResourceArn=arn, TagKeys=gone)
    if new_tags and new_tags != old_tags:
        client.tag_resource(ResourceArn=arn, Tags=tag_list(new_tags))


def delete(api: Api, name: str) -> None:
    if read(api, name) is not None:
        api.client("dynamodb").delete_table(TableName=name)


def list_(api: Api) -> list[str]:
    client = api.client("dynamodb")
    return [n for page in client.get_paginator("list_tables").paginate() for n in page["TableNames"]]


ADAPTERS = {"AWS::DynamoDB::Table": Adapter(create=create, read=read, update=update, delete=delete, list=list_)}
