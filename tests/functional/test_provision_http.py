"""The HTTP API of `http_app` (issue 17) against moto in-process, made strict: what `up`
creates beside the WebSocket API (both integrations to the one function), what a no-op costs,
removal when http_app goes, `down`, adoption of an unrecorded API, drift and status."""

from __future__ import annotations

import json
from dataclasses import replace

from tests.support.aws_fixtures import (ACCOUNT, REGION, STRICT_FIXTURES, aws, calls, desired, down,
                                        life, moto_session, session, store)
from tests.support.aws_inventory import (EMPTY, expected_inventory, inventory, record_matches_aws,
                                         route_keys_of)
from wsdeploy.provision.deploy import prepare_up, result_urls, up
from wsdeploy.provision.kinds import destructive
from wsdeploy.provision.status import stage_status
from wsdeploy.provision.steps import Kind

__all__ = STRICT_FIXTURES   # the fixtures, imported for pytest

D = desired(http_app="app:app")
PLAIN = desired()
# A fresh up of PLAIN makes 17 calls; the HTTP API adds one look-up (GetApis, for an
# unrecorded one of its name and tags) and five writes (CreateApi, CreateIntegration,
# CreateRoute, CreateStage, AddPermission).
FRESH_HTTP_READS, FRESH_HTTP_WRITES = 1, 5
NO_OP = ["GetFunction", "GetApi", "GetRoutes", "GetRolePolicy"]


def http_api(session) -> dict:
    (api,) = [a for a in session.client("apigatewayv2").get_apis()["Items"] if a["ProtocolType"] == "HTTP"]
    return api


def statements(session) -> dict[str, dict]:
    policy = session.client("lambda").get_policy(FunctionName="chat-dev-ws")["Policy"]
    return {s["Sid"]: s for s in json.loads(policy)["Statement"]}


def test_up_makes_an_http_api_beside_the_websocket_api_both_to_the_one_function(session, aws, store):
    _, url = up(aws, D, store)
    apigw = session.client("apigatewayv2")
    api = http_api(session)
    assert api["Name"] == "chat-dev-http" and api["Tags"] == {"wsdeploy:app": "chat", "wsdeploy:stage": "dev"}
    function_arn = session.client("lambda").get_function(FunctionName="chat-dev-ws")["Configuration"]["FunctionArn"]
    (integration,) = apigw.get_integrations(ApiId=api["ApiId"])["Items"]
    assert (integration["IntegrationType"], integration["PayloadFormatVersion"],
            integration["IntegrationUri"]) == ("AWS_PROXY", "2.0", function_arn)
    (route,) = apigw.get_routes(ApiId=api["ApiId"])["Items"]
    assert (route["RouteKey"], route["Target"]) == ("$default", f"integrations/{integration['IntegrationId']}")
    (stage,) = apigw.get_stages(ApiId=api["ApiId"])["Items"]
    assert (stage["StageName"], stage["AutoDeploy"]) == ("$default", True)
    ws_api = store.load()["resources"]["api"]["id"]
    (ws_integration,) = apigw.get_integrations(ApiId=ws_api)["Items"]
    assert ws_integration["IntegrationUri"].endswith(f"functions/{function_arn}/invocations")
    granted = statements(session)
    assert set(granted) == {"wsdeploy-apigateway-invoke", "wsdeploy-apigateway-invoke-http"}
    source = granted["wsdeploy-apigateway-invoke-http"]["Condition"]["ArnLike"]["AWS:SourceArn"]
    assert source == f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api['ApiId']}/*"
    environment = session.client("lambda").get_function_configuration(
        FunctionName="chat-dev-ws")["Environment"]["Variables"]
    assert environment["WSDEPLOY_HTTP_APP"] == "app:app"
    assert inventory(session) == expected_inventory(route_keys_of(D), http=1)
    record = store.load()
    assert record_matches_aws(session, record) == []
    http_url = f"https://{api['ApiId']}.execute-api.{REGION}.amazonaws.com/"
    assert record["http_url"] == http_url
    assert result_urls(record) == [url, http_url] and url.startswith("wss://")


def test_a_fresh_up_adds_one_look_up_and_five_writes_and_a_no_op_adds_none(aws, calls, store):
    calls.clear()
    up(aws, PLAIN, store)
    plain_reads, plain_writes = len(calls.reads), len(calls.writes)
    down(aws, PLAIN, store)
    calls.clear()
    up(aws, D, store)
    assert len(calls.reads) == plain_reads + FRESH_HTTP_READS
    assert len(calls.writes) == plain_writes + FRESH_HTTP_WRITES
    assert calls.writes[-5:] == ["CreateApi", "CreateIntegration", "CreateRoute", "CreateStage",
                                 "AddPermission"]
    calls.clear()
    plan, _ = up(aws, D, store)
    assert plan.steps == () and calls.operations == NO_OP


def test_a_no_op_up_without_http_app_reads_nothing_more(aws, calls, store):
    up(aws, PLAIN, store)
    calls.clear()
    plan, _ = up(aws, PLAIN, store)
    assert plan.steps == () and calls.operations == NO_OP


def test_turning_http_app_on_later_adds_the_http_api_and_the_variable(session, aws, calls, store):
    up(aws, PLAIN, store)
    calls.clear()
    plan, _ = up(aws, D, store)
    kinds = [(s.kind, s.action) for s in plan.steps]
    assert (Kind.FUNCTION, "update") in kinds and (Kind.HTTP_API, "create") in kinds
    assert inventory(session) == expected_inventory(route_keys_of(D), http=1)
    assert record_matches_aws(session, store.load()) == []


def test_removing_http_app_deletes_the_http_api_and_its_statement(session, aws, store):
    up(aws, D, store)
    prepared = prepare_up(aws, PLAIN, store)
    assert [(s.kind, s.action) for s in destructive(prepared.plan.steps)] == [(Kind.HTTP_API, "delete")]
    assert any("chat-dev-http will be deleted" in note for note in prepared.plan.notes)
    up(aws, PLAIN, store)
    assert inventory(session) == expected_inventory(route_keys_of(PLAIN))
    record = store.load()
    assert record_matches_aws(session, record) == []
    assert not any(k.startswith("http_") for k in record["resources"]) and record.get("http_url") is None
    assert set(statements(session)) == {"wsdeploy-apigateway-invoke"}


def test_down_removes_both_apis(session, aws, store):
    up(aws, D, store)
    down(aws, D, store)
    assert inventory(session) == EMPTY


def test_down_without_a_record_finds_the_http_api_by_name_and_tags(session, aws, store):
    up(aws, D, store)
    store.remove()
    down(aws, PLAIN, store)
    assert inventory(session) == EMPTY


def test_a_lost_record_is_adopted_not_made_twice(session, aws, store):
    up(aws, D, store)
    store.remove()
    plan, _ = up(aws, D, store)
    assert (Kind.HTTP_API, "adopt") in [(s.kind, s.action) for s in plan.steps]
    assert inventory(session) == expected_inventory(route_keys_of(D), http=1)
    assert record_matches_aws(session, store.load()) == []


def test_status_shows_the_http_url_and_drift_and_refresh_repairs_it(session, aws, store):
    up(aws, D, store)
    api_id = http_api(session)["ApiId"]
    session.client("apigatewayv2").update_stage(ApiId=api_id, StageName="$default", AutoDeploy=False)
    record = store.load()
    report = stage_status(aws, D, record, None)
    assert report.http_url == record["http_url"] and report.as_json()["http_url"] == record["http_url"]
    assert [(r.type, r.fields) for r in report.drift] == [("http_stage", ("auto_deploy",))]
    plan, _ = up(aws, D, store, refresh=True)
    assert [(s.kind, s.action) for s in plan.steps] == [(Kind.HTTP_STAGE, "update")]
    assert stage_status(aws, D, store.load(), None).drift == []


def test_an_http_api_of_our_name_not_tagged_as_ours_is_not_taken_over(session, aws, store):
    other = session.client("apigatewayv2").create_api(Name="chat-dev-http", ProtocolType="HTTP")
    up(aws, D, store)
    ids = sorted(a["ApiId"] for a in session.client("apigatewayv2").get_apis()["Items"]
                 if a["ProtocolType"] == "HTTP")
    assert other["ApiId"] in ids and len(ids) == 2
    assert store.load()["resources"]["http_api"]["id"] != other["ApiId"]


def test_the_function_change_alone_touches_no_http_resource(aws, calls, store):
    up(aws, D, store)
    calls.clear()
    plan, _ = up(aws, replace(D, memory=512), store)
    assert [s.kind for s in plan.steps] == [Kind.FUNCTION]
