"""The app's own grants against moto (strict): `permissions` as the role's `app` inline policy
and `managed_policies` attached, written once, diffed, shown by status, removed by `up` when
they leave wsdeploy.toml and by `down` before the role."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.support.aws_fixtures import (ACCOUNT, STRICT_FIXTURES, aws, calls, desired, down, life,
                                        moto_session, session, store)
from tests.support.aws_inventory import EMPTY, expected_inventory, inventory, record_matches_aws
from wsdeploy.app_permissions import Statement
from wsdeploy.provision.deploy import prepare_up, up
from wsdeploy.provision.status import stage_status
from wsdeploy.provision.teardown import prepare_down

__all__ = STRICT_FIXTURES

READ_S3 = Statement(("s3:GetObject",), ("arn:aws:s3:::my-bucket/*",))
BEDROCK = Statement(("bedrock:InvokeModel",), ("*",),
                    '{"StringEquals": {"aws:RequestedRegion": "us-east-1"}}')
S3_READONLY = f"arn:aws:iam::{ACCOUNT}:policy/ReadReports"
LAMBDA_VPC = f"arn:aws:iam::{ACCOUNT}:policy/team/WriteQueue"
GRANTED = desired(app_statements=(READ_S3,), managed_policies=(S3_READONLY,))
PLAIN = desired()


@pytest.fixture(autouse=True)
def managed_policies(session):
    """The account's own managed policies, as a user has them before `up`."""
    iam = session.client("iam")
    for arn in (S3_READONLY, LAMBDA_VPC):
        path, name = arn.split(":policy")[1].rsplit("/", 1)
        iam.create_policy(PolicyName=name, Path=path + "/", PolicyDocument=(
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", '
            '"Resource": "*"}]}'))


def app_policy(session) -> dict:
    return session.client("iam").get_role_policy(RoleName="chat-dev-ws", PolicyName="app")["PolicyDocument"]


def attached(session) -> list[str]:
    found = session.client("iam").list_attached_role_policies(RoleName="chat-dev-ws")["AttachedPolicies"]
    return sorted(p["PolicyArn"] for p in found)


def test_up_writes_the_app_policy_beside_wsdeploys_and_attaches_the_managed_ones(session, aws, store):
    plan, _ = up(aws, GRANTED, store)
    assert app_policy(session) == {"Version": "2012-10-17", "Statement": [
        {"Sid": "App1", "Effect": "Allow", "Action": ["s3:GetObject"],
         "Resource": ["arn:aws:s3:::my-bucket/*"]}]}
    assert attached(session) == [S3_READONLY]
    steps = {(s.kind.value, s.action.value, s.name): s.changes for s in plan.steps}
    assert steps[("app_policy", "create", "chat-dev-ws")] == ("+ s3:GetObject on arn:aws:s3:::my-bucket/*",)
    assert ("managed_policy", "create", S3_READONLY) in steps
    assert inventory(session) == expected_inventory(["$connect", "$default", "$disconnect"],
                                                    app_policies=1, managed_policies=1)
    assert record_matches_aws(session, store.load()) == []


def test_a_no_op_up_reads_and_writes_nothing_for_them(session, aws, store, calls):
    up(aws, GRANTED, store)
    calls.clear()
    plan, _ = up(aws, GRANTED, store)
    assert plan.steps == ()
    assert calls.writes == []
    # the one GetRolePolicy is of wsdeploy's own policy, read on every up (issue 14)
    assert calls.operations == ["GetFunction", "GetApi", "GetRoutes", "GetRolePolicy"]


def test_a_change_is_one_put_with_a_diff_of_statements_and_detach_plus_attach(session, aws, store, calls):
    up(aws, GRANTED, store)
    calls.clear()
    changed = replace(GRANTED, app_statements=(BEDROCK,), managed_policies=(LAMBDA_VPC,))
    plan, _ = up(aws, changed, store)
    policy = [s for s in plan.steps if s.kind.value == "app_policy"]
    assert [(s.action.value, s.changes) for s in policy] == [("update", (
        "- s3:GetObject on arn:aws:s3:::my-bucket/*",
        '+ bedrock:InvokeModel on * if {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}'))]
    assert sorted(calls.writes) == ["AttachRolePolicy", "DetachRolePolicy", "PutRolePolicy"]
    assert app_policy(session)["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:RequestedRegion": "us-east-1"}}
    assert attached(session) == [LAMBDA_VPC]
    assert record_matches_aws(session, store.load()) == []


def test_removing_them_deletes_the_policy_and_detaches_only_what_wsdeploy_attached(session, aws, store):
    up(aws, GRANTED, store)
    session.client("iam").attach_role_policy(RoleName="chat-dev-ws", PolicyArn=LAMBDA_VPC)  # by hand
    plan, _ = up(aws, PLAIN, store, refresh=True)
    assert {(s.kind.value, s.action.value, s.name) for s in plan.steps} == {
        ("app_policy", "delete", "chat-dev-ws"), ("managed_policy", "delete", S3_READONLY)}
    assert session.client("iam").list_role_policies(RoleName="chat-dev-ws")["PolicyNames"] == ["wsdeploy"]
    assert attached(session) == [LAMBDA_VPC]
    record = store.load()["resources"]
    assert "app_policy" not in record and "managed_policies" not in record


def test_status_shows_a_policy_changed_and_a_policy_detached_by_hand(session, aws, store):
    up(aws, GRANTED, store)
    iam = session.client("iam")
    iam.put_role_policy(RoleName="chat-dev-ws", PolicyName="app",
                        PolicyDocument='{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
                                       '"Action": "s3:*", "Resource": "*"}]}')
    iam.detach_role_policy(RoleName="chat-dev-ws", PolicyArn=S3_READONLY)
    report = stage_status(aws, GRANTED, store.load(), None)
    drift = {(r.type, r.id): (r.status, r.fields) for r in report.drift}
    assert drift == {("app_policy", "chat-dev-ws"): ("drifted", ("policy document",)),
                     ("managed_policy", S3_READONLY): ("missing", ())}
    plan, _ = up(aws, GRANTED, store, refresh=True)
    assert [(s.kind.value, s.action.value) for s in plan.steps] == [
        ("app_policy", "update"), ("managed_policy", "create")]
    assert stage_status(aws, GRANTED, store.load(), None).drift == []


def test_down_detaches_and_deletes_them_before_the_role(session, aws, store):
    up(aws, GRANTED, store)
    steps = [(s.kind.value, s.name) for s in prepare_down(aws, GRANTED, store).steps]
    role = steps.index(("role", "chat-dev-ws"))
    assert steps.index(("managed_policy", S3_READONLY)) < role
    assert steps.index(("app_policy", "chat-dev-ws")) < role
    down(aws, GRANTED, store)
    assert inventory(session) == EMPTY


def test_a_lost_record_adopts_the_policy_and_the_attached_ones(session, aws, store):
    up(aws, GRANTED, store)
    store.remove()
    prepared = prepare_up(aws, GRANTED, store)
    assert {(s.kind.value, s.action.value) for s in prepared.plan.steps
            if s.kind.value in ("app_policy", "managed_policy")} == {
        ("app_policy", "adopt"), ("managed_policy", "adopt")}
    up(aws, GRANTED, store)
    assert store.load()["resources"]["managed_policies"] == {"arns": [S3_READONLY]}
    assert up(aws, GRANTED, store)[0].steps == ()


def test_down_without_a_record_deletes_the_app_policy_the_role_holds(session, aws, store):
    up(aws, desired(app_statements=(READ_S3,)), store)
    store.remove()
    down(aws, PLAIN, store)
    assert inventory(session) == EMPTY


def test_down_without_a_record_names_the_managed_policy_to_detach(session, aws, store):
    up(aws, GRANTED, store)
    store.remove()
    with pytest.raises(Exception, match="attached to the role by hand"):
        down(aws, PLAIN, store)
    session.client("iam").detach_role_policy(RoleName="chat-dev-ws", PolicyArn=S3_READONLY)
    down(aws, PLAIN, store)
    assert inventory(session) == EMPTY
