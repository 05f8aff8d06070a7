"""AWS::IAM::Role, AWS::IAM::ManagedPolicy and AWS::IAM::Policy (inline) in moto's IAM."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from cloudforge.local.moto_adapters import (
    Adapter,
    AdapterError,
    Api,
    Model,
    error_code,
    generated_id,
    name_for,
    tag_list,
    tags_of,
)


def _document(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _parsed(value: Any) -> Any:
    if isinstance(value, str):
        value = unquote(value) if value.startswith("%7B") else value
        return json.loads(value)
    return value


def _missing(exc: Exception) -> bool:
    return error_code(exc) == "NoSuchEntity"


# Roles.

def create_role(api: Api, model: Model) -> Model:
    iam = api.client("iam")
    name = model.get("RoleName") or name_for(api, "role", 64)
    args: dict[str, Any] = {"RoleName": name, "AssumeRolePolicyDocument": _document(model["AssumeRolePolicyDocument"]),
                            "Path": model.get("Path", "/")}
    for key in ("Description", "MaxSessionDuration", "PermissionsBoundary"):
        if key in model:
            args[key] = model[key]
    if model.get("Tags"):
        args["Tags"] = tag_list(tags_of(model))
    with generated_id("moto.iam.models", "random_role_id", model.get("RoleId")):
        role = iam.create_role(**args)["Role"]
    for policy in model.get("Policies") or []:
        iam.put_role_policy(RoleName=name, PolicyName=policy["PolicyName"], PolicyDocument=_document(policy["PolicyDocument"]))
    for arn in model.get("ManagedPolicyArns") or []:
        iam.attach_role_policy(RoleName=name, PolicyArn=arn)
    return {**model, "RoleName": name, "Arn": role["Arn"], "RoleId": role["RoleId"]}


def read_role(api: Api, name: str) -> Model | None:
    iam = api.client("iam")
    try:
        role = iam.get_role(RoleName=name)["Role"]
    except Exception as exc:
        if _missing(exc):
            return None
        raise
    model: Model = {"RoleName": name, "Arn": role["Arn"], "RoleId": role["RoleId"], "Path": role["Path"],
                    "AssumeRolePolicyDocument": _parsed(role["AssumeRolePolicyDocument"]),
                    "MaxSessionDuration": role.get("MaxSessionDuration", 3600)}
    if role.get("Description"):
        model["Description"] = role["Description"]
    if role.get("PermissionsBoundary"):
        model["PermissionsBoundary"] = role["PermissionsBoundary"]["PermissionsBoundaryArn"]
    if role.get("Tags"):
        model["Tags"] = tag_list({t["Key"]: t["Value"] for t in role["Tags"]})
    policies = [{"PolicyName": p, "PolicyDocument": _parsed(iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"])}
                for p in iam.list_role_policies(RoleName=name)["PolicyNames"]]
    if policies:
        model["Policies"] = policies
    attached = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]]
    if attached:
        model["ManagedPolicyArns"] = attached
    return model


def update_role(api: Api, name: str, old: Model, new: Model) -> None:
    iam = api.client("iam")
    if old.get("AssumeRolePolicyDocument") != new.get("AssumeRolePolicyDocument"):
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=_document(new["AssumeRolePolicyDocument"]))
    if old.get("Description") != new.get("Description") or old.get("MaxSessionDuration") != new.get("MaxSessionDuration"):
        iam.update_role(RoleName=name, Description=new.get("Description", ""),
                        MaxSessionDuration=int(new.get("MaxSessionDuration", 3600)))
    old_tags, new_tags = tags_of(old), tags_of(new)
    gone = [k for k in old_tags if k not in new_tags]
    if gone:
        iam.untag_role(RoleName=name, TagKeys=gone)
    if new_tags and new_tags != old_tags:
        iam.tag_role(RoleName=name, Tags=tag_list(new_tags))
    old_inline = {p["PolicyName"]: p["PolicyDocument"] for p in old.get("Policies") or []}
    new_inline = {p["PolicyName"]: p["PolicyDocument"] for p in new.get("Policies") or []}
    for policy_name in old_inline.keys() - new_inline.keys():
        iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
    for policy_name, document in new_inline.items():
        if old_inline.get(policy_name) != document:
            iam.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=_document(document))
    old_arns, new_arns = set(old.get("ManagedPolicyArns") or []), set(new.get("ManagedPolicyArns") or [])
    for arn in old_arns - new_arns:
        iam.detach_role_policy(RoleName=name, PolicyArn=arn)
    for arn in new_arns - old_arns:
        iam.attach_role_policy(RoleName=name, PolicyArn=arn)


def delete_role(api: Api, name: str) -> None:
    iam = api.client("iam")
    try:
        # As CloudFormation's handler does: what hangs on the role goes first.
        for policy_name in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
        for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=name, PolicyArn=attached["PolicyArn"])
        for profile in iam.list_instance_profiles_for_role(RoleName=name)["InstanceProfiles"]:
            iam.remove_role_from_instance_profile(InstanceProfileName=profile["InstanceProfileName"], RoleName=name)
        iam.delete_role(RoleName=name)
    except Exception as exc:
        if not _missing(exc):
            raise


def list_roles(api: Api) -> list[str]:
    iam = api.client("iam")
    return [r["RoleName"] for page in iam.get_paginator("list_roles").paginate() for r in page["Roles"]]


# Managed policies.

_KINDS = (("Roles", "Role", "RoleName"), ("Users", "User", "UserName"), ("Groups", "Group", "GroupName"))


def _attach(api: Api, arn: str, kind: str, name: str, attach: bool) -> None:
    iam = api.client("iam")
    verb = "attach" if attach else "detach"
    getattr(iam, f"{verb}_{kind.lower()}_policy")(PolicyArn=arn, **{f"{kind}Name": name})


def create_managed(api: Api, model: Model) -> Model:
    iam = api.client("iam")
    name = model.get("ManagedPolicyName") or name_for(api, "policy", 128)
    args: dict[str, Any] = {"PolicyName": name, "PolicyDocument": _document(model["PolicyDocument"]),
                            "Path": model.get("Path", "/")}
    if model.get("Description"):
        args["Description"] = model["Description"]
    arn = iam.create_policy(**args)["Policy"]["Arn"]
    for key, kind, _ in _KINDS:
        for member in model.get(key) or []:
            _attach(api, arn, kind, member, attach=True)
    found = read_managed(api, arn) or {}
    return {**model, **found}


def read_managed(api: Api, arn: str) -> Model | None:
    iam = api.client("iam")
    try:
        policy = iam.get_policy(PolicyArn=arn)["Policy"]
    except Exception as exc:
        if _missing(exc):
            return None
        raise
    version = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    entities = iam.list_entities_for_policy(PolicyArn=arn)
    model: Model = {
        "PolicyArn": arn, "ManagedPolicyName": policy["PolicyName"], "Path": policy["Path"],
        "PolicyDocument": _parsed(version["Document"]), "PolicyId": policy["PolicyId"],
        "DefaultVersionId": policy["DefaultVersionId"], "AttachmentCount": policy.get("AttachmentCount", 0),
        "PermissionsBoundaryUsageCount": policy.get("PermissionsBoundaryUsageCount", 0),
        "IsAttachable": policy.get("IsAttachable", True),
        "CreateDate": policy["CreateDate"].strftime("%Y-%m-%dT%H:%M:%SZ"),
        "UpdateDate": policy["UpdateDate"].strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if policy.get("Description"):
        model["Description"] = policy["Description"]
    for key, _, name_key in _KINDS:
        members = [e[name_key] for e in entities.get(f"Policy{key}", [])]
        if members:
            model[key] = members
    return model


def update_managed(api: Api, arn: str, old: Model, new: Model) -> None:
    iam = api.client("iam")
    if old.get("PolicyDocument") != new.get("PolicyDocument"):
        versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
        if len(versions) >= 5:  # IAM keeps five versions: the oldest non-default one makes room
            oldest = min((v for v in versions if not v["IsDefaultVersion"]), key=lambda v: v["CreateDate"])
            iam.delete_policy_version(PolicyArn=arn, VersionId=oldest["VersionId"])
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=_document(new["PolicyDocument"]), SetAsDefault=True)
    for key, kind, _ in _KINDS:
        before, after = set(old.get(key) or []), set(new.get(key) or [])
        for member in before - after:
            _attach(api, arn, kind, member, attach=False)
        for member in after - before:
            _attach(api, arn, kind, member, attach=True)


def delete_managed(api: Api, arn: str) -> None:
    iam = api.client("iam")
    found = read_managed(api, arn)
    if found is None:
        return
    for key, kind, _ in _KINDS:
        for member in found.get(key) or []:
            _attach(api, arn, kind, member, attach=False)
    for version in iam.list_policy_versions(PolicyArn=arn)["Versions"]:
        if not version["IsDefaultVersion"]:
            iam.delete_policy_version(PolicyArn=arn, VersionId=version["VersionId"])
    iam.delete_policy(PolicyArn=arn)


def list_managed(api: Api) -> list[str]:
    iam = api.client("iam")
    return [p["Arn"] for page in iam.get_paginator("list_policies").paginate(Scope="Local") for p in page["Policies"]]


# Inline policies (AWS::IAM::Policy): one policy document put on roles, users and groups. Its Id
# (made up by the handler, as CloudFormation's is) starts with the policy name, so it can be found.

def _inline_name(identifier: str) -> str:
    return identifier.rsplit("-", 1)[0]


def _put_inline(api: Api, model: Model, members: dict[str, set[str]]) -> None:
    iam = api.client("iam")
    for key, kind, _ in _KINDS:
        for member in sorted(members.get(key, set())):
            getattr(iam, f"put_{kind.lower()}_policy")(PolicyName=model["PolicyName"],
                                                       PolicyDocument=_document(model["PolicyDocument"]),
                                                       **{f"{kind}Name": member})


def _delete_inline(api: Api, name: str, members: dict[str, set[str]]) -> None:
    iam = api.client("iam")
    for key, kind, _ in _KINDS:
        for member in sorted(members.get(key, set())):
            try:
                getattr(iam, f"delete_{kind.lower()}_policy")(PolicyName=name, **{f"{kind}Name": member})
            except Exception as exc:
                if not _missing(exc):
                    raise


def create_inline(api: Api, model: Model) -> Model:
    if not any(model.get(key) for key, _, _ in _KINDS):
        raise AdapterError("InvalidRequest", "At least one of [Groups,Roles,Users] must be non-empty.")
    suffix = "".join(api.rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(12))
    _put_inline(api, model, {key: set(model.get(key) or []) for key, _, _ in _KINDS})
    return {**model, "Id": f"{model['PolicyName']}-{suffix}"}


def read_inline(api: Api, identifier: str) -> Model | None:
    iam = api.client("iam")
    name = _inline_name(identifier)
    model: Model = {"Id": identifier, "PolicyName": name}
    for key, kind, name_key in _KINDS:
        lister = {"Role": "list_roles", "User": "list_users", "Group": "list_groups"}[kind]
        members = []
        for entity in getattr(iam, lister)()[key]:
            try:
                document = getattr(iam, f"get_{kind.lower()}_policy")(PolicyName=name, **{f"{kind}Name": entity[name_key]})
            except Exception as exc:
                if _missing(exc):
                    continue
                raise
            members.append(entity[name_key])
            model["PolicyDocument"] = _parsed(document["PolicyDocument"])
        if members:
            model[key] = members
    return model if "PolicyDocument" in model else None


def update_inline(api: Api, identifier: str, old: Model, new: Model) -> None:
    before = {key: set(old.get(key) or []) for key, _, _ in _KINDS}
    after = {key: set(new.get(key) or []) for key, _, _ in _KINDS}
    _delete_inline(api, _inline_name(identifier), {k: before[k] - after[k] for k in before})
    _put_inline(api, {**new, "PolicyName": _inline_name(identifier)}, after)


def delete_inline(api: Api, identifier: str) -> None:
    found = read_inline(api, identifier)
    if found is not None:
        _delete_inline(api, _inline_name(identifier), {key: set(found.get(key) or []) for key, _, _ in _KINDS})


ADAPTERS = {
    "AWS::IAM::Role": Adapter(create=create_role, read=read_role, update=update_role, delete=delete_role,
                              list=list_roles),
    "AWS::IAM::ManagedPolicy": Adapter(create=create_managed, read=read_managed, update=update_managed,
                                       delete=delete_managed, list=list_managed),
    "AWS::IAM::Policy": Adapter(create=create_inline, read=read_inline, update=update_inline, delete=delete_inline,
                                list=lambda api: []),
}
