"""`vpc` against moto (strict): the function's VpcConfig, the role's network-interface grant,
`up`'s checks (ids exist, one VPC) before any write, the warning of a VPC that cannot reach
@connections, removal, and status drift."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.support.aws_fixtures import REGION, STRICT_FIXTURES, aws, calls, desired, life, moto_session, session, store
from wsdeploy.errors import UserError
from wsdeploy.provision.deploy import prepare_up, up
from wsdeploy.provision.status import stage_status

__all__ = STRICT_FIXTURES


def network(session, cidr="10.1.0.0/16"):
    ec2 = session.client("ec2")
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr.replace("0.0/16", "1.0/24"))["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName=f"app-{vpc}", Description="app", VpcId=vpc)["GroupId"]
    return vpc, subnet, group


def vpc_config(session) -> dict:
    config = session.client("lambda").get_function(FunctionName="chat-dev-ws")["Configuration"]
    return config.get("VpcConfig") or {}


def test_the_function_runs_in_the_subnets_and_the_role_may_make_its_interfaces(session, aws, store):
    vpc, subnet, group = network(session)
    plan, _ = up(aws, desired(vpc=((subnet,), (group,))), store)
    config = vpc_config(session)
    assert (config["SubnetIds"], config["SecurityGroupIds"]) == ([subnet], [group])
    policy = session.client("iam").get_role_policy(RoleName="chat-dev-ws", PolicyName="wsdeploy")
    eni = next(s for s in policy["PolicyDocument"]["Statement"] if s["Sid"] == "VpcNetworkInterfaces")
    assert eni["Action"] == ["ec2:AssignPrivateIpAddresses", "ec2:CreateNetworkInterface",
                             "ec2:DeleteNetworkInterface", "ec2:DescribeNetworkInterfaces",
                             "ec2:UnassignPrivateIpAddresses"]
    assert any(f"runs in {vpc}, which has neither a NAT gateway nor an interface VPC endpoint for "
               f"com.amazonaws.{REGION}.execute-api" in note for note in plan.notes)


def test_an_execute_api_endpoint_silences_the_warning_and_a_no_op_up_writes_nothing(session, aws, store, calls):
    vpc, subnet, group = network(session)
    session.client("ec2").create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{REGION}.execute-api",
                                              VpcEndpointType="Interface", SubnetIds=[subnet])
    d = desired(vpc=((subnet,), (group,)))
    plan, _ = up(aws, d, store)
    assert not any("NAT" in note for note in plan.notes)
    calls.clear()
    assert up(aws, d, store)[0].steps == () and calls.writes == []


def test_missing_ids_and_two_vpcs_stop_up_before_any_write(session, aws, store, calls):
    _, subnet, _ = network(session)
    _, _, other_group = network(session, "10.2.0.0/16")
    calls.clear()
    with pytest.raises(UserError, match="not found in .*: sg-0123456789abcdef0"):
        up(aws, desired(vpc=((subnet,), ("sg-0123456789abcdef0",))), store)
    with pytest.raises(UserError, match="several VPCs"):
        up(aws, desired(vpc=((subnet,), (other_group,))), store)
    assert calls.writes == [] and not store.exists()


def test_removing_it_takes_the_function_out_and_status_shows_a_change_by_hand(session, aws, store):
    _, subnet, group = network(session)
    d = desired(vpc=((subnet,), (group,)))
    up(aws, d, store)
    _, other_subnet, other_group = network(session, "10.3.0.0/16")
    session.client("lambda").update_function_configuration(
        FunctionName="chat-dev-ws", VpcConfig={"SubnetIds": [other_subnet], "SecurityGroupIds": [other_group]})
    drift = stage_status(aws, d, store.load(), None).drift
    assert [(r.type, r.fields) for r in drift] == [("function", ("vpc",))]
    assert [s.changes for s in prepare_up(aws, d, store).plan.steps] == [("vpc",)]
    up(aws, replace(d, vpc=None), store)
    assert not vpc_config(session).get("SubnetIds")
    assert stage_status(aws, replace(d, vpc=None), store.load(), None).drift == []
