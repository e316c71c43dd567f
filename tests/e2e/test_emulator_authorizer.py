"""`wsdeploy dev`'s step before `$connect` over real sockets (issue 11): the app's @on_authorize
with the REQUEST event AWS documents, its verdicts, its cache, the principal on every later
event; and `auth = "iam"`'s signature check."""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.support.emulator import RunningGateway, events_of, wait_for, write_app
from tests.support.emulator_apps import PROBE

GUARD = """
from wsdeploy.websocket import Unauthorized, allow, deny, on_authorize

AUTHORIZED = []

@on_authorize(identity=["route.request.querystring.token"], cache_seconds=CACHE)
def authorize(event, context):
    AUTHORIZED.append(event)
    token = event["queryStringParameters"]["token"]
    if token == "banned":
        return deny("mallory")
    if token == "boom":
        raise RuntimeError("the token service is down")
    if token == "odd":
        return {"principalId": "x"}
    if not token.startswith("good-"):
        raise Unauthorized
    return allow(token.removeprefix("good-"), context={"plan": "pro", "admin": False, "seats": 3})
"""


def guarded(tmp_path, cache: int = 0, **settings) -> RunningGateway:
    write_app(tmp_path, PROBE + GUARD.replace("CACHE", str(cache)))
    return RunningGateway(tmp_path, **settings)


def authorized(module: str = "app") -> list[dict]:
    import sys
    return sys.modules[module].AUTHORIZED


def status_of(url: str) -> int:
    with pytest.raises(InvalidStatus) as refused:
        connect(url)
    return refused.value.response.status_code


def test_verdicts_reach_the_handshake_as_the_gateway_answers_them(tmp_path):
    with guarded(tmp_path) as gw:
        assert status_of(gw.url) == 401                       # no token: not even called
        assert authorized() == []
        assert status_of(f"{gw.url}?token=") == 401           # empty counts as missing
        assert status_of(f"{gw.url}?token=forged") == 401     # Unauthorized
        assert status_of(f"{gw.url}?token=banned") == 403     # deny
        assert status_of(f"{gw.url}?token=boom") == 500       # an error
        assert status_of(f"{gw.url}?token=odd") == 500        # an answer it cannot read
        assert events_of("CONNECT") == []                     # $connect never ran
        lines = [(r.status, r.detail) for r in gw.routes_run("authorizer")]
        assert lines[0] == (401, "unauthorized: no route.request.querystring.token (the authorizer was not called)")
        assert lines[3] == (403, "deny mallory")
        assert lines[4][0] == 500 and "the token service is down" in lines[4][1]
        assert len(gw.gateway.table) == 0


def test_the_request_event_is_shaped_as_aws_documents(tmp_path):
    with guarded(tmp_path) as gw:
        with connect(f"{gw.url}?token=good-ann&x=1&x=2", additional_headers={"X-Trace": "t"}):
            pass
        [event] = authorized()
        api = gw.gateway.api
        assert event["type"] == "REQUEST"
        assert event["methodArn"] == f"arn:aws:execute-api:us-east-1:000000000000:{api.api_id}/dev/$connect"
        assert event["headers"]["X-Trace"] == "t" and event["multiValueHeaders"]["X-Trace"] == ["t"]
        assert event["queryStringParameters"] == {"token": "good-ann", "x": "2"}
        assert event["multiValueQueryStringParameters"]["x"] == ["1", "2"]
        assert event["stageVariables"] == {}
        context = event["requestContext"]
        assert (context["routeKey"], context["eventType"], context["apiId"]) == ("$connect", "CONNECT", api.api_id)


def test_the_principal_and_context_reach_connect_and_every_later_event(tmp_path):
    with guarded(tmp_path) as gw:
        with connect(f"{gw.url}?token=good-ann") as ws:
            ws.send(json.dumps({"action": "whoami"}))
            ws.recv()
        wait_for(lambda: events_of("DISCONNECT"))
        for kind in ("CONNECT", "MESSAGE", "DISCONNECT"):
            authorizer = events_of(kind)[0]["requestContext"]["authorizer"]
            assert authorizer["principalId"] == "ann", kind
            assert (authorizer["plan"], authorizer["admin"], authorizer["seats"]) == ("pro", False, 3)
            assert isinstance(authorizer["integrationLatency"], int)
        assert [(r.status, r.detail) for r in gw.routes_run("authorizer")] == [(200, "allow ann")]


def test_answers_are_kept_per_token_for_cache_seconds(tmp_path):
    with guarded(tmp_path, cache=300) as gw:
        for _ in range(2):
            with connect(f"{gw.url}?token=good-bob"):
                pass
        assert status_of(f"{gw.url}?token=banned") == 403
        assert status_of(f"{gw.url}?token=banned") == 403
        assert [e["queryStringParameters"]["token"] for e in authorized()] == ["good-bob", "banned"]
        assert [r.detail for r in gw.routes_run("authorizer")] == [
            "allow bob", "allow bob (cached)", "deny mallory", "deny mallory (cached)"]


def test_without_caching_each_handshake_asks_again(tmp_path):
    with guarded(tmp_path, cache=0) as gw:
        for _ in range(2):
            with connect(f"{gw.url}?token=good-bob"):
                pass
        assert len(authorized()) == 2


def test_iam_auth_needs_a_sigv4_signed_handshake(tmp_path):
    write_app(tmp_path, PROBE)
    with RunningGateway(tmp_path, auth="iam") as gw:
        assert status_of(gw.url) == 403
        assert status_of(gw.url) == 403
        with connect(gw.url, additional_headers={
                "Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/execute-api/aws4_request, "
                                 "SignedHeaders=host, Signature=00"}):
            pass
        with connect(f"{gw.url}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=00"):
            pass
        assert len(events_of("CONNECT")) == 2
        assert [r.status for r in gw.routes_run("authorizer")] == [403, 403]
