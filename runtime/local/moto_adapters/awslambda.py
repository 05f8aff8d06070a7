"""AWS::Lambda::Function in moto's Lambda (held, not run: invoking needs Docker, creating does not).

`Code.ZipFile` is source text in a template; as CloudFormation does, it is zipped as `index.py`
(or `index.js` for Node.js runtimes) before it is sent.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from cloudforge.local.moto_adapters import Adapter, Api, Model, error_code, name_for, tags_of

_CONFIG = ("Description", "Handler", "MemorySize", "Role", "Runtime", "Timeout", "Environment", "TracingConfig",
           "DeadLetterConfig", "KmsKeyArn", "Layers", "VpcConfig", "EphemeralStorage", "Architectures", "PackageType")


def _code(model: Model) -> dict[str, Any]:
    code = model.get("Code") or {}
    if "ZipFile" in code:
        buffer = io.BytesIO()
        source = "index.js" if str(model.get("Runtime", "")).startswith("nodejs") else "index.py"
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(source, str(code["ZipFile"]))
        return {"ZipFile": buffer.getvalue()}
    return {k: v for k, v in code.items() if k in ("S3Bucket", "S3Key", "S3ObjectVersion", "ImageUri")}


def create(api: Api, model: Model) -> Model:
    name = model.get("FunctionName") or name_for(api, "function", 64)
    args: dict[str, Any] = {"FunctionName": name, "Code": _code(model),
                            **{k: model[k] for k in _CONFIG if k in model and k != "Architectures"}}
    if "Architectures" in model:
        args["Architectures"] = model["Architectures"]
    if model.get("Tags"):
        args["Tags"] = tags_of(model)
    function = api.client("lambda").create_function(**args)
    return {**model, "FunctionName": name, "Arn": function["FunctionArn"]}


def read(api: Api, name: str) -> Model | None:
    client = api.client("lambda")
    try:
        answer = client.get_function(FunctionName=name)
    except Exception as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return None
        raise
    config = answer["Configuration"]
    model: Model = {"FunctionName": name, "Arn": config["FunctionArn"]}
    for key in ("Description", "Handler", "MemorySize", "Role", "Runtime", "Timeout", "PackageType", "Architectures"):
        if config.get(key) not in (None, ""):
            model[key] = config[key]
    if config.get("Environment", {}).get("Variables"):
        model["Environment"] = {"Variables": config["Environment"]["Variables"]}
    if answer.get("Tags"):
        model["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(answer["Tags"].items())]
    return model


def update(api: Api, name: str, old: Model, new: Model) -> None:
    client = api.client("lambda")
    if old.get("Code") != new.get("Code"):
        client.update_function_code(FunctionName=name, **_code(new))
    changes = {k: new[k] for k in _CONFIG if k in new and old.get(k) != new.get(k)
               and k not in ("PackageType", "Architectures")}
    if changes:
        client.update_function_configuration(FunctionName=name, **changes)
    arn = f"arn:aws:lambda:{api.region}:{api.account}:function:{name}"
    old_tags, new_tags = tags_of(old), tags_of(new)
    gone = [k for k in old_tags if k not in new_tags]
    if gone:
        client.untag_resource(Resource=arn, TagKeys=gone)
    if new_tags and new_tags != old_tags:
        client.tag_resource(Resource=arn, Tags=new_tags)


def delete(api: Api, name: str) -> None:
    if read(api, name) is not None:
        api.client("lambda").delete_function(FunctionName=name)


def list_(api: Api) -> list[str]:
    client = api.client("lambda")
    return [f["FunctionName"] for page in client.get_paginator("list_functions").paginate() for f in page["Functions"]]


ADAPTERS = {"AWS::Lambda::Function": Adapter(create=create, read=read, update=update, delete=delete, list=list_)}
