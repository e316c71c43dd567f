"""EC2 reads for `vpc` (issue 10): that the subnets and security groups exist and share one VPC,
and whether that VPC can reach the @connections API (a NAT gateway or an execute-api
endpoint). Only a stage with `vpc` makes them."""

from __future__ import annotations

from ..permissions import VPC_READS, Need, declare
from .core import AwsCore

declare("ec2", {
    "describe_subnets": Need(VPC_READS, "ec2:DescribeSubnets"),
    "describe_security_groups": Need(VPC_READS, "ec2:DescribeSecurityGroups"),
    "describe_nat_gateways": Need(VPC_READS, "ec2:DescribeNatGateways"),
    "describe_vpc_endpoints": Need(VPC_READS, "ec2:DescribeVpcEndpoints"),
    # not called by wsdeploy: Lambda checks that the caller giving it a VpcConfig may make it
    "describe_vpcs": Need(VPC_READS, "ec2:DescribeVpcs"),
})


class Ec2Calls(AwsCore):
    def subnet_vpcs(self, ids: list[str]) -> dict[str, str]:
        """subnet id -> its VPC, for those of `ids` that exist."""
        found = self._call("ec2", "describe_subnets", Filters=[{"Name": "subnet-id", "Values": ids}])
        return {s["SubnetId"]: s["VpcId"] for s in found.get("Subnets", [])}

    def group_vpcs(self, ids: list[str]) -> dict[str, str]:
        """security group id -> its VPC, for those of `ids` that exist."""
        found = self._call("ec2", "describe_security_groups", Filters=[{"Name": "group-id", "Values": ids}])
        return {g["GroupId"]: g.get("VpcId", "") for g in found.get("SecurityGroups", [])}

    def has_nat_gateway(self, vpc: str) -> bool:
        found = self._call("ec2", "describe_nat_gateways", Filter=[
            {"Name": "vpc-id", "Values": [vpc]}, {"Name": "state", "Values": ["available", "pending"]}])
        return bool(found.get("NatGateways"))

    def has_endpoint(self, vpc: str, service: str) -> bool:
        found = self._call("ec2", "describe_vpc_endpoints", Filters=[
            {"Name": "vpc-id", "Values": [vpc]}, {"Name": "service-name", "Values": [service]}])
        return any(e.get("State", "").lower() not in ("deleted", "deleting", "failed", "rejected")
                   for e in found.get("VpcEndpoints", []))
