"""AWS::SQS::Queue in moto's SQS: attributes, redrive policies and tags; QueueUrl as AWS spells it."""

from __future__ import annotations

import json
from typing import Any

from cloudforge.local.moto_adapters import (
    Adapter,
    AdapterError,
    Api,
    Model,
    error_code,
    name_for,
    tags_of,
)

_INTEGERS = ("DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod", "ReceiveMessageWaitTimeSeconds",
             "VisibilityTimeout", "KmsDataKeyReusePeriodSeconds")
_BOOLEANS = ("FifoQueue", "ContentBasedDeduplication", "SqsManagedSseEnabled")
_STRINGS = ("KmsMasterKeyId", "DeduplicationScope", "FifoThroughputLimit")
_JSON = ("RedrivePolicy", "RedriveAllowPolicy")
_MISSING = {"AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"}


def _url(api: Api, name: str) -> str:
    return f"https://sqs.{api.region}.amazonaws.com/{api.account}/{name}"


def _attributes(model: Model, create: bool) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in (*_INTEGERS, *_STRINGS):
        if name in model:
            out[name] = str(model[name])
    for name in _BOOLEANS:
        if name in model and (create or name != "FifoQueue"):
            out[name] = "true" if model[name] else "false"
    for name in _JSON:
        if name in model:
            out[name] = model[name] if isinstance(model[name], str) else json.dumps(model[name])
    return out


def create(api: Api, model: Model) -> Model:
    name = model.get("QueueName") or name_for(api, "queue", 75) + (".fifo" if model.get("FifoQueue") else "")
    if read(api, _url(api, name)) is not None:  # SQS answers a same-named create with the queue it has
        raise AdapterError("AlreadyExists", f"Resource of type 'AWS::SQS::Queue' with identifier '{name}' already exists.")
    args: dict[str, Any] = {"QueueName": name, "Attributes": _attributes(model, create=True)}
    if model.get("Tags"):
        args["tags"] = tags_of(model)
    api.client("sqs").create_queue(**args)
    return {**model, "QueueName": name, "QueueUrl": _url(api, name),
            "Arn": f"arn:aws:sqs:{api.region}:{api.account}:{name}"}


def read(api: Api, url: str) -> Model | None:
    name = url.rstrip("/").rsplit("/", 1)[-1]
    if url != _url(api, name):
        return None
    sqs = api.client("sqs")
    try:
        moto_url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=moto_url, AttributeNames=["All"])["Attributes"]
    except Exception as exc:
        if error_code(exc) in _MISSING:
            return None
        raise
    model: Model = {"QueueName": name, "QueueUrl": url, "Arn": attributes.get("QueueArn")}
    for key in _INTEGERS:
        if key in attributes:
            model[key] = int(attributes[key])
    for key in _BOOLEANS:
        if key in attributes:
            model[key] = attributes[key] == "true"
    for key in _STRINGS:
        if attributes.get(key):
            model[key] = attributes[key]
    for key in _JSON:
        if attributes.get(key):
            model[key] = json.loads(attributes[key])
    tags = sqs.list_queue_tags(QueueUrl=moto_url).get("Tags", {})
    if tags:
        model["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
    return model


def update(api: Api, url: str, old: Model, new: Model) -> None:
    sqs = api.client("sqs")
    moto_url = sqs.get_queue_url(QueueName=url.rsplit("/", 1)[-1])["QueueUrl"]
    attributes = _attributes(new, create=False)
    # What the template no longer sets goes back to SQS's default, as CloudFormation does.
    defaults = {"DelaySeconds": "0", "MaximumMessageSize": "262144", "MessageRetentionPeriod": "345600",
                "ReceiveMessageWaitTimeSeconds": "0", "VisibilityTimeout": "30", "RedrivePolicy": "",
                "RedriveAllowPolicy": ""}
    for key, value in defaults.items():
        if key in old and key not in new:
            attributes[key] = value
    if attributes:
        sqs.set_queue_attributes(QueueUrl=moto_url, Attributes=attributes)
    old_tags, new_tags = tags_of(old), tags_of(new)
    gone = [k for k in old_tags if k not in new_tags]
    if gone:
        sqs.untag_queue(QueueUrl=moto_url, TagKeys=gone)
    if new_tags and new_tags != old_tags:
        sqs.tag_queue(QueueUrl=moto_url, Tags=new_tags)


def delete(api: Api, url: str) -> None:
    sqs = api.client("sqs")
    try:
        sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=url.rsplit("/", 1)[-1])["QueueUrl"])
    except Exception as exc:
        if error_code(exc) not in _MISSING:
            raise


def list_(api: Api) -> list[str]:
    urls = api.client("sqs").list_queues().get("QueueUrls", [])
    return [_url(api, u.rstrip("/").rsplit("/", 1)[-1]) for u in urls]


ADAPTERS = {"AWS::SQS::Queue": Adapter(create=create, read=read, update=update, delete=delete, list=list_)}
