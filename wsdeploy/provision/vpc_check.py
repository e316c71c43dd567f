"""`up` with `vpc`: the subnets and security groups must exist and share one VPC (else exit 2
before any write), and the function must be able to reach the @connections API from there: a
VPC without a NAT gateway or an execute-api interface endpoint gets a warning saying what to add."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import UserError
from .desired import DNS_SUFFIX, Desired

if TYPE_CHECKING:
    from .aws import Aws


def check_vpc(aws: "Aws", d: Desired, partition: str = "aws") -> str | None:
    """Reads only, and only with `vpc`; a warning (the plan's note) or None; UserError when
    the settings cannot work."""
    if not getattr(d, "vpc", None):
        return None
    subnets, groups = list(d.vpc[0]), list(d.vpc[1])
    subnet_vpcs, group_vpcs = aws.subnet_vpcs(subnets), aws.group_vpcs(groups)
    missing = [i for i in subnets if i not in subnet_vpcs] + [i for i in groups if i not in group_vpcs]
    if missing:
        raise UserError(f"vpc of stage {d.stage}: not found in {d.region}: {', '.join(missing)}. Nothing "
                        "was changed: check the ids (aws ec2 describe-subnets, describe-security-groups) "
                        "and the region")
    vpcs = sorted(set(subnet_vpcs.values()) | set(group_vpcs.values()))
    if len(vpcs) > 1:
        where = ", ".join(f"{i} in {v}" for i, v in {**subnet_vpcs, **group_vpcs}.items())
        raise UserError(f"vpc of stage {d.stage}: the subnets and security groups are in several VPCs "
                        f"({where}); Lambda needs them all in one. Nothing was changed")
    vpc = vpcs[0]
    service = f"com.amazonaws.{d.region}.execute-api"
    if partition in DNS_SUFFIX:
        service = f"cn.com.amazonaws.{d.region}.execute-api"
    if aws.has_nat_gateway(vpc) or aws.has_endpoint(vpc, service):
        return None
    return (f"the function runs in {vpc}, which has neither a NAT gateway nor an interface VPC "
            f"endpoint for {service}: it cannot reach the @connections API, so sends to clients "
            "will time out. Add one of them (an endpoint with private DNS needs no other change), "
            "or route the subnets through a NAT gateway")
