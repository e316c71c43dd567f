"""The planner alone: observed resources in, ordered steps out, no AWS."""

from __future__ import annotations

from dataclasses import replace

from tests.support.aws import ACCOUNT, desired
from wsdeploy.provision.aws import Function, Identity
from wsdeploy.provision.desired import (DesiredRoute, document_hash, function_settings,
                                        permission_source_arn, role_policy, trust_policy)
from wsdeploy.provision.observe import (Observed, SeenApi, SeenFunction, SeenIntegration,
                                        SeenLogGroup, SeenPermission, SeenPolicy, SeenRole,
                                        SeenRoute, SeenStage)
from wsdeploy.provision.planner import plan

API = "abc123"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/chat-dev-ws"
FUNCTION_ARN = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:chat-dev-ws"


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
        integration=SeenIntegration("int1", FUNCTION_ARN, recorded),
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


def test_a_stage_with_auto_deploy_turned_off_is_explained_not_silently_ignored():
    d = desired()
    p = plan(d, converged(d, stage=SeenStage(False, True)))
    assert p.steps == ()
    assert any("auto-deploy" in note for note in p.notes)


def test_desired_routes_always_include_the_three_built_in_ones():
    keys = [r.key for r in desired(routes=(("join", True),)).routes]
    assert keys == ["$connect", "$default", "$disconnect", "join"]
    assert desired(routes=(("join", True),)).route("join") == DesiredRoute("join", True)
