"""AWS::EC2::VPC, AWS::EC2::Subnet and AWS::EC2::SecurityGroup in moto's EC2.

EC2 generates the ids (a restore gets the stored ones back through `generated_id`). moto's default VPC, its subnets and the default security groups are not
listed: they are the account's, not anything a program made (and a restore must not copy them).
"""

from __future__ import annotations

from typing import Any

from cloudforge.local.moto_adapters import Adapter, Api, Model, error_code, generated_id

_MISSING_SUFFIX = ".NotFound"


def _missing(exc: Exception) -> bool:
    return error_code(exc).endswith(_MISSING_SUFFIX)


def _tag_spec(kind: str, model: Model) -> list[dict[str, Any]]:
    tags = [{"Key": t["Key"], "Value": t.get("Value", "")} for t in model.get("Tags") or []]
    return [{"ResourceType": kind, "Tags": tags}] if tags else []


def _tags(found: dict[str, Any]) -> list[dict[str, str]]:
    return [{"Key": t["Key"], "Value": t["Value"]} for t in sorted(found.get("Tags") or [], key=lambda t: t["Key"])]


def _retag(api: Api, resource_id: str, old: Model, new: Model) -> None:
    ec2 = api.client("ec2")
    old_tags = {t["Key"]: t.get("Value", "") for t in old.get("Tags") or []}
    new_tags = {t["Key"]: t.get("Value", "") for t in new.get("Tags") or []}
    gone = [{"Key": k} for k in old_tags if k not in new_tags]
    if gone:
        ec2.delete_tags(Resources=[resource_id], Tags=gone)
    if new_tags and new_tags != old_tags:
        ec2.create_tags(Resources=[resource_id], Tags=[{"Key": k, "Value": v} for k, v in new_tags.items()])


# VPCs.

def create_vpc(api: Api, model: Model) -> Model:
    ec2 = api.client("ec2")
    args: dict[str, Any] = {"CidrBlock": model.get("CidrBlock", "10.0.0.0/16"), "TagSpecifications": _tag_spec("vpc", model)}
    if "InstanceTenancy" in model:
        args["InstanceTenancy"] = model["InstanceTenancy"]
    with generated_id("moto.ec2.models.vpcs", "random_vpc_id", model.get("VpcId")):
        vpc_id = ec2.create_vpc(**args)["Vpc"]["VpcId"]
    for key in ("EnableDnsSupport", "EnableDnsHostnames"):
        if key in model:
            ec2.modify_vpc_attribute(VpcId=vpc_id, **{key: {"Value": bool(model[key])}})
    return {**model, **(read_vpc(api, vpc_id) or {})}


def read_vpc(api: Api, vpc_id: str) -> Model | None:
    ec2 = api.client("ec2")
    try:
        vpc = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
    except Exception as exc:
        if _missing(exc):
            return None
        raise
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                                   {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"]
    acls = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                              {"Name": "default", "Values": ["true"]}])["NetworkAcls"]
    model: Model = {
        "VpcId": vpc_id, "CidrBlock": vpc["CidrBlock"], "InstanceTenancy": vpc.get("InstanceTenancy", "default"),
        "CidrBlockAssociations": [a["AssociationId"] for a in vpc.get("CidrBlockAssociationSet", [])],
        "Ipv6CidrBlocks": [a["Ipv6CidrBlock"] for a in vpc.get("Ipv6CidrBlockAssociationSet", [])],
        "EnableDnsSupport": ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsSupport")["EnableDnsSupport"]["Value"],
        "EnableDnsHostnames": ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsHostnames")["EnableDnsHostnames"]["Value"],
    }
    if groups:
        model["DefaultSecurityGroup"] = groups[0]["GroupId"]
    if acls:
        model["DefaultNetworkAcl"] = acls[0]["NetworkAclId"]
    if vpc.get("Tags"):
        model["Tags"] = _tags(vpc)
    return model


def update_vpc(api: Api, vpc_id: str, old: Model, new: Model) -> None:
    ec2 = api.client("ec2")
    for key in ("EnableDnsSupport", "EnableDnsHostnames"):
        if old.get(key) != new.get(key) and key in new:
            ec2.modify_vpc_attribute(VpcId=vpc_id, **{key: {"Value": bool(new[key])}})
    _retag(api, vpc_id, old, new)


def delete_vpc(api: Api, vpc_id: str) -> None:
    try:
        api.client("ec2").delete_vpc(VpcId=vpc_id)
    except Exception as exc:
        if not _missing(exc):
            raise


def list_vpcs(api: Api) -> list[str]:
    return [v["VpcId"] for v in api.client("ec2").describe_vpcs()["Vpcs"] if not v.get("IsDefault")]


# Subnets.

def create_subnet(api: Api, model: Model) -> Model:
    args: dict[str, Any] = {"VpcId": model["VpcId"], "CidrBlock": model.get("CidrBlock", "10.0.0.0/24"),
                            "TagSpecifications": _tag_spec("subnet", model)}
    for key in ("AvailabilityZone", "AvailabilityZoneId"):
        if key in model:
            args[key] = model[key]
    with generated_id("moto.ec2.models.subnets", "random_subnet_id", model.get("SubnetId")):
        subnet_id = api.client("ec2").create_subnet(**args)["Subnet"]["SubnetId"]
    if model.get("MapPublicIpOnLaunch"):
        api.client("ec2").modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": True})
    return {**model, **(read_subnet(api, subnet_id) or {})}


def read_subnet(api: Api, subnet_id: str) -> Model | None:
    ec2 = api.client("ec2")
    try:
        subnet = ec2.describe_subnets(SubnetIds=[subnet_id])["Subnets"][0]
    except Exception as exc:
        if _missing(exc):
            return None
        raise
    model: Model = {"SubnetId": subnet_id, "VpcId": subnet["VpcId"], "CidrBlock": subnet["CidrBlock"],
                    "AvailabilityZone": subnet["AvailabilityZone"], "AvailabilityZoneId": subnet.get("AvailabilityZoneId"),
                    "MapPublicIpOnLaunch": subnet.get("MapPublicIpOnLaunch", False),
                    "Ipv6CidrBlocks": [a["Ipv6CidrBlock"] for a in subnet.get("Ipv6CidrBlockAssociationSet", [])]}
    acls = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}])["NetworkAcls"]
    for acl in acls:
        for association in acl.get("Associations", []):
            if association.get("SubnetId") == subnet_id:
                model["NetworkAclAssociationId"] = association["NetworkAclAssociationId"]
    if subnet.get("Tags"):
        model["Tags"] = _tags(subnet)
    return {k: v for k, v in model.items() if v is not None}


def update_subnet(api: Api, subnet_id: str, old: Model, new: Model) -> None:
    if old.get("MapPublicIpOnLaunch") != new.get("MapPublicIpOnLaunch"):
        api.client("ec2").modify_subnet_attribute(SubnetId=subnet_id,
                                                  MapPublicIpOnLaunch={"Value": bool(new.get("MapPublicIpOnLaunch"))})
    _retag(api, subnet_id, old, new)


def delete_subnet(api: Api, subnet_id: str) -> None:
    try:
        api.client("ec2").delete_subnet(SubnetId=subnet_id)
    except Exception as exc:
        if not _missing(exc):
            raise


def list_subnets(api: Api) -> list[str]:
    return [s["SubnetId"] for s in api.client("ec2").describe_subnets()["Subnets"] if not s.get("DefaultForAz")]


# Security groups.

def _rules(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for rule in rules:
        permission: dict[str, Any] = {"IpProtocol": str(rule.get("IpProtocol", "-1"))}
        for key in ("FromPort", "ToPort"):
            if key in rule:
                permission[key] = int(rule[key])
        if rule.get("CidrIp"):
            permission["IpRanges"] = [{"CidrIp": rule["CidrIp"], **({"Description": rule["Description"]} if rule.get("Description") else {})}]
        if rule.get("CidrIpv6"):
            permission["Ipv6Ranges"] = [{"CidrIpv6": rule["CidrIpv6"]}]
        if rule.get("SourceSecurityGroupId") or rule.get("DestinationSecurityGroupId"):
            permission["UserIdGroupPairs"] = [{"GroupId": rule.get("SourceSecurityGroupId") or rule["DestinationSecurityGroupId"]}]
        out.append(permission)
    return out


def _from_permissions(permissions: list[dict[str, Any]], egress: bool) -> list[dict[str, Any]]:
    rules = []
    for permission in permissions:
        base: dict[str, Any] = {k: permission[k] for k in ("IpProtocol", "FromPort", "ToPort") if k in permission}
        for ip_range in permission.get("IpRanges", []):
            rule: dict[str, Any] = {**base, "CidrIp": ip_range["CidrIp"]}
            if ip_range.get("Description"):
                rule["Description"] = ip_range["Description"]
            rules.append(rule)
        for ip_range in permission.get("Ipv6Ranges", []):
            rules.append({**base, "CidrIpv6": ip_range["CidrIpv6"]})
        for pair in permission.get("UserIdGroupPairs", []):
            rules.append({**base, ("DestinationSecurityGroupId" if egress else "SourceSecurityGroupId"): pair["GroupId"]})
    return rules


def create_group(api: Api, model: Model) -> Model:
    ec2 = api.client("ec2")
    name = model.get("GroupName") or f"cc-sg-{''.join(api.rng.choice('abcdefghijklmnopqrstuvwxyz0123456789') for _ in range(12))}"
    args: dict[str, Any] = {"GroupName": name, "Description": model["GroupDescription"],
                            "TagSpecifications": _tag_spec("security-group", model)}
    if model.get("VpcId"):
        args["VpcId"] = model["VpcId"]
    with generated_id("moto.ec2.models.security_groups", "random_security_group_id", model.get("Id")):
        group_id = ec2.create_security_group(**args)["GroupId"]
    if model.get("SecurityGroupIngress"):
        ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=_rules(model["SecurityGroupIngress"]))
    if model.get("SecurityGroupEgress"):
        ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=_rules(model["SecurityGroupEgress"]))
    return {**model, **(read_group(api, group_id) or {})}


def read_group(api: Api, group_id: str) -> Model | None:
    ec2 = api.client("ec2")
    try:
        group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    except Exception as exc:
        if _missing(exc):
            return None
        raise
    model: Model = {"Id": group_id, "GroupId": group_id, "GroupName": group["GroupName"],
                    "GroupDescription": group["Description"], "VpcId": group.get("VpcId")}
    ingress = _from_permissions(group.get("IpPermissions", []), egress=False)
    if ingress:
        model["SecurityGroupIngress"] = ingress
    egress = _from_permissions(group.get("IpPermissionsEgress", []), egress=True)
    if egress:
        model["SecurityGroupEgress"] = egress
    if group.get("Tags"):
        model["Tags"] = _tags(group)
    return {k: v for k, v in model.items() if v is not None}


def update_group(api: Api, group_id: str, old: Model, new: Model) -> None:
    ec2 = api.client("ec2")
    for key, revoke, authorize in (("SecurityGroupIngress", ec2.revoke_security_group_ingress, ec2.authorize_security_group_ingress),
                                   ("SecurityGroupEgress", ec2.revoke_security_group_egress, ec2.authorize_security_group_egress)):
        if old.get(key) == new.get(key):
            continue
        if old.get(key):
            revoke(GroupId=group_id, IpPermissions=_rules(old[key]))
        if new.get(key):
            authorize(GroupId=group_id, IpPermissions=_rules(new[key]))
    _retag(api, group_id, old, new)


def delete_group(api: Api, group_id: str) -> None:
    try:
        api.client("ec2").delete_security_group(GroupId=group_id)
    except Exception as exc:
        if not _missing(exc):
            raise


def list_groups(api: Api) -> list[str]:
    return [g["GroupId"] for g in api.client("ec2").describe_security_groups()["SecurityGroups"] if g["GroupName"] != "default"]


ADAPTERS = {
    "AWS::EC2::VPC": Adapter(create=create_vpc, read=read_vpc, update=update_vpc, delete=delete_vpc, list=list_vpcs),
    "AWS::EC2::Subnet": Adapter(create=create_subnet, read=read_subnet, update=update_subnet, delete=delete_subnet,
                                list=list_subnets),
    "AWS::EC2::SecurityGroup": Adapter(create=create_group, read=read_group, update=update_group, delete=delete_group,
                                       list=list_groups),
}
