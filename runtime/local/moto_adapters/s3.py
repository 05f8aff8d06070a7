"""AWS::S3::Bucket (tags, versioning, encryption) and AWS::S3::BucketPolicy, in moto's S3."""

from __future__ import annotations

import json
from typing import Any

from cloudforge.local.moto_adapters import (
    Adapter,
    AdapterError,
    Api,
    Model,
    changed,
    error_code,
    name_for,
    tag_list,
    tags_of,
)

_MISSING = {"404", "NoSuchBucket", "NotFound"}


def _exists(api: Api, name: str) -> bool:
    try:
        api.client("s3").head_bucket(Bucket=name)
    except Exception as exc:
        if error_code(exc) in _MISSING:
            return False
        raise
    return True


def _domains(api: Api, name: str) -> Model:
    region = api.region
    return {
        "Arn": f"arn:aws:s3:::{name}",
        "DomainName": f"{name}.s3.amazonaws.com",
        "RegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
        "DualStackDomainName": f"{name}.s3.dualstack.{region}.amazonaws.com",
        "WebsiteURL": f"http://{name}.s3-website-{region}.amazonaws.com",
    }


# CloudFormation spells S3's `ApplyServerSideEncryptionByDefault` without the `Apply`.
def _rule_to_api(rule: Model) -> Model:
    out = {k: v for k, v in rule.items() if k in ("BucketKeyEnabled",)}
    if "ServerSideEncryptionByDefault" in rule:
        out["ApplyServerSideEncryptionByDefault"] = rule["ServerSideEncryptionByDefault"]
    return out


def _rule_from_api(rule: Model) -> Model:
    out = {k: v for k, v in rule.items() if k in ("BucketKeyEnabled",)}
    if "ApplyServerSideEncryptionByDefault" in rule:
        out["ServerSideEncryptionByDefault"] = rule["ApplyServerSideEncryptionByDefault"]
    return out


def _apply(api: Api, name: str, old: Model, new: Model) -> None:
    s3 = api.client("s3")
    if changed(old, new, "Tags"):
        if new.get("Tags"):
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tag_list(tags_of(new))})
        else:
            s3.delete_bucket_tagging(Bucket=name)
    if changed(old, new, "VersioningConfiguration") and new.get("VersioningConfiguration"):
        status = new["VersioningConfiguration"].get("Status", "Suspended")
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": status})
    if changed(old, new, "BucketEncryption"):
        if new.get("BucketEncryption"):
            rules = [_rule_to_api(rule) for rule in new["BucketEncryption"].get("ServerSideEncryptionConfiguration", [])]
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
        else:
            s3.delete_bucket_encryption(Bucket=name)


def create_bucket(api: Api, model: Model) -> Model:
    name = model.get("BucketName") or name_for(api, "bucket", 63)
    if not 3 <= len(name) <= 63:  # the schema's pattern allows it; S3 itself does not
        raise AdapterError("InvalidRequest", f"Bucket name {name!r} should be between 3 and 63 characters long")
    args: dict[str, Any] = {"Bucket": name}
    if api.region != "us-east-1":
        args["CreateBucketConfiguration"] = {"LocationConstraint": api.region}
    api.client("s3").create_bucket(**args)
    _apply(api, name, {}, model)
    return {**model, "BucketName": name, **_domains(api, name)}


def read_bucket(api: Api, name: str) -> Model | None:
    if not _exists(api, name):
        return None
    s3 = api.client("s3")
    model: Model = {"BucketName": name, **_domains(api, name)}
    try:
        tags = s3.get_bucket_tagging(Bucket=name)["TagSet"]
        if tags:
            model["Tags"] = tag_list({t["Key"]: t["Value"] for t in tags})
    except Exception as exc:
        if error_code(exc) != "NoSuchTagSet":
            raise
    status = s3.get_bucket_versioning(Bucket=name).get("Status")
    if status:
        model["VersioningConfiguration"] = {"Status": status}
    try:
        rules = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
        model["BucketEncryption"] = {"ServerSideEncryptionConfiguration": [_rule_from_api(r) for r in rules]}
    except Exception as exc:
        if error_code(exc) != "ServerSideEncryptionConfigurationNotFoundError":
            raise
    return model


def update_bucket(api: Api, name: str, old: Model, new: Model) -> None:
    _apply(api, name, old, new)


def check_bucket_delete(api: Api, name: str) -> None:
    if _exists(api, name) and api.client("s3").list_object_versions(Bucket=name, MaxKeys=1).get("Versions"):
        raise AdapterError("GeneralServiceException", "The bucket you tried to delete is not empty")


def delete_bucket(api: Api, name: str) -> None:
    if _exists(api, name):
        api.client("s3").delete_bucket(Bucket=name)


def list_buckets(api: Api) -> list[str]:
    return [b["Name"] for b in api.client("s3").list_buckets().get("Buckets", [])]


def _policy_text(document: Any) -> str:
    return document if isinstance(document, str) else json.dumps(document)


def create_policy(api: Api, model: Model) -> Model:
    bucket = model["Bucket"]
    if read_policy(api, bucket) is not None:
        raise AdapterError("AlreadyExists", f"The bucket policy already exists on bucket {bucket}.")
    try:
        api.client("s3").put_bucket_policy(Bucket=bucket, Policy=_policy_text(model["PolicyDocument"]))
    except Exception as exc:
        if error_code(exc) in _MISSING:
            raise AdapterError("NotFound", f"The specified bucket does not exist: {bucket}") from exc
        raise
    return dict(model)


def read_policy(api: Api, bucket: str) -> Model | None:
    try:
        text = api.client("s3").get_bucket_policy(Bucket=bucket)["Policy"]
    except Exception as exc:
        if error_code(exc) in {*_MISSING, "NoSuchBucketPolicy"}:
            return None
        raise
    return {"Bucket": bucket, "PolicyDocument": json.loads(text)}


def update_policy(api: Api, bucket: str, old: Model, new: Model) -> None:
    api.client("s3").put_bucket_policy(Bucket=bucket, Policy=_policy_text(new["PolicyDocument"]))


def delete_policy(api: Api, bucket: str) -> None:
    if read_policy(api, bucket) is not None:
        api.client("s3").delete_bucket_policy(Bucket=bucket)


def list_policies(api: Api) -> list[str]:
    return [name for name in list_buckets(api) if read_policy(api, name) is not None]


ADAPTERS = {
    "AWS::S3::Bucket": Adapter(
        create=create_bucket, read=read_bucket, update=update_bucket, delete=delete_bucket,
        list=list_buckets, check_delete=check_bucket_delete,
        list_view=lambda model: {"BucketName": model["BucketName"]},
        not_found="Bucket not found", already_exists="The bucket Already Exists",
    ),
    "AWS::S3::BucketPolicy": Adapter(
        create=create_policy, read=read_policy, update=update_policy, delete=delete_policy,
        list=list_policies,
    ),
}
