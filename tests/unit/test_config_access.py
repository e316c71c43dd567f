"""`permissions` and `managed_policies` in wsdeploy.toml (issue 10): what is accepted, what is
refused before any AWS call, with which message, and the warnings about "*"."""

from __future__ import annotations

import pytest

from tests.support.package_project import write_project
from tests.unit.test_config import app, problems
from wsdeploy.app_permissions import Statement
from wsdeploy.config import load_stage
from wsdeploy.provision.app_policy import app_policy_document, statements_diff

GOOD = '''
[[app.permissions]]
actions = ["s3:GetObject", "s3:List*"]
resources = ["arn:aws:s3:::my-bucket/*"]

[[app.permissions]]
actions = ["bedrock:InvokeModelWithResponseStream"]
resources = ["arn:aws:bedrock:us-east-1::foundation-model/anthropic.*"]
condition = { StringEquals = { "aws:RequestedRegion" = "us-east-1" } }
'''


def test_statements_and_managed_policies_are_read_in_order(tmp_path):
    cfg = load_stage(write_project(tmp_path, app('managed_policies = ["arn:aws:iam::aws:policy/ReadOnlyAccess"]'
                                                 + GOOD)))
    assert cfg.permissions == (
        Statement(("s3:GetObject", "s3:List*"), ("arn:aws:s3:::my-bucket/*",)),
        Statement(("bedrock:InvokeModelWithResponseStream",),
                  ("arn:aws:bedrock:us-east-1::foundation-model/anthropic.*",),
                  '{"StringEquals": {"aws:RequestedRegion": "us-east-1"}}'))
    assert cfg.managed_policies == ("arn:aws:iam::aws:policy/ReadOnlyAccess",)
    assert cfg.warnings == ()
    assert app_policy_document(cfg.permissions)["Statement"][1] == {
        "Sid": "App2", "Effect": "Allow", "Action": ["bedrock:InvokeModelWithResponseStream"],
        "Resource": ["arn:aws:bedrock:us-east-1::foundation-model/anthropic.*"],
        "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}}


def test_a_stages_list_replaces_the_apps(tmp_path):
    stages = '[stages.dev]\n\n[stages.prod]\npermissions = [{ actions = ["sqs:SendMessage"], resources = ["*"] }]\n'
    config = write_project(tmp_path, app(GOOD, stages))
    assert len(load_stage(config, "dev").permissions) == 2
    prod = load_stage(config, "prod")
    assert prod.permissions == (Statement(("sqs:SendMessage",), ("*",)),)
    assert prod.warnings == ('stage prod: permissions[1]: resources = ["*"] allows every resource of its '
                             'actions; name what the app uses if you can',)


def test_star_actions_are_warned_about_by_statement_number(tmp_path):
    toml = app(GOOD + '\n[[app.permissions]]\nactions = ["*"]\nresources = ["arn:aws:s3:::b"]\n')
    assert load_stage(write_project(tmp_path, toml)).warnings == (
        'stage dev: permissions[3]: actions = ["*"] allows every action of every service; name what '
        'the app uses if you can',)


@pytest.mark.parametrize("extra, message", [
    ('permissions = "s3:GetObject"', 'app.permissions: must be a list of statements'),
    ('[[app.permissions]]\nactions = ["s3GetObject"]\nresources = ["*"]',
     'app.permissions[1].actions: "s3GetObject" is not an IAM action'),
    ('[[app.permissions]]\nactions = ["s3:GetObject\\n"]\nresources = ["*"]',
     'app.permissions[1].actions: "s3:GetObject\n" is not an IAM action'),
    ('[[app.permissions]]\nactions = ["s3:GetObject"]\nresources = ["my-bucket"]',
     'app.permissions[1].resources: "my-bucket" is not a resource ARN'),
    ('[[app.permissions]]\nactions = ["s3:GetObject"]', 'app.permissions[1].resources: missing'),
    ('[[app.permissions]]\nactions = []\nresources = ["*"]',
     'app.permissions[1].actions: must be a non-empty list of strings'),
    ('[[app.permissions]]\nactions = ["s3:GetObject"]\nresources = ["*"]\neffect = "Deny"',
     'app.permissions[1].effect: unknown key'),
    ('[[app.permissions]]\nactions = ["s3:GetObject"]\nresources = ["*"]\ncondition = "x"',
     'app.permissions[1].condition: must be a table of operators'),
    ('managed_policies = "arn:aws:iam::aws:policy/ReadOnlyAccess"', 'app.managed_policies: must be a list'),
    ('managed_policies = ["ReadOnlyAccess"]', 'app.managed_policies: "ReadOnlyAccess" is not a managed policy ARN'),
    ('managed_policies = ["arn:aws:iam::12345:policy/X"]', 'is not a managed policy ARN'),
    ('managed_policies = ["arn:aws:iam::aws:policy/X", "arn:aws:iam::aws:policy/X"]', 'lists a policy twice'),
])
def test_bad_statements_are_refused_naming_the_statement(tmp_path, extra, message):
    found = problems(tmp_path, app(extra))
    assert len(found) == 1 and message.replace("\n", "\\n") in found[0], found


def test_the_plan_names_statements_added_and_removed_sids_aside():
    old = app_policy_document([Statement(("s3:GetObject",), ("*",)), Statement(("sqs:SendMessage",), ("*",))])
    new = app_policy_document([Statement(("sqs:SendMessage",), ("*",))])
    assert statements_diff(old["Statement"], new["Statement"]) == ("- s3:GetObject on *",)
    assert statements_diff(None, new["Statement"]) == ("policy document",)
