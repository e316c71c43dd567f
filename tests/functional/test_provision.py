"""The provisioner against moto in-process: what `up` creates, what each kind of change
writes (counted with a botocore event hook), `down`, `status`, adoption and refusals."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from urllib.parse import unquote

import pytest

from tests.support.aws_faults import role_not_assumable_for
from tests.support.aws_fixtures import (ACCOUNT, REGION, STRICT_FIXTURES, CallLog, FakeClock, aws,
                                        calls, desired, down, life, make_aws, moto_session,
                                        session, store)
from tests.support.aws_inventory import (EMPTY, expected_inventory, inventory, record_matches_aws,
                                         reply_keys_of, route_keys_of)
from wsdeploy.errors import DeployError, UserError
from wsdeploy.provision.handlers.api import SETTLE_SECONDS
from wsdeploy.provision.deploy import prepare_up, up
from wsdeploy.provision.handlers.permission import create_permission
from wsdeploy.provision.run import Run
from wsdeploy.provision.status import stage_status
from wsdeploy.provision.teardown import apply_down, prepare_down

__all__ = STRICT_FIXTURES   # the fixtures, imported for pytest

WRITE_GOAL_FRESH, CALL_GOAL_FRESH, CALL_GOAL_NOOP = 12, 17, 5


# -- a fresh up -----------------------------------------------------------------------------
def test_a_fresh_up_creates_exactly_one_of_each_resource(session, aws, store):
    d = desired(routes=(("join", True), ("leave", False)))
    _, url = up(aws, d, store)
    assert inventory(session) == expected_inventory(route_keys_of(d), ["join"])
    record = store.load()
    assert record_matches_aws(session, record) == []
    api_id = record["resources"]["api"]["id"]
    assert url == f"wss://{api_id}.execute-api.{REGION}.amazonaws.com/dev" == record["url"]
    assert record["account"] == ACCOUNT and record["region"] == REGION
    assert record["code_sha256"] == d.code_sha256


def test_the_role_trusts_lambda_only_and_its_policy_names_this_api_and_log_group_only(session, aws, store):
    up(aws, desired(), store)
    api_id = store.load()["resources"]["api"]["id"]
    iam = session.client("iam")
    role = iam.get_role(RoleName="chat-dev-ws")["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(unquote(trust)) if isinstance(trust, str) else trust
    assert trust["Statement"] == [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                   "Action": "sts:AssumeRole"}]
    assert iam.list_role_policies(RoleName="chat-dev-ws")["PolicyNames"] == ["wsdeploy"]
    assert iam.list_attached_role_policies(RoleName="chat-dev-ws")["AttachedPolicies"] == []
    policy = iam.get_role_policy(RoleName="chat-dev-ws", PolicyName="wsdeploy")["PolicyDocument"]
    by_action = {json.dumps(s["Action"]): s["Resource"] for s in policy["Statement"]}
    assert by_action == {
        json.dumps(["logs:CreateLogStream", "logs:PutLogEvents"]):
            f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/chat-dev-ws:*",
        json.dumps("execute-api:ManageConnections"):
            f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/dev/*/@connections/*",
    }
    assert all(s["Effect"] == "Allow" for s in policy["Statement"])


def test_the_permission_lets_only_this_api_invoke_the_function(session, aws, store):
    up(aws, desired(), store)
    api_id = store.load()["resources"]["api"]["id"]
    policy = json.loads(session.client("lambda").get_policy(FunctionName="chat-dev-ws")["Policy"])
    [statement] = policy["Statement"]
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert statement["Action"] == "lambda:InvokeFunction"
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"] == \
        f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*"


def test_the_function_runs_the_runtime_with_its_settings_and_environment(session, aws, store):
    d = desired(memory=512, timeout=20, architecture="x86_64", runtime="python3.12")
    up(aws, d, store)
    api_id = store.load()["resources"]["api"]["id"]
    config = session.client("lambda").get_function(FunctionName="chat-dev-ws")["Configuration"]
    assert config["Handler"] == "wsdeploy.runtime.lambda_handler"
    assert (config["Runtime"], config["MemorySize"], config["Timeout"], config["Architectures"]) == \
        ("python3.12", 512, 20, ["x86_64"])
    assert config["Role"] == f"arn:aws:iam::{ACCOUNT}:role/chat-dev-ws"
    assert config["CodeSha256"] == d.code_sha256
    assert config["Environment"]["Variables"] == {
        "LOG_LEVEL": "info", "WSDEPLOY_HANDLER_MODULE": "app",
        "WEBSOCKET_API_GATEWAY_ENDPOINT": f"https://{api_id}.execute-api.{REGION}.amazonaws.com/dev"}


def test_routes_target_the_one_integration_and_only_reply_routes_have_responses(session, aws, store):
    up(aws, desired(routes=(("join", True), ("leave", False))), store)
    record = store.load()
    api_id = record["resources"]["api"]["id"]
    apigw = session.client("apigatewayv2")
    [integration] = apigw.get_integrations(ApiId=api_id)["Items"]
    assert integration["IntegrationType"] == "AWS_PROXY"
    function_arn = record["resources"]["function"]["arn"]
    assert integration["IntegrationUri"] == (
        f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function_arn}/invocations")
    assert record["resources"]["integration"]["uri"] == integration["IntegrationUri"]
    routes = {r["RouteKey"]: r for r in apigw.get_routes(ApiId=api_id)["Items"]}
    assert {r["Target"] for r in routes.values()} == {f"integrations/{integration['IntegrationId']}"}
    assert {k for k, r in routes.items() if r.get("RouteResponseSelectionExpression") == "$default"} == {"join"}
    response = apigw.get_route_response(ApiId=api_id, RouteId=routes["join"]["RouteId"],
                                        RouteResponseId=record["resources"]["routes"]["join"]["response_id"])
    assert response["RouteResponseKey"] == "$default"
    api = apigw.get_api(ApiId=api_id)
    assert api["ProtocolType"] == "WEBSOCKET"
    assert api["RouteSelectionExpression"] == "$request.body.action"
    assert apigw.get_stage(ApiId=api_id, StageName="dev")["AutoDeploy"] is True


def test_everything_that_takes_tags_is_tagged_with_app_and_stage(session, aws, store):
    up(aws, desired(), store)
    tags = {"wsdeploy:app": "chat", "wsdeploy:stage": "dev"}
    record = store.load()
    api_id = record["resources"]["api"]["id"]
    apigw = session.client("apigatewayv2")
    role_tags = session.client("iam").get_role(RoleName="chat-dev-ws")["Role"]["Tags"]
    assert {t["Key"]: t["Value"] for t in role_tags} == tags
    assert session.client("lambda").get_function(FunctionName="chat-dev-ws")["Tags"] == tags
    assert apigw.get_api(ApiId=api_id)["Tags"] == tags
    assert apigw.get_stage(ApiId=api_id, StageName="dev")["Tags"] == tags
    group_arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/chat-dev-ws"
    assert session.client("logs").list_tags_for_resource(resourceArn=group_arn)["tags"] == tags
    [group] = session.client("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/chat-dev-ws")["logGroups"]
    assert group["retentionInDays"] == 14


def test_a_fresh_up_meets_the_call_goal_and_makes_no_patching_writes(aws, calls, store):
    up(aws, desired(), store)
    assert len(calls.operations) <= CALL_GOAL_FRESH
    assert len(calls.writes) == WRITE_GOAL_FRESH
    assert len(set(calls.writes) - {"CreateRoute"}) == len(calls.writes) - 3   # each once
    assert not {"UpdateFunctionConfiguration", "UpdateFunctionCode", "UpdateApi",
                "UpdateRoute"} & set(calls.operations)
    # the API exists before the policy and the function that name it
    ops = calls.operations
    assert ops.index("CreateApi") < ops.index("PutRolePolicy") < ops.index("CreateFunction")


def test_the_state_file_holds_no_environment_values(aws, store):
    up(aws, desired(user_environment=(("API_TOKEN", "s3cr3t-value-123"),)), store)
    text = store.path.read_text()
    assert "s3cr3t-value-123" not in text
    assert "API_TOKEN" in text


# -- updates ------------------------------------------------------------------------------
def test_a_second_up_makes_no_write_and_at_most_five_calls(aws, calls, store):
    d = desired(routes=(("join", True),))
    up(aws, d, store)
    before = store.path.read_text()
    calls.clear()
    plan, _ = up(aws, d, store)
    assert calls.writes == []
    assert len(calls.operations) <= CALL_GOAL_NOOP
    assert plan.steps == ()
    assert store.path.read_text() == before


def test_changed_code_makes_exactly_one_write(session, aws, calls, store):
    up(aws, desired("x = 1\n"), store)
    calls.clear()
    new = desired("x = 2\n")
    up(aws, new, store)
    assert calls.writes == ["UpdateFunctionCode"]
    live = session.client("lambda").get_function(FunctionName="chat-dev-ws")["Configuration"]
    assert live["CodeSha256"] == new.code_sha256 == store.load()["code_sha256"]


def test_changed_settings_update_only_the_function_configuration(session, aws, calls, store):
    d = desired()
    up(aws, d, store)
    calls.clear()
    up(aws, replace(d, memory=1024, user_environment=(("LOG_LEVEL", "debug"),)), store)
    assert calls.writes == ["UpdateFunctionConfiguration"]
    config = session.client("lambda").get_function(FunctionName="chat-dev-ws")["Configuration"]
    assert config["MemorySize"] == 1024
    assert config["Environment"]["Variables"]["LOG_LEVEL"] == "debug"
    assert config["Environment"]["Variables"]["WSDEPLOY_HANDLER_MODULE"] == "app"


def test_route_changes_write_only_the_routes(session, aws, calls, store):
    up(aws, desired(routes=(("join", True), ("leave", False))), store)
    calls.clear()
    d = desired(routes=(("join", False), ("shout", True)))
    up(aws, d, store)
    assert sorted(calls.writes) == sorted(["DeleteRouteResponse", "UpdateRoute", "CreateRoute",
                                           "CreateRouteResponse", "DeleteRoute"])
    assert inventory(session) == expected_inventory(route_keys_of(d), ["shout"])
    assert record_matches_aws(session, store.load()) == []
    api_id = store.load()["resources"]["api"]["id"]
    routes = {r["RouteKey"]: r for r in session.client("apigatewayv2").get_routes(ApiId=api_id)["Items"]}
    assert not routes["join"].get("RouteResponseSelectionExpression")


def test_a_changed_route_selection_expression_updates_the_api_only(session, aws, calls, store):
    d = desired()
    up(aws, d, store)
    calls.clear()
    up(aws, replace(d, route_selection="$request.body.type"), store)
    assert calls.writes == ["UpdateApi"]
    api_id = store.load()["resources"]["api"]["id"]
    assert session.client("apigatewayv2").get_api(ApiId=api_id)["RouteSelectionExpression"] == "$request.body.type"


def test_dry_run_makes_only_reads_and_writes_no_state(aws, calls, store):
    prepared = prepare_up(aws, desired(), store)
    assert len(prepared.plan.steps) == 11
    assert calls.writes == [] and calls.reads
    assert not store.dir.exists()
    up(aws, desired(), store)
    before = store.path.read_text()
    calls.clear()
    prepared = prepare_up(aws, desired("changed = True\n", memory=512), store)
    assert [s.describe() for s in prepared.plan.steps] == [
        "update function chat-dev-ws (memory)", "update function code chat-dev-ws (code)"]
    assert calls.writes == []
    assert store.path.read_text() == before


def test_refresh_repairs_what_was_deleted_by_hand(session, aws, store):
    up(aws, desired(), store)
    session.client("logs").delete_log_group(logGroupName="/aws/lambda/chat-dev-ws")
    plan, _ = up(aws, desired(), store)
    assert plan.steps == ()                   # trusted from the record, not read
    plan, _ = up(aws, desired(), store, refresh=True)
    assert [s.describe() for s in plan.steps] == ["create log group /aws/lambda/chat-dev-ws (retention 14 days)"]
    assert inventory(session)["log_groups"] == 1


def test_a_plain_up_puts_back_the_role_policy_widened_or_deleted_by_hand(session, aws, calls, store):
    """Least privilege that stays least (issue 14): wsdeploy's own policy is read on every up."""
    up(aws, desired(), store)
    iam = session.client("iam")
    wide = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    iam.put_role_policy(RoleName="chat-dev-ws", PolicyName="wsdeploy", PolicyDocument=json.dumps(wide))
    calls.clear()
    plan, _ = up(aws, desired(), store)
    assert [s.describe() for s in plan.steps] == ["update role policy chat-dev-ws (policy document)"]
    assert calls.writes == ["PutRolePolicy"]
    put_back = iam.get_role_policy(RoleName="chat-dev-ws", PolicyName="wsdeploy")["PolicyDocument"]
    assert "*" not in [s["Action"] for s in put_back["Statement"]]
    iam.delete_role_policy(RoleName="chat-dev-ws", PolicyName="wsdeploy")
    plan, _ = up(aws, desired(), store)
    assert [s.describe() for s in plan.steps] == ["create role policy chat-dev-ws"]
    assert inventory(session)["role_policies"] == 1 and up(aws, desired(), store)[0].steps == ()


# -- down ------------------------------------------------------------------------------------
def test_down_deletes_everything_and_the_state_file_and_twice_is_harmless(session, aws, calls, store):
    up(aws, desired(routes=(("join", True),)), store)
    calls.clear()
    down(aws, desired(), store)
    assert inventory(session) == EMPTY
    assert not store.exists()
    assert calls.writes == ["DeleteApi", "DeleteFunction", "DeleteRolePolicy", "DeleteRole",
                            "DeleteLogGroup"]
    calls.clear()
    down(aws, desired(), store)
    assert calls.writes == []


def test_down_keeps_the_log_group_when_asked(session, aws, store):
    up(aws, desired(), store)
    apply_down(aws, desired(), store, prepare_down(aws, desired(), store, keep_logs=True))
    assert inventory(session) == {**EMPTY, "log_groups": 1}


def test_down_is_fine_with_resources_already_deleted_by_hand(session, aws, store):
    up(aws, desired(), store)
    api_id = store.load()["resources"]["api"]["id"]
    session.client("apigatewayv2").delete_api(ApiId=api_id)
    session.client("lambda").delete_function(FunctionName="chat-dev-ws")
    down(aws, desired(), store)       # the strict layer answers NotFound as AWS does
    assert inventory(session) == EMPTY and not store.exists()


def test_down_refuses_a_record_that_names_another_apps_api_and_deletes_nothing(session, aws, calls, store):
    """A state file edited (or copied) to name another app's API must not delete that API."""
    other = session.client("apigatewayv2").create_api(
        Name="billing-prod-ws", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action",
        Tags={"wsdeploy:app": "billing", "wsdeploy:stage": "prod"})["ApiId"]
    up(aws, desired(), store)
    record = store.load()
    record["resources"]["api"]["id"] = other
    store.save(record)
    calls.clear()
    with pytest.raises(UserError, match=f"names the API {other}, but it is tagged "
                                        "wsdeploy:app=billing, wsdeploy:stage=prod"):
        down(aws, desired(), store)
    assert calls.writes == []
    assert other in [a["ApiId"] for a in session.client("apigatewayv2").get_apis()["Items"]]
    assert inventory(session)["functions"] == 1 and store.exists()


def test_down_refuses_a_recorded_resource_whose_tags_say_it_is_another_stages(session, aws, calls, store):
    up(aws, desired(), store)
    function_arn = store.load()["resources"]["function"]["arn"]
    session.client("lambda").tag_resource(Resource=function_arn, Tags={"wsdeploy:stage": "prod"})
    calls.clear()
    with pytest.raises(UserError, match="names the Lambda function chat-dev-ws, but it is tagged "
                                        "wsdeploy:app=chat, wsdeploy:stage=prod"):
        down(aws, desired(), store)
    assert calls.writes == []


# -- a lost state file -------------------------------------------------------------------------
def test_a_lost_state_file_is_rebuilt_by_adoption_without_duplicates(session, aws, calls, store):
    d = desired(routes=(("join", True),))
    up(aws, d, store)
    first = store.load()
    store.remove()
    calls.clear()
    plan, url = up(aws, d, store)
    assert {s.action for s in plan.steps} == {"adopt", "create"}
    assert [s.describe() for s in plan.steps if s.action == "create"] == ["create route response join"]
    assert calls.writes == ["CreateRouteResponse"]       # answered "exists": adopted
    assert inventory(session) == expected_inventory(route_keys_of(d), ["join"])
    again = store.load()
    assert again["resources"] == first["resources"] and url == first["url"]


def test_a_lost_state_file_does_not_stop_down(session, aws, store):
    up(aws, desired(), store)
    store.remove()
    down(aws, desired(), store)
    assert inventory(session) == EMPTY


def test_a_same_named_function_without_our_tags_is_never_taken_over(session, aws, calls, store):
    from tests.support.aws_fixtures import zip_of
    iam = session.client("iam")
    arn = iam.create_role(RoleName="other", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    session.client("lambda").create_function(FunctionName="chat-dev-ws", Role=arn, Runtime="python3.13",
                                             Handler="x.y", Code={"ZipFile": zip_of("")[0]})
    calls.clear()
    with pytest.raises(UserError, match="not tagged wsdeploy:app=chat"):
        up(aws, desired(), store)
    assert calls.writes == []
    teardown = prepare_down(aws, desired(), store)
    assert all(step.kind != "function" for step in teardown.steps)
    assert any("left alone" in notice for notice in teardown.notices)


# -- refusals and waits ----------------------------------------------------------------------
def test_credentials_of_another_account_are_refused_before_any_write(aws, calls, store):
    up(aws, desired(), store)
    record = store.load()
    store.save({**record, "account": "210987654321"})
    calls.clear()
    with pytest.raises(UserError, match="records account 210987654321.*account 123456789012"):
        up(aws, desired("changed = 1\n"), store)
    with pytest.raises(UserError, match="records account"):
        prepare_down(aws, desired(), store)
    assert calls.writes == []


def test_another_region_is_refused_without_any_call(aws, calls, store):
    up(aws, desired(), store)
    calls.clear()
    with pytest.raises(UserError, match="region eu-west-1, but this run uses us-east-2"):
        up(aws, desired(region="us-east-2"), store)
    assert calls.operations == []


def test_a_renamed_app_is_explained_not_half_applied(aws, calls, store):
    up(aws, desired(), store)
    calls.clear()
    with pytest.raises(UserError, match="Names cannot change in place"):
        up(aws, desired(app="talk", name="talk-dev-ws"), store)
    assert calls.operations == []


def test_a_role_lambda_cannot_assume_yet_is_retried_with_backoff(session, store):
    clock = FakeClock()
    refused = role_not_assumable_for(session, times=3)
    up(make_aws(session, clock), desired(), store)
    assert refused == [3]
    assert clock.slept == [SETTLE_SECONDS, 1.0, 2.0, 4.0]   # the new API's look for twins first
    assert inventory(session)["functions"] == 1


def test_a_role_that_never_becomes_assumable_fails_clearly_after_about_a_minute(session, store):
    clock = FakeClock()
    role_not_assumable_for(session, times=1000)
    with pytest.raises(DeployError) as raised:
        up(make_aws(session, clock), desired(), store)
    assert 45 <= clock.now <= 75
    message = str(raised.value)
    assert "create function chat-dev-ws" in message and "cannot be assumed" in message
    assert "`wsdeploy up` resumes" in message and "`wsdeploy down` removes" in message
    assert "role chat-dev-ws" in message          # what the state file records so far


def test_other_errors_of_create_function_are_not_retried(session, store):
    clock = FakeClock()

    def refuse(model, **_):
        from tests.support.aws_strict import _error
        return _error(model.name, "InvalidParameterValueException", "Unzipped size must be smaller")

    session.events.register("before-call.lambda.CreateFunction", refuse)
    with pytest.raises(DeployError, match="Unzipped size"):
        up(make_aws(session, clock), desired(), store)
    assert clock.slept == [SETTLE_SECONDS]     # the API's look for twins; no retry


def _pending_then_active(session, pending_polls: int, final: dict) -> list[int]:
    """CreateFunction answers Pending, and the next polls too, then `final`."""
    polls = [0]

    def pending(parsed, model, **_):
        if model.name == "CreateFunction":
            parsed["State"] = "Pending"
        elif model.name == "GetFunctionConfiguration":
            polls[0] += 1
            parsed.update({"State": "Pending"} if polls[0] <= pending_polls else final)

    session.events.register("after-call.lambda.*", pending)
    return polls


def test_a_pending_function_is_waited_for_before_its_permission(session, calls, store):
    clock = FakeClock()
    polls = _pending_then_active(session, 2, {"State": "Active"})
    up(make_aws(session, clock), desired(), store)
    assert polls == [3] and clock.slept[0] == SETTLE_SECONDS and len(clock.slept) == 3
    ops = calls.operations
    last_poll = len(ops) - 1 - ops[::-1].index("GetFunctionConfiguration")
    assert ops.index("CreateFunction") < last_poll < ops.index("AddPermission")


def test_a_function_that_fails_to_become_active_stops_with_lambdas_reason(session, store):
    _pending_then_active(session, 0, {"State": "Failed", "StateReason": "bad runtime"})
    with pytest.raises(DeployError, match="FunctionFailed: bad runtime"):
        up(make_aws(session, FakeClock()), desired(), store)


def test_a_duplicate_statement_id_for_this_api_is_adopted_not_failed(session, aws, calls, store):
    up(aws, desired(), store)
    d = desired()
    run = Run(aws=aws, d=d, observed=prepare_up(aws, d, store).observed, record=store.load(),
              save=store.save)
    calls.clear()
    create_permission(run, None)      # the statement exists: AWS answers ResourceConflict
    assert calls.operations == ["AddPermission", "GetPolicy"]       # same source: kept
    assert inventory(session)["permissions"] == 1


def test_a_duplicate_statement_id_for_another_source_is_replaced(session, aws, calls, store):
    up(aws, desired(), store)
    lam = session.client("lambda")
    lam.remove_permission(FunctionName="chat-dev-ws", StatementId="wsdeploy-apigateway-invoke")
    lam.add_permission(FunctionName="chat-dev-ws", StatementId="wsdeploy-apigateway-invoke",
                       Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com",
                       SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:other/*")
    d = desired()
    run = Run(aws=aws, d=d, observed=prepare_up(aws, d, store).observed, record=store.load(),
              save=store.save)
    calls.clear()
    create_permission(run, None)
    assert calls.writes == ["AddPermission", "RemovePermission", "AddPermission"]
    source = json.loads(lam.get_policy(FunctionName="chat-dev-ws")["Policy"])["Statement"][0]
    assert source["Condition"]["ArnLike"]["AWS:SourceArn"].endswith(
        f":{store.load()['resources']['api']['id']}/*")


def test_throttling_is_retried_by_botocore_itself(session, aws, store):
    attempts = []

    def throttle_once(request, **_):
        from botocore.awsrequest import AWSResponse
        attempts.append(request.url)
        if len(attempts) == 1:
            body = json.dumps({"Type": "User", "message": "Rate exceeded"}).encode()
            return AWSResponse(request.url, 429, {"x-amzn-ErrorType": "TooManyRequestsException"},
                               _Raw(body))
        return None

    session.events.register_first("before-send.lambda.GetFunction", throttle_once)
    up(aws, desired(), store)
    assert len(attempts) == 2           # refused once, retried by botocore, then answered
    assert inventory(session)["functions"] == 1


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_):
        yield self._body

    def read(self, *_):
        body, self._body = self._body, b""
        return body


# -- status -----------------------------------------------------------------------------------
def test_status_reports_drift_made_by_hand(session, aws, store):
    d = desired(routes=(("join", False),))
    up(aws, d, store)
    record = store.load()
    api_id = record["resources"]["api"]["id"]
    session.client("lambda").update_function_configuration(FunctionName="chat-dev-ws", MemorySize=999)
    session.client("logs").put_retention_policy(logGroupName="/aws/lambda/chat-dev-ws", retentionInDays=30)
    apigw = session.client("apigatewayv2")
    apigw.delete_route(ApiId=api_id, RouteId=record["resources"]["routes"]["join"]["id"])
    report = stage_status(aws, d, record, local_code_sha256=desired("other = 1\n").code_sha256)
    statuses = {(row.type, row.id): (row.status, row.fields) for row in report.resources}
    assert statuses[("function", "chat-dev-ws")] == ("drifted", ("memory",))
    assert statuses[("log_group", "/aws/lambda/chat-dev-ws")] == ("drifted", ("retention_days",))
    assert statuses[("route", "join")] == ("missing", ())
    assert statuses[("route", "$connect")] == ("ok", ())
    assert statuses[("api", api_id)] == ("ok", ())
    assert report.code_differs is True
    as_json = report.as_json()
    assert {"stage", "deployed", "url", "region", "resources", "drift"} <= set(as_json)
    assert {(r["type"], r["id"], r["status"]) for r in as_json["drift"]} == {
        ("function", "chat-dev-ws", "drifted"), ("log_group", "/aws/lambda/chat-dev-ws", "drifted"),
        ("route", "join", "missing")}
    assert as_json["deployed"] is True and as_json["url"] == record["url"]


def test_status_of_a_clean_stage_is_all_ok_and_of_nothing_is_not_deployed(aws, store):
    d = desired()
    assert stage_status(aws, d, None, None).deployed is False
    up(aws, d, store)
    report = stage_status(aws, d, store.load(), d.code_sha256)
    assert report.drift == [] and report.code_differs is False
    assert len(report.resources) == 7 + 3 + 1
    assert report.notes == ()


def test_status_names_policies_added_to_the_role_by_hand(session, aws, store):
    """Issue 14: `up` puts wsdeploy's own policy back; what was added beside it, status says."""
    d = desired()
    up(aws, d, store)
    iam = session.client("iam")
    managed = iam.create_policy(PolicyName="everything", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    iam.attach_role_policy(RoleName="chat-dev-ws", PolicyArn=managed["Policy"]["Arn"])
    iam.put_role_policy(RoleName="chat-dev-ws", PolicyName="extra", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    [note] = stage_status(aws, d, store.load(), d.code_sha256).notes
    assert "added by hand" in note and "inline policy 'extra'" in note
    assert f"managed policy {managed['Policy']['Arn']}" in note and "'wsdeploy'" not in note


def test_an_api_deleted_by_hand_is_recreated_and_everything_that_names_it_follows(session, aws, calls, store):
    d = desired()
    _, first_url = up(aws, d, store)
    old_api = store.load()["resources"]["api"]["id"]
    session.client("apigatewayv2").delete_api(ApiId=old_api)
    calls.clear()
    _, url = up(aws, d, store)
    new_api = store.load()["resources"]["api"]["id"]
    assert new_api != old_api and url != first_url and new_api in url
    assert sorted(calls.writes) == sorted([
        "CreateApi", "PutRolePolicy", "UpdateFunctionConfiguration", "RemovePermission",
        "AddPermission", "CreateIntegration", "CreateRoute", "CreateRoute", "CreateRoute",
        "CreateStage"])
    assert inventory(session) == expected_inventory(route_keys_of(d))
    assert record_matches_aws(session, store.load()) == []
    env = session.client("lambda").get_function(FunctionName="chat-dev-ws")["Configuration"]["Environment"]
    assert new_api in env["Variables"]["WEBSOCKET_API_GATEWAY_ENDPOINT"]


def test_an_update_in_progress_is_waited_for_before_the_next_write(session, store):
    clock = FakeClock()
    up(make_aws(session, clock), desired("x = 1\n"), store)
    polls = [0]

    def in_progress(parsed, model, **_):
        if model.name == "GetFunction":
            parsed["Configuration"]["LastUpdateStatus"] = "InProgress"
        elif model.name == "GetFunctionConfiguration":
            polls[0] += 1
            parsed["LastUpdateStatus"] = "InProgress" if polls[0] < 2 else "Successful"

    session.events.register("after-call.lambda.*", in_progress)
    clock.slept.clear()
    log = CallLog().attach(session)
    up(make_aws(session, clock), desired("x = 2\n"), store)
    ops = log.operations
    assert polls == [2] and clock.slept == [0.5]
    assert ops.index("GetFunctionConfiguration") < ops.index("UpdateFunctionCode")


def test_logs_come_oldest_first_once_each_and_follow_picks_up_new_ones(session, aws, store):
    from wsdeploy.provision.logs import log_events, parse_since
    up(aws, desired(), store)
    logs = session.client("logs")
    group, stream = "/aws/lambda/chat-dev-ws", "2026/01/01/[$LATEST]abc"
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000)     # CloudWatch drops events older than the retention
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=[
        {"timestamp": now - 2_000, "message": "first"}, {"timestamp": now - 1_000, "message": "second"}])
    assert [e["message"] for e in log_events(aws, group, now - 60_000)] == ["first", "second"]

    polls = []

    def sleep(seconds):
        polls.append(seconds)
        if len(polls) == 1:
            logs.put_log_events(logGroupName=group, logStreamName=stream,
                                logEvents=[{"timestamp": now, "message": "third"}])
        elif len(polls) == 3:
            raise KeyboardInterrupt

    seen = []
    with pytest.raises(KeyboardInterrupt):
        for event in log_events(aws, group, now - 60_000, follow=True, sleep=sleep):
            seen.append(event["message"])
    assert seen == ["first", "second", "third"]          # polled again: no repeats
    assert parse_since("10m") == 600 and parse_since("2h") == 7200
    with pytest.raises(UserError, match="not a duration"):
        parse_since("ten")


# -- secrets in AWS's messages ---------------------------------------------------------------------
SECRET = "s3cr3t-token-value-42"
TOO_BIG = ("Lambda was unable to configure your environment variables because the environment "
           "variables you have provided exceeded the 4KB limit. String measured: "
           '{"API_TOKEN":"' + SECRET + '","WSDEPLOY_HANDLER_MODULE":"app","BIG":"xxxx')


def _refuse(session, operation, message):
    from tests.support.aws_strict import _error

    def refuse(model, **_):
        return _error(model.name, "InvalidParameterValueException", message)

    session.events.register_first(f"before-call.lambda.{operation}", refuse)


def test_lambdas_refusal_of_the_environment_never_shows_its_values(session, store):
    d = desired(user_environment=(("API_TOKEN", SECRET),))
    _refuse(session, "CreateFunction", TOO_BIG)
    with pytest.raises(DeployError) as raised:
        up(make_aws(session), d, store)
    message = str(raised.value)
    assert "exceeded the 4KB limit. String measured: (not shown" in message
    assert SECRET not in message and "API_TOKEN" not in message
    assert SECRET not in repr(raised.value.__cause__) and SECRET not in store.path.read_text()


def test_a_known_value_anywhere_in_an_aws_message_is_blanked(session, aws, store):
    d = desired(user_environment=(("API_TOKEN", SECRET), ("SHORT", "on")))
    up(aws, d, store)
    _refuse(session, "UpdateFunctionConfiguration", f"Value {SECRET} at 'environment' is invalid; on")
    with pytest.raises(DeployError) as raised:
        up(make_aws(session), replace(d, memory=512), store)
    assert "AWS said: InvalidParameterValueException: Value *** at 'environment' is invalid; on" in str(raised.value)


def test_the_values_deployed_before_are_blanked_too(session, aws, store):
    old = desired(user_environment=(("API_TOKEN", "the-old-token-1"),))
    up(aws, old, store)
    _refuse(session, "UpdateFunctionConfiguration", "the-old-token-1 and s3cr3t-token-value-42 refused")
    with pytest.raises(DeployError) as raised:
        up(make_aws(session), desired(user_environment=(("API_TOKEN", SECRET),)), store)
    assert "AWS said: InvalidParameterValueException: *** and *** refused" in str(raised.value)


# -- the integration's URI -------------------------------------------------------------------------
def test_a_stage_with_the_bare_function_arn_as_integration_uri_gets_one_update(session, aws, calls, store):
    """Stages deployed before the invocation-path URI get one UpdateIntegration, then none."""
    up(aws, desired(), store)
    record = store.load()
    arn = record["resources"]["function"]["arn"]
    integration = record["resources"]["integration"]
    session.client("apigatewayv2").update_integration(
        ApiId=record["resources"]["api"]["id"], IntegrationId=integration["id"], IntegrationUri=arn)
    integration["uri"] = arn
    store.save(record)
    calls.clear()
    plan, _ = up(aws, desired(), store)
    assert [s.describe() for s in plan.steps] == ["update integration AWS_PROXY (uri)"]
    assert calls.writes == ["UpdateIntegration"]
    live = session.client("apigatewayv2").get_integration(ApiId=record["resources"]["api"]["id"],
                                                          IntegrationId=integration["id"])
    assert live["IntegrationUri"].endswith(f"/functions/{arn}/invocations")
    calls.clear()
    assert up(aws, desired(), store)[0].steps == () and calls.writes == []


# -- a Failed function -------------------------------------------------------------------------------
def _reported(session, **fields):
    """GetFunction (and the waiter's polls) report `fields`, as Lambda does once it gave up."""
    def report(parsed, model, **_):
        target = parsed.get("Configuration", parsed) if model.name == "GetFunction" else parsed
        if model.name in ("GetFunction", "GetFunctionConfiguration"):
            target.update(fields)
        elif model.name.startswith("UpdateFunction"):
            parsed["LastUpdateStatus"] = "InProgress"       # as Lambda answers an update

    session.events.register("after-call.lambda.*", report)


def test_a_function_whose_last_update_failed_is_repaired_by_the_next_up(session, calls, store):
    up(make_aws(session), desired(), store)
    _reported(session, LastUpdateStatus="Failed", LastUpdateStatusReason="EniLimitExceeded")
    calls.clear()
    aws = make_aws(session)
    prepared = prepare_up(aws, desired(), store)
    assert [s.describe() for s in prepared.plan.steps] == [
        "update function chat-dev-ws (settings): Lambda reports its last update Failed "
        "(EniLimitExceeded): written again",
        "update function code chat-dev-ws (code): Lambda reports its last update Failed "
        "(EniLimitExceeded): written again"]
    with pytest.raises(DeployError, match="FunctionFailed: EniLimitExceeded"):  # still failing
        apply_up_(aws, prepared, store)
    assert calls.writes == ["UpdateFunctionConfiguration"]


def test_a_repaired_function_is_up_to_date_afterwards(session, store):
    up(make_aws(session), desired(), store)
    failing = [True]

    def report(parsed, model, **_):
        if model.name == "GetFunction" and failing[0]:
            parsed["Configuration"].update(State="Failed", StateReason="the role was gone")
        elif model.name == "UpdateFunctionConfiguration":
            failing[0] = False

    session.events.register("after-call.lambda.*", report)
    plan, _ = up(make_aws(session), desired(), store)
    assert [(s.kind, s.action) for s in plan.steps] == [("function", "update")]
    assert "creation Failed (the role was gone)" in plan.steps[0].why
    assert up(make_aws(session), desired(), store)[0].steps == ()


def apply_up_(aws, prepared, store):
    from wsdeploy.provision.deploy import apply_up
    return apply_up(aws, desired(), store, prepared)


def test_status_shows_a_failed_function_as_drifted(session, aws, store):
    up(aws, desired(), store)
    _reported(session, State="Failed", StateReason="bad")
    report = stage_status(make_aws(session), desired(), store.load(), None)
    assert ("function", "drifted", ("state",)) in {(r.type, r.status, r.fields) for r in report.drift}


# -- auto-deploy turned off by hand -----------------------------------------------------------------
def test_refresh_turns_auto_deploy_back_on(session, aws, calls, store):
    from tests.support.aws_strict import _apigw_backend
    up(aws, desired(), store)
    api_id = store.load()["resources"]["api"]["id"]
    _apigw_backend().apis[api_id].stages["dev"].auto_deploy = False   # moto has no UpdateStage
    report = stage_status(aws, desired(), store.load(), None)
    assert [(r.type, r.fields) for r in report.drift] == [("stage", ("auto_deploy",))]
    assert up(aws, desired(), store)[0].steps == ()        # trusted from the record
    calls.clear()
    plan, _ = up(aws, desired(), store, refresh=True)
    assert [s.describe() for s in plan.steps] == ["update stage dev (auto-deploy): turned off outside wsdeploy"]
    assert calls.writes == ["UpdateStage"]
    assert session.client("apigatewayv2").get_stage(ApiId=api_id, StageName="dev")["AutoDeploy"] is True
    assert stage_status(aws, desired(), store.load(), None).drift == []


# -- Lambda's "update in progress" is not a duplicate statement ----------------------------------------
IN_PROGRESS = ("The operation cannot be performed at this time. An update is in progress for "
               f"resource: arn:aws:lambda:{REGION}:{ACCOUNT}:function:chat-dev-ws")


def test_add_permission_waits_out_an_update_in_progress(session, calls, store):
    from tests.support.aws_faults import refuse_first
    refused = refuse_first(session, "AddPermission", 2, "ResourceConflictException", IN_PROGRESS)
    clock = FakeClock()
    up(make_aws(session, clock), desired(), store)
    assert refused == [2]
    ops = calls.operations
    assert "RemovePermission" not in ops
    assert ops.count("AddPermission") == 3 and ops.count("GetFunctionConfiguration") == 2
    assert inventory(session)["permissions"] == 1


# -- a removed reply route ----------------------------------------------------------------------------
def test_a_removed_reply_route_loses_its_response_then_the_route(session, aws, calls, store):
    up(aws, desired(routes=(("join", True),)), store)
    calls.clear()
    up(aws, desired(), store)
    assert calls.writes == ["DeleteRouteResponse", "DeleteRoute"]
    assert inventory(session) == expected_inventory(route_keys_of(desired()))
    assert record_matches_aws(session, store.load()) == []


# -- down and logs it does not own ---------------------------------------------------------------------
def _someone_elses_function_and_logs(session):
    from tests.support.aws_fixtures import zip_of
    arn = session.client("iam").create_role(RoleName="other", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    session.client("lambda").create_function(FunctionName="chat-dev-ws", Role=arn, Runtime="python3.13",
                                             Handler="x.y", Code={"ZipFile": zip_of("")[0]})
    session.client("logs").create_log_group(logGroupName="/aws/lambda/chat-dev-ws")


def test_down_without_state_leaves_the_logs_of_a_function_it_left_alone(session, aws, calls, store):
    _someone_elses_function_and_logs(session)
    teardown = prepare_down(aws, desired(), store)
    assert teardown.steps == ()
    assert "the log group /aws/lambda/chat-dev-ws belongs to that function: left alone" in teardown.notices
    apply_down(aws, desired(), store, teardown)
    assert inventory(session)["log_groups"] == 1


def test_down_without_state_deletes_only_log_groups_that_are_ours(session, aws, store):
    logs = session.client("logs")
    logs.create_log_group(logGroupName="/aws/lambda/chat-dev-ws", tags={"team": "other"})
    teardown = prepare_down(aws, desired(), store)           # no function at all
    assert teardown.steps == ()
    assert "the log group /aws/lambda/chat-dev-ws is not tagged as this stage's: left alone" in teardown.notices
    logs.tag_resource(resourceArn=f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/chat-dev-ws",
                      tags={"wsdeploy:app": "chat", "wsdeploy:stage": "dev"})
    down(aws, desired(), store)
    assert inventory(session)["log_groups"] == 0


def test_down_without_state_deletes_the_untagged_group_lambda_made_for_our_function(session, aws, store):
    up(aws, desired(), store)
    logs = session.client("logs")
    logs.delete_log_group(logGroupName="/aws/lambda/chat-dev-ws")
    logs.create_log_group(logGroupName="/aws/lambda/chat-dev-ws")   # as Lambda makes it: no tags
    store.remove()
    down(aws, desired(), store)
    assert inventory(session) == EMPTY


# -- pages, as a big account answers ----------------------------------------------------------------
def test_every_list_is_read_past_its_first_page(session, store):
    """moto never pages: here every paginated call answers one item per page."""
    from tests.support.aws_strict import Pages
    apigw = session.client("apigatewayv2")
    for name, tags in (("chat-dev-ws", {"wsdeploy:app": "other"}), ("another-api", {})):
        apigw.create_api(Name=name, ProtocolType="WEBSOCKET",
                         RouteSelectionExpression="$request.body.action", Tags=tags)
    session.client("logs").create_log_group(logGroupName="/aws/lambda/chat-dev-ws-x")
    d = desired(routes=(("join", True), ("leave", False)))
    up(make_aws(session), d, store)
    first = store.load()
    store.remove()
    pages = Pages(session)
    aws = make_aws(session)                     # its clients see the hook
    plan, url = up(aws, d, store)               # adoption: every list read to its end
    assert {s.action for s in plan.steps} == {"adopt", "create"}   # the route response: adopted
    assert store.load()["resources"] == first["resources"] and url == first["url"]
    assert pages.pages.count("GetApis") == 3    # three APIs, one per page
    assert pages.pages.count("GetRoutes") == 5 and pages.pages.count("GetIntegrations") >= 1
    # log groups come sorted by name: ours, a prefix of the other, is on the first page
    assert pages.pages.count("DescribeLogGroups") == 1

    logs = session.client("logs")
    group, stream = "/aws/lambda/chat-dev-ws", "2026/01/01/[$LATEST]abc"
    logs.create_log_stream(logGroupName=group, logStreamName=stream)
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=[
        {"timestamp": now - 3_000 + i, "message": f"event {i}"} for i in range(3)])
    from wsdeploy.provision.logs import log_events
    assert [e["message"] for e in log_events(aws, group, now - 60_000)] == ["event 0", "event 1", "event 2"]
    assert pages.pages.count("FilterLogEvents") == 3


# -- logs that arrive late ------------------------------------------------------------------------------
class _LateLogs:
    """filter_log_events over events that become visible only at a given poll."""

    def __init__(self, events: list[tuple[int, int, str]]) -> None:
        self.events, self.poll, self.starts = events, 0, []     # (visible from poll, timestamp, id)

    def log_events(self, group, start_ms, token=None, pattern=None):
        self.starts.append(start_ms)
        return [{"eventId": i, "timestamp": t, "message": i} for p, t, i in self.events
                if p <= self.poll and t >= start_ms], None


def test_follow_catches_events_that_arrive_late_and_prints_each_once():
    from wsdeploy.provision.logs import LATE_EVENTS_MS, log_events
    logs = _LateLogs([(0, 100_000, "a"), (0, 110_000, "b"),
                      (1, 105_000, "late"),                   # happened before b, arrived after
                      (2, 120_000, "c"), (2, 50_000, "too late")])
    printed = []

    def sleep(_):
        logs.poll += 1
        if logs.poll == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        for event in log_events(logs, "group", 60_000, follow=True, sleep=sleep):
            printed.append(event["message"])
    assert printed == ["a", "b", "late", "c"]
    assert logs.starts == [60_000, 110_000 - LATE_EVENTS_MS, 110_000 - LATE_EVENTS_MS,
                           120_000 - LATE_EVENTS_MS]
