"""AWS::SNS::Topic in moto's SNS: display name, FIFO, KMS key, tags."""

from __future__ import annotations

from typing import Any

from cloudforge.local.moto_adapters import (
    Adapter,
    AdapterError,
    Api,
    Model,
    error_code,
    name_for,
    tag_list,
    tags_of,
)

_ATTRIBUTES = {"DisplayName": "DisplayName", "KmsMasterKeyId": "KmsMasterKeyId",
               "ContentBasedDeduplication": "ContentBasedDeduplication", "SignatureVersion": "SignatureVersion",
               "TracingConfig": "TracingConfig", "FifoThroughputScope": "FifoThroughputScope"}


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def create(api: Api, model: Model) -> Model:
    name = model.get("TopicName") or name_for(api, "topic", 250) + (".fifo" if model.get("FifoTopic") else "")
    if read(api, f"arn:aws:sns:{api.region}:{api.account}:{name}") is not None:  # SNS: a same-named create is a no-op
        raise AdapterError("AlreadyExists", f"Resource of type 'AWS::SNS::Topic' with identifier '{name}' already exists.")
    attributes = {k: _text(model[k]) for k in _ATTRIBUTES if k in model}
    if model.get("FifoTopic"):
        attributes["FifoTopic"] = "true"
    args: dict[str, Any] = {"Name": name, "Attributes": attributes}
    if model.get("Tags"):
        args["Tags"] = tag_list(tags_of(model))
    arn = api.client("sns").create_topic(**args)["TopicArn"]
    return {**model, "TopicName": name, "TopicArn": arn}


def read(api: Api, arn: str) -> Model | None:
    sns = api.client("sns")
    try:
        attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    except Exception as exc:
        if error_code(exc) in ("NotFound", "NotFoundException", "InvalidParameter"):
            return None
        raise
    model: Model = {"TopicArn": arn, "TopicName": arn.rsplit(":", 1)[-1]}
    for key in ("DisplayName", "KmsMasterKeyId", "SignatureVersion", "TracingConfig"):
        if attributes.get(key):
            model[key] = attributes[key]
    if attributes.get("FifoTopic") == "true":
        model["FifoTopic"] = True
        model["ContentBasedDeduplication"] = attributes.get("ContentBasedDeduplication") == "true"
    tags = sns.list_tags_for_resource(ResourceArn=arn).get("Tags", [])
    if tags:
        model["Tags"] = tag_list({t["Key"]: t["Value"] for t in tags})
    return model


def update(api: Api, arn: str, old: Model, new: Model) -> None:
    sns = api.client("sns")
    for key in ("DisplayName", "KmsMasterKeyId", "SignatureVersion", "TracingConfig", "ContentBasedDeduplication"):
        if old.get(key) != new.get(key):
            sns.set_topic_attributes(TopicArn=arn, AttributeName=key, AttributeValue=_text(new.get(key, "")))
    old_tags, new_tags = tags_of(old), tags_of(new)
    gone = [k for k in old_tags if k not in new_tags]
    if gone:
        sns.untag_resource(ResourceArn=arn, TagKeys=gone)
    if new_tags and new_tags != old_tags:
        sns.tag_resource(ResourceArn=arn, Tags=tag_list(new_tags))


def delete(api: Api, arn: str) -> None:
    api.client("sns").delete_topic(TopicArn=arn)


def list_(api: Api) -> list[str]:
    return [t["TopicArn"] for t in api.client("sns").list_topics().get("Topics", [])]


ADAPTERS = {"AWS::SNS::Topic": Adapter(create=create, read=read, update=update, delete=delete, list=list_)}
