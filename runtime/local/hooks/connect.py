"""AWS::Connect::SecurityProfile: lives inside a Connect instance that must exist in moto.

The instance is looked up in moto's connect backend in the same process, so an instance made
with boto3 `connect.create_instance` against the local endpoint is the one the profile joins.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

from cloudforge.local.hooks import HandlerFailure, HookContext, TypeHooks, register
from cloudforge.local.readonly import random_id
from cloudforge.local.typeinfo import TypeInfo


def connect_instance_exists(instance_arn: str, account: str, region: str) -> bool:
    from moto.connect.models import connect_backends

    parts = instance_arn.split(":")
    if len(parts) < 6:
        return False
    arn_region, arn_account = parts[3], parts[4]
    instance_id = parts[5].removeprefix("instance/")
    try:
        backend = connect_backends[arn_account or account][arn_region or region]
    except KeyError:  # a region moto does not know has no instances
        return False
    instance = backend.instances.get(instance_id)
    return instance is not None and instance.arn == instance_arn


@register("AWS::Connect::SecurityProfile")
class SecurityProfileHooks(TypeHooks):
    def prepare_create(self, ctx: HookContext, info: TypeInfo, desired: dict[str, Any]) -> dict[str, Any]:
        instance_arn = str(desired.get("InstanceArn", ""))
        if not connect_instance_exists(instance_arn, ctx.account, ctx.region):
            raise HandlerFailure(
                "NotFound",
                f"Instance not found: no Amazon Connect instance {instance_arn} "
                "(create one with connect.create_instance at this endpoint first)",
            )
        model = dict(desired)
        profile_id = random_id(ctx.rng, {})
        model["SecurityProfileArn"] = f"{instance_arn}/security-profile/{profile_id}"
        model = super().prepare_create(ctx, info, model)
        model["LastModifiedRegion"] = ctx.region
        return model

    def prepare_update(self, ctx: HookContext, info: TypeInfo, old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
        return {**super().prepare_update(ctx, info, old, new), "LastModifiedRegion": ctx.region}

    def unique_key(self, info: TypeInfo, model: dict[str, Any]) -> Hashable | None:
        return (model.get("InstanceArn"), model.get("SecurityProfileName"))

    def conflict(self, ctx: HookContext, info: TypeInfo, model: dict[str, Any],
                 others: Iterable[dict[str, Any]]) -> str | None:
        for other in others:
            if (
                other.get("InstanceArn") == model.get("InstanceArn")
                and other.get("SecurityProfileName") == model.get("SecurityProfileName")
            ):
                return (
                    f"Security profile {model.get('SecurityProfileName')!s} already exists "
                    f"in instance {model.get('InstanceArn')!s}"
                )
        return None

    def not_found_message(self, info: TypeInfo, identifier: str) -> str:
        return f"Security profile {identifier} not found"
