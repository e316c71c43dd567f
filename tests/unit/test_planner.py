"""The planner alone: observed resources in, ordered steps out, no AWS."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

import wsdeploy.runtime.connections as connections_module
from tests.support.aws_fixtures import ACCOUNT, desired
from wsdeploy.errors import UserError
from wsdeploy.provision.live import Function, Identity
from wsdeploy.runtime.env import CONNECTIONS_TRACK_ENV as TRACK_ENV
from wsdeploy.runtime.env import CONNECTIONS_TTL_ENV as TTL_HOURS_ENV
from wsdeploy.provision.desired import (TABLE_ACTIONS, DesiredConnections,
                                        DesiredRoute, config_hash, document_hash, function_settings,
                                        integration_function, integration_uri,
                                        permission_source_arn, role_policy, trust_policy)
from wsdeploy.provision.seen import (Observed, SeenApi, SeenFunction, SeenIntegration,
                                        SeenLogGroup, SeenPermission, SeenPolicy, SeenRole,
                                        SeenRoute, SeenStage, SeenTable)
from wsdeploy.provision.planner import plan

API = "abc123"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/chat-dev-ws"
FUNCTION_ARN = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:chat-dev-ws"
INTEGRATION_URI = (f"arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/"
                   f"{FUNCTION_ARN}/invocations")


def live_function(d, **changes) -> Function:
    settings = function_settings(d, "aws", ROLE_ARN, API)
    function = Function(name=d.name, arn=FUNCTION_ARN, role=ROLE_ARN, handler=settings["handler"],
                        runtime=d.runtime, memory=d.memory, timeout=d.timeout,
                        architecture=d.architecture, environment=settings["environment"],
                        code_sha256=d.code_sha256, state="Active", last_update_status="Successful",
                        state_reason=None, tags=d.tags)
    return replace(function, **changes)


def converged(d, recorded: bool = True, **changes) -> Observed:
    """Everything exists exactly as `d` wants it."""
    o = Observed(
        identity=Identity(ACCOUNT, "aws"),
        role=SeenRole(ROLE_ARN, document_hash(trust_policy()), recorded),
        role_policy=SeenPolicy(document_hash(role_policy(d, "aws", ACCOUNT, API)), recorded),
        log_group=SeenLogGroup(d.retention_days, recorded),
        api=SeenApi(API, d.route_selection, recorded),
        function=SeenFunction(live_function(d), recorded),
        permission=SeenPermission(permission_source_arn(d, "aws", ACCOUNT, API), recorded),
        integration=SeenIntegration("int1", INTEGRATION_URI, recorded),
        routes=tuple(SeenRoute(r.key, f"id-{r.key}", "integrations/int1", r.reply, recorded,
                               f"resp-{r.key}" if r.reply else None) for r in d.routes),
        stage=SeenStage(None, recorded),
    )
    return replace(o, **changes)


def described(p) -> list[str]:
    return [step.describe() for step in p.steps]


def test_nothing_exists_creates_everything_in_dependency_order():
    d = desired()
    p = plan(d, Observed(identity=None))
    assert [(s.kind, s.action, s.name) for s in p.steps] == [
        ("role", "create", "chat-dev-ws"),
        ("log_group", "create", "/aws/lambda/chat-dev-ws"),
        ("api", "create", "chat-dev-ws"),
        ("role_policy", "create", "chat-dev-ws"),
        ("function", "create", "chat-dev-ws"),
        ("permission", "create", "chat-dev-ws"),
        ("integration", "create", "AWS_PROXY"),
        ("route", "create", "$connect"),
        ("route", "create", "$default"),
        ("route", "create", "$disconnect"),
        ("stage", "create", "dev"),
    ]
    assert p.unchanged == ()


def test_a_reply_route_gets_its_route_response_right_after_it():
    p = plan(desired(routes=(("join", True),)), Observed(identity=None))
    kinds = [(s.kind, s.name) for s in p.steps]
    at = kinds.index(("route", "join"))
    assert kinds[at + 1] == ("route_response", "join")
    assert p.steps[at].changes == ("reply",)


def test_nothing_changed_plans_nothing_and_lists_everything_unchanged():
    d = desired(routes=(("join", True),))
    p = plan(d, converged(d))
    assert p.steps == ()
    assert not p.changes_aws
    assert ("function", "chat-dev-ws") in p.unchanged and ("route", "join") in p.unchanged
    assert len(p.unchanged) == 7 + len(d.routes) + 1


def test_changed_code_is_one_code_update():
    old = desired("x = 1\n")
    new = desired("x = 2\n")
    assert described(plan(new, converged(old))) == ["update function code chat-dev-ws (code)"]


def test_changed_architecture_goes_with_the_code_update():
    d = desired()
    o = converged(d, function=SeenFunction(live_function(d, architecture="x86_64"), True))
    assert described(plan(d, o)) == ["update function code chat-dev-ws (architecture)"]


def test_changed_memory_and_timeout_are_one_configuration_update():
    d = desired()
    p = plan(replace(d, memory=512, timeout=10), converged(d))
    assert described(p) == ["update function chat-dev-ws (memory, timeout)"]


def test_an_environment_change_names_the_variable_but_never_its_value():
    d = desired()
    changed = replace(d, user_environment=(("LOG_LEVEL", "s3cr3t-value"),))
    p = plan(changed, converged(d))
    assert described(p) == ["update function chat-dev-ws (environment: LOG_LEVEL)"]
    assert "s3cr3t" not in repr(p)


def test_a_new_custom_route_is_created_and_nothing_else_changes():
    d = desired()
    with_join = desired(routes=(("join", False),))
    assert described(plan(with_join, converged(d))) == ["create route join"]


def test_a_route_no_handler_registers_is_deleted_never_recreated():
    d = desired(routes=(("join", False), ("leave", False)))
    fewer = desired(routes=(("join", False),))
    assert described(plan(fewer, converged(d))) == [
        "delete route leave: no handler registers it any more"]


def test_turning_reply_on_updates_the_route_and_adds_its_response():
    d = desired(routes=(("join", False),))
    replying = desired(routes=(("join", True),))
    assert described(plan(replying, converged(d))) == [
        "update route join (reply)", "create route response join"]


def test_turning_reply_off_removes_the_response_first_then_updates_the_route():
    d = desired(routes=(("join", True),))
    one_way = desired(routes=(("join", False),))
    assert described(plan(one_way, converged(d))) == [
        "delete route response join", "update route join (reply)"]


def test_changed_route_selection_updates_the_api_in_place():
    d = desired()
    p = plan(replace(d, route_selection="$request.body.type"), converged(d))
    assert described(p) == ["update api chat-dev-ws (route_selection)"]


def test_changed_retention_updates_the_log_group():
    d = desired()
    assert described(plan(replace(d, retention_days=30), converged(d))) == [
        "update log group /aws/lambda/chat-dev-ws (retention_days)"]


def test_an_api_deleted_by_hand_is_recreated_and_everything_naming_it_follows():
    d = desired()
    o = converged(d, api=None, integration=None, routes=(), stage=None)
    p = plan(d, o)
    assert [(s.kind, s.action) for s in p.steps] == [
        ("api", "create"), ("role_policy", "update"), ("function", "update"),
        ("permission", "update"), ("integration", "create"), ("route", "create"),
        ("route", "create"), ("route", "create"), ("stage", "create")]
    function_step = p.steps[2]
    assert function_step.changes == ("environment: WEBSOCKET_API_GATEWAY_ENDPOINT",)
    assert function_step.why == "the API is new"


def test_resources_found_but_not_recorded_are_adopted_without_any_write():
    d = desired(routes=(("join", True),))
    p = plan(d, converged(d, recorded=False))
    assert {s.action for s in p.steps} == {"adopt"}
    assert not p.changes_aws
    assert {s.kind for s in p.steps} == {"role", "role_policy", "log_group", "api", "function",
                                          "permission", "integration", "route", "stage"}


def test_an_adopted_reply_route_whose_response_is_unknown_ensures_one():
    d = desired(routes=(("join", True),))
    routes = tuple(replace(r, recorded=False, response_id=None) for r in converged(d).routes)
    p = plan(d, converged(d, routes=routes))
    assert "create route response join" in described(p)
    assert [s.action for s in p.steps if s.kind == "route"] == ["adopt"] * 4


def test_an_adopted_role_without_the_policy_gets_the_policy():
    d = desired()
    p = plan(d, converged(d, role_policy=None))
    assert described(p) == ["create role policy chat-dev-ws"]


def test_a_trust_policy_changed_by_hand_is_put_back():
    d = desired()
    p = plan(d, converged(d, role=SeenRole(ROLE_ARN, "something-else", True)))
    assert described(p) == ["update role chat-dev-ws (trust policy)"]


def test_a_permission_for_another_source_is_replaced():
    d = desired()
    p = plan(d, converged(d, permission=SeenPermission("arn:aws:execute-api:eu-west-1:1:other/*", True)))
    assert described(p) == ["update permission chat-dev-ws (source_arn)"]


def test_a_function_that_was_deleted_is_created_with_its_permission():
    d = desired()
    p = plan(d, converged(d, function=None, permission=None))
    assert [(s.kind, s.action) for s in p.steps] == [("function", "create"), ("permission", "create")]


def test_a_stage_with_auto_deploy_turned_off_gets_it_back():
    d = desired()
    p = plan(d, converged(d, stage=SeenStage(False, True)))
    assert described(p) == ["update stage dev (auto-deploy): turned off outside wsdeploy"]
    assert ("stage", "dev") not in p.unchanged
    assert plan(d, converged(d, stage=SeenStage(True, True))).steps == ()


def test_desired_routes_always_include_the_three_built_in_ones(tmp_path):
    """desired_from itself: the built-in routes come whatever the handler module registers,
    a registered built-in keeps its reply flag, and the routes are sorted by key."""
    from types import SimpleNamespace

    from tests.support.package_project import write_project
    from wsdeploy.config import load_stage
    from wsdeploy.discover import HandlerInfo, RouteSpec
    from wsdeploy.provision.desired import desired_from

    cfg = load_stage(write_project(tmp_path, '[app]\nname = "chat"\n[stages.dev]\n'))
    handler = HandlerInfo("app", (RouteSpec("join", True), RouteSpec("$default", True)))
    d = desired_from(cfg, SimpleNamespace(handler=handler, sha256_b64="x", data=b""), "eu-west-1")
    assert [(r.key, r.reply) for r in d.routes] == [
        ("$connect", False), ("$default", True), ("$disconnect", False), ("join", True)]
    assert d.route("join") == DesiredRoute("join", True) and d.route("leave") is None
    bare = desired_from(cfg, SimpleNamespace(handler=HandlerInfo("app", ()), sha256_b64="x", data=b""),
                        "eu-west-1")
    assert [r.key for r in bare.routes] == ["$connect", "$default", "$disconnect"]


# -- the integration's URI -------------------------------------------------------------------------
def test_the_integration_invokes_the_functions_invocation_path():
    d = desired()
    assert integration_uri(d, FUNCTION_ARN) == INTEGRATION_URI
    cn = "arn:aws-cn:lambda:cn-north-1:123456789012:function:chat-dev-ws"
    assert integration_uri(replace(d, region="cn-north-1"), cn) == (
        f"arn:aws-cn:apigateway:cn-north-1:lambda:path/2015-03-31/functions/{cn}/invocations")
    gov = "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:chat-dev-ws"
    assert integration_uri(replace(d, region="us-gov-west-1"), gov).startswith(
        "arn:aws-us-gov:apigateway:us-gov-west-1:lambda:path/")
    assert integration_function(INTEGRATION_URI) == integration_function(FUNCTION_ARN) == FUNCTION_ARN


def test_an_integration_with_the_bare_function_arn_is_updated_once():
    d = desired()
    p = plan(d, converged(d, integration=SeenIntegration("int1", FUNCTION_ARN, True)))
    assert described(p) == ["update integration AWS_PROXY (uri)"]


def test_a_new_integration_in_another_partition_gets_that_partitions_uri():
    d = replace(desired(), region="cn-north-1")
    p = plan(d, converged(d, identity=Identity(ACCOUNT, "aws-cn"), integration=SeenIntegration(
        "int1", "arn:aws-cn:apigateway:cn-north-1:lambda:path/2015-03-31/functions/"
        f"arn:aws-cn:lambda:cn-north-1:{ACCOUNT}:function:chat-dev-ws/invocations", True),
        function=None, permission=None))
    assert ("integration", "update") not in [(s.kind, s.action) for s in p.steps]


# -- a function Lambda gave up on ----------------------------------------------------------------
def test_a_function_whose_last_update_failed_is_written_again_with_lambdas_reason():
    d = desired()
    failed = live_function(d, last_update_status="Failed", state_reason="EniLimitExceeded: no ENI")
    p = plan(d, converged(d, function=SeenFunction(failed, True)))
    why = "Lambda reports its last update Failed (EniLimitExceeded: no ENI): written again"
    assert [(s.kind, s.action, s.changes, s.why) for s in p.steps] == [
        ("function", "update", ("settings",), why), ("function_code", "update", ("code",), why)]


def test_a_function_whose_creation_failed_gets_its_settings_written_again():
    d = desired()
    failed = live_function(d, state="Failed", memory=128, state_reason="InvalidRole")
    p = plan(d, converged(d, function=SeenFunction(failed, True)))
    assert described(p) == [
        "update function chat-dev-ws (memory): Lambda reports its creation Failed (InvalidRole): written again"]


# -- a removed reply route --------------------------------------------------------------------------
def test_a_removed_reply_route_loses_its_response_first():
    d = desired(routes=(("join", True), ("leave", False)))
    fewer = desired()
    assert described(plan(fewer, converged(d))) == [
        "delete route response join", "delete route join: no handler registers it any more",
        "delete route leave: no handler registers it any more"]


# -- duplicates ------------------------------------------------------------------------------------
def test_duplicates_are_deleted_last_integrations_before_apis():
    d = desired()
    p = plan(d, converged(d, extra_apis=("dup1",), extra_integrations=("int2",)))
    assert described(p) == ["delete integration int2: a duplicate, invoking this function too",
                            "delete api dup1: a duplicate of chat-dev-ws, tagged as this stage's"]
    assert ("api", "chat-dev-ws") in p.unchanged


# -- connection tracking's table ------------------------------------------------------------------
TABLE = "chat-dev-ws-connections"
TABLE_ARN = f"arn:aws:dynamodb:eu-west-1:{ACCOUNT}:table/{TABLE}"
TRACKING = DesiredConnections(ttl_hours=2, track=True)


def seen_table(recorded: bool = True, **changes) -> SeenTable:
    return replace(SeenTable(TABLE_ARN, "ACTIVE", "PAY_PER_REQUEST", "ENABLED", "ttl", recorded), **changes)


def tracking(**changes):
    return desired(connections=TRACKING, **changes)


def test_a_fresh_stage_with_tracking_creates_the_table_early_and_its_ttl_right_before_the_function():
    p = plan(tracking(), Observed(identity=None))
    assert [(s.kind, s.action) for s in p.steps][:7] == [
        ("role", "create"), ("table", "create"), ("log_group", "create"), ("api", "create"),
        ("role_policy", "create"), ("table_ttl", "update"), ("function", "create")]
    assert p.steps[1].describe() == f"create table {TABLE} (on-demand, keys pk, sk)"
    assert p.count("create") == 12 and p.count("update") == 1


def test_a_tracked_stage_in_place_plans_nothing_and_lists_the_table_unchanged():
    d = tracking()
    p = plan(d, converged(d, table=seen_table()))
    assert p.steps == () and ("table", TABLE) in p.unchanged


def test_turning_tracking_on_creates_table_grant_ttl_and_variables_in_that_order():
    before = desired()
    p = plan(tracking(), converged(before))
    assert described(p) == [
        f"create table {TABLE} (on-demand, keys pk, sk)",
        "update role policy chat-dev-ws (policy document)",
        f"update table ttl {TABLE} (on, attribute ttl): once the table is ACTIVE",
        "update function chat-dev-ws (environment: WSDEPLOY_CONNECTIONS_TABLE, "
        "WSDEPLOY_CONNECTIONS_TRACK, WSDEPLOY_CONNECTIONS_TTL_HOURS)"]


def test_turning_tracking_off_drops_variables_then_grant_then_the_table_and_warns_of_its_data():
    d = tracking()
    p = plan(desired(), converged(d, table=seen_table()))
    assert [(s.kind, s.action) for s in p.steps] == [
        ("function", "update"), ("role_policy", "update"), ("table", "delete")]
    assert "deletes every item" in p.steps[-1].describe()
    assert any(TABLE in note and "deleted" in note for note in p.notes)
    assert ("table", TABLE) not in p.unchanged


def test_without_tracking_a_table_being_deleted_needs_nothing():
    d = desired()
    assert plan(d, converged(d, table=seen_table(status="DELETING"))).steps == ()


def test_a_table_still_being_deleted_is_created_again_after_its_deletion():
    d = tracking()
    p = plan(d, converged(d, table=seen_table(status="DELETING", ttl_status="DISABLED")))
    assert described(p)[:2] == [
        f"create table {TABLE} (on-demand, keys pk, sk): once the old one's deletion has finished",
        f"update table ttl {TABLE} (on, attribute ttl): once the table is ACTIVE"]


def test_ttl_turned_off_and_billing_changed_by_hand_are_put_back():
    d = tracking()
    p = plan(d, converged(d, table=seen_table(billing_mode="PROVISIONED", ttl_status="DISABLED")))
    assert [(s.kind, s.action, s.changes) for s in p.steps] == [
        ("table", "update", ("billing_mode",)), ("table_ttl", "update", ("on, attribute ttl",))]


def test_ttl_on_another_attribute_is_explained_not_fought():
    d = tracking()
    p = plan(d, converged(d, table=seen_table(ttl_attribute="expires")))
    assert p.steps == ()
    assert any("'expires'" in note and "once an hour" in note for note in p.notes)


def test_a_table_with_other_keys_is_refused_with_what_to_do():
    d = tracking()
    with pytest.raises(UserError, match="other keys.*delete-table --table-name chat-dev-ws-connections"):
        plan(d, converged(d, table=seen_table(keys_ok=False)))


def test_an_unrecorded_table_is_adopted_and_its_missing_ttl_turned_on():
    d = tracking()
    p = plan(d, converged(d, table=seen_table(recorded=False, ttl_status="DISABLED", ttl_attribute=None)))
    assert [(s.kind, s.action) for s in p.steps] == [("table", "adopt"), ("table_ttl", "update")]


def test_the_grant_is_the_runtimes_four_item_calls_on_the_table_arn_only():
    statements = role_policy(tracking(), "aws", ACCOUNT, API)["Statement"]
    assert role_policy(desired(), "aws", ACCOUNT, API)["Statement"] == statements[:2]
    [grant] = statements[2:]
    assert grant == {"Sid": "ConnectionsTable", "Effect": "Allow",
                     "Action": ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem",
                                "dynamodb:GetItem", "dynamodb:Query"],
                     "Resource": TABLE_ARN}
    # exactly the DynamoDB operations the runtime's store calls, no more, no fewer
    import botocore.session
    from botocore import xform_name

    source = Path(connections_module.__file__).read_text()
    model = botocore.session.get_session().get_service_model("dynamodb")
    called = {op for op in model.operation_names if re.search(rf"\.{xform_name(op)}\(", source)}
    assert {f"dynamodb:{op}" for op in called} == set(TABLE_ACTIONS)


def test_the_variables_are_the_runtimes_names_and_track_is_set_only_when_on():
    env = function_settings(tracking(), "aws", ROLE_ARN, API)["environment"]
    from wsdeploy.runtime import env as runtime_env

    assert {k: v for k, v in env.items() if k.startswith("WSDEPLOY_CONNECTIONS")} == {
        runtime_env.CONNECTIONS_TABLE_ENV: TABLE, runtime_env.CONNECTIONS_TTL_ENV: "2",
        runtime_env.CONNECTIONS_TRACK_ENV: "1"}
    quiet = desired(connections=DesiredConnections(ttl_hours=1.5, track=False))
    env = function_settings(quiet, "aws", ROLE_ARN, API)["environment"]
    assert env[TTL_HOURS_ENV] == "1.5" and TRACK_ENV not in env
    assert not any(k.startswith("WSDEPLOY_CONNECTIONS") for k in
                   function_settings(desired(), "aws", ROLE_ARN, API)["environment"])


def test_desired_from_the_config_names_the_configs_table(tmp_path):
    from types import SimpleNamespace

    from tests.support.package_project import write_project
    from wsdeploy.config import load_stage
    from wsdeploy.discover import HandlerInfo
    from wsdeploy.provision.desired import desired_from

    toml = '[app]\nname = "chat"\n[app.connections]\nenabled = true\nttl_hours = 3\ntrack = false\n[stages.dev]\n'
    cfg = load_stage(write_project(tmp_path, toml))
    package = SimpleNamespace(handler=HandlerInfo("app", ()), sha256_b64="x", data=b"")
    d = desired_from(cfg, package, "eu-west-1")
    assert d.connections == DesiredConnections(3, False)
    assert d.connections_table == cfg.connections_table == TABLE
    off = load_stage(write_project(tmp_path / "off", toml.replace("true", "false", 1)))
    assert desired_from(off, package, "eu-west-1").connections is None
    # a stage without tracking keeps the hash it had before tracking existed; with it, it differs
    plain = desired()
    before = {"runtime": plain.runtime, "architecture": plain.architecture, "memory": plain.memory,
              "timeout": plain.timeout, "handler_module": plain.handler_module,
              "retention_days": plain.retention_days, "route_selection": plain.route_selection,
              "routes": [[r.key, r.reply] for r in plain.routes], "environment_names": ["LOG_LEVEL"]}
    assert config_hash(plain) == document_hash(before) != config_hash(tracking())


# -- a custom domain ---------------------------------------------------------------------------
from datetime import datetime, timedelta, timezone  # noqa: E402

from wsdeploy.provision.desired import DesiredDomain  # noqa: E402
from wsdeploy.provision.live import Certificate, HostedZone  # noqa: E402
from wsdeploy.provision.seen import SeenApiMapping, SeenDnsRecords, SeenDomainName  # noqa: E402
from wsdeploy.provision.steps import Kind  # noqa: E402

NAME, TARGET = "ws.example.com", "d-1.execute-api.eu-west-1.amazonaws.com"
WITH_DOMAIN = desired(domain=DesiredDomain(NAME))
ZONE, CERT = HostedZone("Z1", "example.com"), Certificate("arn:cert")


def domain_converged(d=WITH_DOMAIN, recorded: bool = True, **changes) -> Observed:
    parts = dict(domain_name=SeenDomainName(NAME, "arn:cert", TARGET, "ZAPI", recorded),
                 api_mapping=SeenApiMapping("m1", API, "dev", "", recorded),
                 dns_records=SeenDnsRecords("Z1", "example.com", NAME, TARGET, recorded),
                 certificate=CERT, zone=ZONE)
    return converged(d, recorded, **{**parts, **changes})


def kinds(p) -> list[tuple[str, str, str]]:
    return [(s.action, s.kind, s.name) for s in p.steps]


def test_a_domain_is_made_after_the_stage_name_then_mapping_then_records():
    p = plan(WITH_DOMAIN, Observed(identity=None, certificate=CERT, zone=ZONE))
    assert kinds(p)[-4:] == [("create", "stage", "dev"), ("create", "domain_name", NAME),
                             ("create", "api_mapping", NAME), ("create", "dns_records", NAME)]
    assert described(p)[-3:] == [
        f"create domain name {NAME} (REGIONAL, TLS 1.2, certificate arn:cert)",
        f"create api mapping {NAME} (stage dev)",
        f"create dns records {NAME} (alias A and AAAA in zone example.com)"]


def test_a_domain_as_wanted_is_unchanged_and_unrecorded_parts_are_adopted():
    p = plan(WITH_DOMAIN, domain_converged())
    assert p.steps == () and (Kind.DOMAIN_NAME, NAME) in p.unchanged and (Kind.DNS_RECORDS, NAME) in p.unchanged
    adopted = plan(WITH_DOMAIN, domain_converged(recorded=False))
    assert [s for s in kinds(adopted) if s[1] in ("domain_name", "api_mapping", "dns_records")] == [
        ("adopt", "domain_name", NAME), ("adopt", "api_mapping", NAME), ("adopt", "dns_records", NAME)]


def test_what_changed_in_a_domain_is_updated_in_place():
    o = domain_converged(certificate=Certificate("arn:other"),
                         api_mapping=SeenApiMapping("m1", "old-api", "dev", "v1", True),
                         dns_records=SeenDnsRecords("Z9", "ws.example.com", NAME, None, True))
    o = replace(o, domain_name=replace(o.domain_name, settings_ok=False))
    assert described(plan(WITH_DOMAIN, o)) == [
        f"update domain name {NAME} (certificate, settings)",
        f"update api mapping {NAME} (api, base_path)",
        f"update dns records {NAME} (zone, target)"]


def test_a_base_path_names_the_mapping():
    d = desired(domain=DesiredDomain(NAME, base_path="chat/v1"))
    assert described(plan(d, domain_converged(d))) == [f"update api mapping {NAME}/chat/v1 (base_path)"]


def test_without_a_zone_no_records_are_planned_and_a_new_domain_says_so():
    p = plan(WITH_DOMAIN, domain_converged(zone=None, dns_records=None, domain_name=None, api_mapping=None))
    assert [s[1] for s in kinds(p)] == ["domain_name", "api_mapping"]
    assert any("no public Route 53 hosted zone of this account covers ws.example.com" in n for n in p.notes)
    assert plan(WITH_DOMAIN, domain_converged(zone=None, dns_records=None)).notes == ()


def test_a_domain_turned_off_loses_its_records_then_its_name():
    p = plan(desired(), domain_converged(d=desired(), certificate=None, zone=None))
    assert kinds(p) == [("delete", "dns_records", NAME), ("delete", "domain_name", NAME)]
    assert p.notes == (f"wss://{NAME} will stop answering: the domain is off in wsdeploy.toml",)


def test_a_renamed_domain_deletes_the_old_before_making_the_new():
    d = desired(domain=DesiredDomain("live.example.com"))
    assert kinds(plan(d, domain_converged(d))) == [
        ("delete", "dns_records", NAME), ("delete", "domain_name", NAME),
        ("create", "domain_name", "live.example.com"), ("create", "api_mapping", "live.example.com"),
        ("create", "dns_records", "live.example.com")]


def test_a_certificate_expiring_within_30_days_is_noted():
    now = datetime(2026, 6, 1, tzinfo=timezone.utc)
    soon = Certificate("arn:cert", ("ws.example.com",), "ISSUED", "RSA_2048", now + timedelta(days=12))
    p = plan(WITH_DOMAIN, domain_converged(certificate=soon), now=now)
    assert p.steps == () and p.notes == (
        "the certificate arn:cert expires on 2026-06-13, in 12 days: ACM renews the certificates it "
        "issued while their validation records remain; renew or re-import an imported one",)
