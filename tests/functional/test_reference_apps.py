"""Both patterns of the feature reference, as wsdeploy apps, driven through the Lambda entry point."""

import json
import sys
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from tests.conftest import make_event
from tests.support.fake_gateway import FakeGateway
from wsdeploy.runtime import lambda_handler

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def gateway(runtime, monkeypatch):
    with FakeGateway(secret_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY") as fake:
        monkeypatch.setenv("WEBSOCKET_API_GATEWAY_ENDPOINT", fake.endpoint)
        yield fake


@pytest.fixture
def echo_app(gateway, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "examples" / "echo"))
    monkeypatch.setenv("WSDEPLOY_HANDLER_MODULE", "app")
    yield gateway
    sys.modules.pop("app", None)


@pytest.mark.parametrize("body, reply", [
    ('{"action": "echo", "data": "hello"}', {"type": "echo", "data": "hello"}),
    ('{"action": "echo", "data": {"nested": [1, 2]}}', {"type": "echo", "data": {"nested": [1, 2]}}),
    ('{"action": "ping"}', {"type": "pong"}),
    ('{"action": "dance"}', {"type": "error", "message": "Unknown action: dance"}),
    ("not json", {"type": "error", "message": "Unknown action: None"}),
])
def test_echo_app_replies_to_the_sender(echo_app, body, reply):
    assert lambda_handler(make_event("connect"), None) == {"statusCode": 200}
    event = make_event("message", body=body, connectionId="SenderConnId0A=")
    assert lambda_handler(event, None) == {"statusCode": 200}
    (sent,) = echo_app.requests
    assert sent.path == "/dev/@connections/SenderConnId0A%3D"
    assert sent.body == json.dumps(reply, separators=(",", ":")).encode()
    assert sent.signature_ok


def test_echo_app_tracks_connections_per_container(echo_app):
    lambda_handler(make_event("connect", connectionId="One0000000000A="), None)
    lambda_handler(make_event("connect", connectionId="Two0000000000A="), None)
    lambda_handler(make_event("disconnect", connectionId="One0000000000A="), None)
    assert sys.modules["app"].connections == {"Two0000000000A="}


@pytest.fixture
def chat_app(gateway, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "tests" / "fixtures" / "apps"))
    monkeypatch.setenv("WSDEPLOY_HANDLER_MODULE", "chatroom")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        boto3.client("dynamodb").create_table(
            TableName="websocket-connections",
            KeySchema=[{"AttributeName": "connectionId", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "connectionId", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield gateway
    sys.modules.pop("chatroom", None)


def stored_connections() -> set[str]:
    items = boto3.resource("dynamodb").Table("websocket-connections").scan()["Items"]
    return {item["connectionId"] for item in items}


def test_chat_room_broadcasts_to_every_stored_connection_and_drops_gone_ones(chat_app):
    ids = ["Alice000000000A=", "Bob00000000000A=", "Carol000000000A=", "Dave0000000000A="]
    for cid in ids:
        assert lambda_handler(make_event("connect", connectionId=cid), None) == {"statusCode": 200}
    assert stored_connections() == set(ids)

    chat_app.gone("Carol000000000A=")  # Carol's client vanished without a $disconnect
    event = make_event("message", body='{"message": "hi all"}', connectionId="Alice000000000A=")
    assert lambda_handler(event, None) == {"statusCode": 200}

    assert sorted(r.connection_id for r in chat_app.requests) == sorted(ids)
    expected = b'{"sender":"Alice000000000A=","message":"hi all"}'
    assert {r.body for r in chat_app.requests} == {expected}
    assert stored_connections() == {"Alice000000000A=", "Bob00000000000A=", "Dave0000000000A="}

    lambda_handler(make_event("disconnect", connectionId="Bob00000000000A="), None)
    assert stored_connections() == {"Alice000000000A=", "Dave0000000000A="}
