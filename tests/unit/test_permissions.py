"""The deployer's policy (issue 12), built from what each AWS call declares it needs."""

from __future__ import annotations

import re

import botocore.session
import pytest

import wsdeploy.provision.aws  # noqa: F401 - its modules declare their calls
from tests.support.aws_fixtures import ACCOUNT, desired
from wsdeploy.provision.aws import Aws
from wsdeploy.provision.permissions import (DECLARED, TABLE, Need, PolicyContext, Scope,
                                            UndeclaredCall, declare, policy_document)
from wsdeploy.remote_state import S3Location

NAMES = desired()
ACTION = re.compile(r"[a-z0-9-]+:[A-Z][A-Za-z]+|apigateway:(GET|POST|PATCH|PUT|DELETE)")


def context(**changes) -> PolicyContext:
    return PolicyContext(**{"names": NAMES, "partition": "aws", "account": ACCOUNT, **changes})


def test_every_declared_call_is_a_real_operation_with_well_formed_actions():
    models = botocore.session.get_session()
    for (service, operation), needs in DECLARED.items():
        names = {botocore.xform_name(op) for op in models.get_service_model(service).operation_names}
        assert operation in names, f"{service}.{operation} is no boto3 operation"
        for need in needs:
            assert all(ACTION.fullmatch(action) for action in need.actions), need.actions


def test_statements_are_named_once_and_name_this_stages_resources():
    policy = policy_document(context())
    sids = [s["Sid"] for s in policy["Statement"]]
    assert len(sids) == len(set(sids)) and all(sid.isalnum() for sid in sids)
    resources = [r for s in policy["Statement"] for r in
                 ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])]
    named = [r for r in resources if not r.startswith("arn:aws:apigateway:")]
    assert named and all("chat-dev-ws" in r or r.endswith(":log-group:*") for r in named), named
    assert all(r.startswith(("arn:aws:apigateway:eu-west-1::/apis", "arn:aws:apigateway:eu-west-1::/tags",
                             "arn:aws:apigateway:eu-west-1::/domainnames"))
               for r in resources if r.startswith("arn:aws:apigateway:"))


def test_acm_and_route53_only_for_stages_with_a_domain():
    from types import SimpleNamespace
    plain = {s["Sid"] for s in policy_document(context())["Statement"]}
    domain = SimpleNamespace(domain=SimpleNamespace(hosted_zone_id="Z123"))
    with_domain = policy_document(context(cfg=domain))["Statement"]
    assert {s["Sid"] for s in with_domain} - plain == {"Certificates", "ListCertificates", "HostedZones",
                                                       "ListHostedZones"}
    zones = next(s for s in with_domain if s["Sid"] == "HostedZones")
    assert zones["Resource"] == "arn:aws:route53:::hostedzone/Z123"


def test_the_table_and_the_bucket_only_for_stages_that_use_them():
    plain = {s["Sid"] for s in policy_document(context())["Statement"]}
    full = {s["Sid"] for s in policy_document(context(connections=True,
                                                      state=S3Location("b", "p")))["Statement"]}
    assert full - plain == {"ConnectionsTable", "StateObjects", "StateBucket"}


def test_a_call_declared_nowhere_is_refused_before_it_is_made(monkeypatch):
    aws = Aws.__new__(Aws)       # no session needed: the refusal comes first
    with pytest.raises(UndeclaredCall, match=r"lambda\.put_provisioned_concurrency_config is called without"):
        aws._call("lambda", "put_provisioned_concurrency_config", FunctionName="x")


def test_a_kind_adds_its_calls_and_scopes_in_its_own_module(monkeypatch):
    monkeypatch.setattr("wsdeploy.provision.permissions.DECLARED", dict(DECLARED))
    secrets = Scope("AppSecrets", lambda c: [f"arn:{c.partition}:secretsmanager:{c.region}:{c.account}:"
                                             f"secret:{c.names.name}/*"])
    declare("secretsmanager", {"get_secret_value": Need(secrets, "secretsmanager:GetSecretValue")})
    by_sid = {s["Sid"]: s for s in policy_document(context())["Statement"]}
    assert by_sid["AppSecrets"]["Action"] == ["secretsmanager:GetSecretValue"]
    declare("dynamodb", {"scan": Need(Scope("ConnectionsTable", TABLE.arns), "dynamodb:Scan")})
    with pytest.raises(ValueError, match="two scopes are named 'ConnectionsTable'"):
        policy_document(context())


def test_managed_policies_are_attached_only_those_named_and_only_for_stages_with_some():
    from types import SimpleNamespace
    plain = {s["Sid"] for s in policy_document(context())["Statement"]}
    arns = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    statements = policy_document(context(cfg=SimpleNamespace(managed_policies=tuple(arns))))["Statement"]
    assert {s["Sid"] for s in statements} - plain == {"AttachManagedPolicies", "ManagedPolicies"}
    attach = next(s for s in statements if s["Sid"] == "AttachManagedPolicies")
    assert attach["Action"] == ["iam:AttachRolePolicy"]
    assert attach["Resource"] == f"arn:aws:iam::{ACCOUNT}:role/chat-dev-ws"
    assert attach["Condition"] == {"ArnEquals": {"iam:PolicyARN": arns}}
