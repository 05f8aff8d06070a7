"""AWS::SSM::Parameter in moto's Parameter Store: value, type, description, tags."""

from __future__ import annotations

from typing import Any

from cloudforge.local.moto_adapters import Adapter, Api, Model, error_code, name_for


def _arn(api: Api, name: str) -> str:
    return f"arn:aws:ssm:{api.region}:{api.account}:parameter/{name.lstrip('/')}"


def _put(api: Api, model: Model, overwrite: bool) -> None:
    args: dict[str, Any] = {"Name": model["Name"], "Value": str(model["Value"]), "Type": model["Type"],
                            "Overwrite": overwrite}
    for key in ("Description", "AllowedPattern", "Tier", "DataType"):
        if model.get(key):
            args[key] = model[key]
    if not overwrite and isinstance(model.get("Tags"), dict) and model["Tags"]:
        args["Tags"] = [{"Key": k, "Value": str(v)} for k, v in sorted(model["Tags"].items())]
    api.client("ssm").put_parameter(**args)


def create(api: Api, model: Model) -> Model:
    model = {**model, "Name": model.get("Name") or name_for(api, "parameter", 1011)}
    _put(api, model, overwrite=False)
    return {**model, "Arn": _arn(api, model["Name"])}


def read(api: Api, name: str) -> Model | None:
    ssm = api.client("ssm")
    try:
        parameter = ssm.get_parameter(Name=name)["Parameter"]
    except Exception as exc:
        if error_code(exc) == "ParameterNotFound":
            return None
        raise
    model: Model = {"Name": name, "Type": parameter["Type"], "Value": parameter["Value"], "Arn": _arn(api, name)}
    if parameter.get("DataType"):
        model["DataType"] = parameter["DataType"]
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name).get("TagList", [])
    if tags:
        model["Tags"] = {t["Key"]: t["Value"] for t in tags}
    return model


def update(api: Api, name: str, old: Model, new: Model) -> None:
    _put(api, {**new, "Name": name}, overwrite=True)
    ssm = api.client("ssm")
    old_tags, new_tags = old.get("Tags") or {}, new.get("Tags") or {}
    gone = [k for k in old_tags if k not in new_tags]
    if gone:
        ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId=name, TagKeys=gone)
    if new_tags and new_tags != old_tags:
        ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=name,
                                 Tags=[{"Key": k, "Value": str(v)} for k, v in sorted(new_tags.items())])


def delete(api: Api, name: str) -> None:
    try:
        api.client("ssm").delete_parameter(Name=name)
    except Exception as exc:
        if error_code(exc) != "ParameterNotFound":
            raise


def list_(api: Api) -> list[str]:
    ssm = api.client("ssm")
    names: list[str] = []
    for page in ssm.get_paginator("describe_parameters").paginate():
        names += [p["Name"] for p in page.get("Parameters", [])]
    return names


ADAPTERS = {"AWS::SSM::Parameter": Adapter(create=create, read=read, update=update, delete=delete, list=list_)}
