"""AWS::S3::Bucket: domain names derived from the name, a short list view, and the moto bucket.

A bucket made through Cloud Control is also made in moto's S3, so objects can be put in it at
the same endpoint; a name moto already has (made through the S3 API) is AlreadyExists, and a
bucket with objects in it cannot be deleted. ListResources shows only `BucketName`, as AWS does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cloudforge.local.hooks import HandlerFailure, HookContext, TypeHooks, register
from cloudforge.local.typeinfo import TypeInfo


def _moto_s3(ctx: HookContext) -> Any:
    from moto.s3.models import s3_backends

    return s3_backends[ctx.account]["aws"]


@register("AWS::S3::Bucket")
class BucketHooks(TypeHooks):
    def prepare_create(self, ctx: HookContext, info: TypeInfo, desired: dict[str, Any]) -> dict[str, Any]:
        model = dict(desired)
        if not model.get("BucketName"):
            suffix = "".join(ctx.rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(12))
            model["BucketName"] = f"cc-bucket-{suffix}"
        name, region = model["BucketName"], ctx.region
        if not 3 <= len(name) <= 63:  # the schema's pattern allows it; S3 itself does not
            raise HandlerFailure("InvalidRequest", f"Bucket name {name!r} should be between 3 and 63 characters long")
        model.update(
            Arn=f"arn:aws:s3:::{name}",
            DomainName=f"{name}.s3.amazonaws.com",
            RegionalDomainName=f"{name}.s3.{region}.amazonaws.com",
            DualStackDomainName=f"{name}.s3.dualstack.{region}.amazonaws.com",
            WebsiteURL=f"http://{name}.s3-website-{region}.amazonaws.com",
        )
        return model

    def conflict(self, ctx: HookContext, info: TypeInfo, model: dict[str, Any],
                 others: Iterable[dict[str, Any]]) -> str | None:
        if model["BucketName"] in _moto_s3(ctx).buckets:
            return "The bucket Already Exists"
        return None

    def prepare_delete(self, ctx: HookContext, info: TypeInfo, model: dict[str, Any]) -> None:
        bucket = _moto_s3(ctx).buckets.get(model["BucketName"])
        if bucket is not None and len(bucket.keys) > 0:
            raise HandlerFailure("GeneralServiceException", "The bucket you tried to delete is not empty")

    def after_create(self, ctx: HookContext, info: TypeInfo, model: dict[str, Any]) -> None:
        backend = _moto_s3(ctx)
        if model["BucketName"] not in backend.buckets:
            backend.create_bucket(model["BucketName"], ctx.region)

    def after_delete(self, ctx: HookContext, info: TypeInfo, model: dict[str, Any]) -> None:
        backend = _moto_s3(ctx)
        if model["BucketName"] in backend.buckets:
            backend.delete_bucket(model["BucketName"])

    def already_exists_message(self, info: TypeInfo, identifier: str) -> str:
        return "The bucket Already Exists"

    def not_found_message(self, info: TypeInfo, identifier: str) -> str:
        return "Bucket not found"

    def list_view(self, info: TypeInfo, model: dict[str, Any]) -> dict[str, Any]:
        return {"BucketName": model["BucketName"]}
