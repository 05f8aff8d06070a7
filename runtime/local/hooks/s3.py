"""AWS::S3::Bucket: the domain names AWS derives from the bucket name, and a short list view.

ListResources of buckets shows only `BucketName`, as AWS's list handler does.
"""

from __future__ import annotations

from typing import Any

from cloudforge.local.hooks import HookContext, TypeHooks, register
from cloudforge.local.typeinfo import TypeInfo


@register("AWS::S3::Bucket")
class BucketHooks(TypeHooks):
    def prepare_create(self, ctx: HookContext, info: TypeInfo, desired: dict[str, Any]) -> dict[str, Any]:
        model = dict(desired)
        if "BucketName" not in model:
            suffix = "".join(ctx.rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(12))
            model["BucketName"] = f"cc-bucket-{suffix}"
        name, region = model["BucketName"], ctx.region
        model.update(
            Arn=f"arn:aws:s3:::{name}",
            DomainName=f"{name}.s3.amazonaws.com",
            RegionalDomainName=f"{name}.s3.{region}.amazonaws.com",
            DualStackDomainName=f"{name}.s3.dualstack.{region}.amazonaws.com",
            WebsiteURL=f"http://{name}.s3-website-{region}.amazonaws.com",
        )
        return model

    def already_exists_message(self, info: TypeInfo, identifier: str) -> str:
        return "The bucket Already Exists"

    def not_found_message(self, info: TypeInfo, identifier: str) -> str:
        return "Bucket not found"

    def list_view(self, info: TypeInfo, model: dict[str, Any]) -> dict[str, Any]:
        return {"BucketName": model["BucketName"]}
