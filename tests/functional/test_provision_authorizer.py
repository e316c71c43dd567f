"""$connect's authorizer (issue 11) against moto in-process, made strict (GetAuthorizers answered,
an authorizer a route uses cannot be deleted): what `up` makes, a change of identity sources,
removal, IAM auth, adoption, status with drift, `down`, and the cost for stages without one."""

from __future__ import annotations

import json
from dataclasses import replace

from tests.support.aws_fixtures import (ACCOUNT, REGION, STRICT_FIXTURES, aws, calls, desired, down,
                                        life, moto_session, session, store)
from tests.support.aws_inventory import EMPTY, expected_inventory, inventory, record_matches_aws, route_keys_of
from wsdeploy.provision.deploy import up
from wsdeploy.provision.desired import DesiredAuthorizer, integration_uri
from wsdeploy.provision.status import stage_status

__all__ = STRICT_FIXTURES   # the fixtures, imported for pytest

TOKEN = ("route.request.querystring.token",)
GUARDED = desired(authorizer=DesiredAuthorizer(TOKEN, 300), connect_auth="CUSTOM")
PLAIN = desired()
IAM = desired(connect_auth="AWS_IAM")
NO_OP = ["GetFunction", "GetApi", "GetRoutes", "GetRolePolicy"]


def authorizers(session, api_id: str) -> list[dict]:
    return session.client("apigatewayv2").get_authorizers(ApiId=api_id)["Items"]


def connect_route(session, api_id: str) -> dict:
    routes = session.client("apigatewayv2").get_routes(ApiId=api_id)["Items"]
    return next(r for r in routes if r["RouteKey"] == "$connect")


def statements(session) -> dict[str, str]:
    policy = json.loads(session.client("lambda").get_policy(FunctionName="chat-dev-ws")["Policy"])
    return {s["Sid"]: s["Condition"]["ArnLike"]["AWS:SourceArn"] for s in policy["Statement"]}


def test_up_makes_a_request_authorizer_its_permission_and_guards_connect(session, aws, store, calls):
    up(aws, GUARDED, store)
    record = store.load()
    api_id = record["resources"]["api"]["id"]
    [made] = authorizers(session, api_id)
    function_arn = record["resources"]["function"]["arn"]
    assert (made["Name"], made["AuthorizerType"], made["IdentitySource"]) == (
        "chat-dev-ws-authorizer", "REQUEST", list(TOKEN))
    assert made["AuthorizerUri"] == integration_uri(GUARDED, function_arn)
    assert made.get("AuthorizerResultTtlInSeconds") is None   # API Gateway takes it for HTTP APIs only
    route = connect_route(session, api_id)
    assert (route["AuthorizationType"], route["AuthorizerId"]) == ("CUSTOM", made["AuthorizerId"])
    assert statements(session)["wsdeploy-apigateway-authorizer"] == (
        f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/authorizers/{made['AuthorizerId']}")
    assert inventory(session) == expected_inventory(route_keys_of(GUARDED), connect_auth="CUSTOM")
    assert record_matches_aws(session, record) == []
    assert record["resources"]["authorizer"] == {"id": made["AuthorizerId"],
                                                 "name": "chat-dev-ws-authorizer", "identity": TOKEN[0]}
    assert record["resources"]["routes"]["$connect"]["authorization"] == "CUSTOM"
    ops = calls.writes
    assert ops.index("CreateAuthorizer") < ops.index("CreateRoute")
    calls.clear()
    plan, _ = up(aws, GUARDED, store)
    assert plan.steps == () and calls.operations == NO_OP


def test_changing_identity_sources_is_one_update(session, aws, store, calls):
    up(aws, GUARDED, store)
    calls.clear()
    header = ("route.request.header.Authorization", TOKEN[0])
    plan, _ = up(aws, replace(GUARDED, authorizer=DesiredAuthorizer(header, 60)), store)
    assert [s.describe() for s in plan.steps] == ["update authorizer chat-dev-ws-authorizer (identity)"]
    assert calls.writes == ["UpdateAuthorizer"]
    api_id = store.load()["resources"]["api"]["id"]
    assert authorizers(session, api_id)[0]["IdentitySource"] == list(header)


def test_removing_the_decorator_sets_connect_back_to_none_then_deletes(session, aws, store, calls):
    up(aws, GUARDED, store)
    calls.clear()
    up(aws, PLAIN, store)
    assert calls.writes == ["UpdateRoute", "RemovePermission", "DeleteAuthorizer"]
    api_id = store.load()["resources"]["api"]["id"]
    assert authorizers(session, api_id) == []
    assert connect_route(session, api_id)["AuthorizationType"] == "NONE"
    assert list(statements(session)) == ["wsdeploy-apigateway-invoke"]
    record = store.load()["resources"]
    assert "authorizer" not in record and "authorizer_permission" not in record
    assert "authorization" not in record["routes"]["$connect"]
    calls.clear()
    plan, _ = up(aws, PLAIN, store)
    assert plan.steps == () and calls.operations == NO_OP


def test_iam_auth_guards_connect_with_aws_iam_and_turns_off_again(session, aws, store, calls):
    up(aws, IAM, store)
    api_id = store.load()["resources"]["api"]["id"]
    assert connect_route(session, api_id)["AuthorizationType"] == "AWS_IAM"
    assert inventory(session) == expected_inventory(route_keys_of(IAM), connect_auth="AWS_IAM")
    calls.clear()
    up(aws, GUARDED, store)   # from IAM to an authorizer
    assert calls.writes == ["CreateAuthorizer", "AddPermission", "UpdateRoute"]
    calls.clear()
    up(aws, PLAIN, store)
    assert connect_route(session, api_id)["AuthorizationType"] == "NONE"


def test_a_stage_without_an_authorizer_reads_nothing_more(session, aws, store, calls):
    up(aws, PLAIN, store)
    assert "GetAuthorizers" not in calls.operations
    calls.clear()
    stage_status(aws, PLAIN, store.load(), None)
    assert "GetAuthorizers" not in calls.operations


def test_an_unrecorded_authorizer_is_adopted_by_its_name(session, aws, store, calls):
    up(aws, GUARDED, store)
    api_id = store.load()["resources"]["api"]["id"]
    store.remove()
    calls.clear()
    plan, _ = up(aws, GUARDED, store)
    assert "CreateAuthorizer" not in calls.writes and "AddPermission" not in calls.writes
    assert {s.describe() for s in plan.steps} >= {
        "adopt authorizer chat-dev-ws-authorizer: found by name and tags, not in the state file",
        "adopt authorizer permission chat-dev-ws: found by name and tags, not in the state file"}
    assert len(authorizers(session, api_id)) == 1
    assert store.load()["resources"]["authorizer"]["id"] == authorizers(session, api_id)[0]["AuthorizerId"]


def test_status_shows_an_authorizer_changed_by_hand_and_up_puts_it_back(session, aws, store):
    up(aws, GUARDED, store)
    record = store.load()
    api_id, authorizer_id = record["resources"]["api"]["id"], record["resources"]["authorizer"]["id"]
    apigw = session.client("apigatewayv2")
    apigw.update_authorizer(ApiId=api_id, AuthorizerId=authorizer_id,
                            IdentitySource=["route.request.header.X"])
    apigw.update_route(ApiId=api_id, RouteId=connect_route(session, api_id)["RouteId"],
                       AuthorizationType="NONE", AuthorizerId="")
    report = stage_status(aws, GUARDED, record, None)
    drift = {(row.type, row.id): row.fields for row in report.drift}
    assert drift[("authorizer", authorizer_id)] == ("identity",)
    assert drift[("route", "$connect")] == ("authorization",)
    plan, _ = up(aws, GUARDED, store, refresh=True)
    assert {s.describe() for s in plan.steps} == {
        "update authorizer chat-dev-ws-authorizer (identity)", "update route $connect (authorization)"}
    assert stage_status(aws, GUARDED, store.load(), None).drift == []


def test_down_leaves_nothing(session, aws, store):
    up(aws, GUARDED, store)
    down(aws, GUARDED, store)
    assert inventory(session) == EMPTY
