"""examples/chat through the Lambda entry point, with the memory store and a local gateway."""

import json
import sys
from pathlib import Path

import pytest

from tests.conftest import make_event
from tests.support.fake_gateway import FakeGateway
from wsdeploy.emulator.memory_store import MemoryStore
from wsdeploy.runtime import connections as connections_module
from wsdeploy.runtime import lambda_handler
from wsdeploy.websocket import connections

CHAT = Path(__file__).resolve().parents[2] / "examples" / "chat"


@pytest.fixture
def chat(runtime, monkeypatch):
    monkeypatch.syspath_prepend(str(CHAT))
    monkeypatch.setenv("WSDEPLOY_HANDLER_MODULE", "app")
    monkeypatch.setenv("WSDEPLOY_CONNECTIONS_TRACK", "1")
    monkeypatch.setattr(connections_module, "_installed_store", MemoryStore())
    with FakeGateway() as gateway:
        monkeypatch.setenv("WEBSOCKET_API_GATEWAY_ENDPOINT", gateway.endpoint)
        yield gateway
    sys.modules.pop("app", None)


def connect(cid: str, name: str) -> None:
    event = make_event("connect", connectionId=cid)
    event["queryStringParameters"] = {"name": name}
    assert lambda_handler(event, None) == {"statusCode": 200}


def say(cid: str, **body) -> None:
    routed = body["action"] if body.get("action") in ("join", "send", "leave") else "$default"
    lambda_handler(make_event("message", body=json.dumps(body), connectionId=cid, routeKey=routed), None)


def received(gateway: FakeGateway) -> dict[str, list[dict]]:
    by_client: dict[str, list[dict]] = {}
    for request in gateway.requests:
        by_client.setdefault(request.connection_id, []).append(json.loads(request.body))
    gateway.requests.clear()
    return by_client


def test_messages_reach_exactly_the_members_of_the_room(chat):
    connect("alice", "Alice")
    connect("bob", "Bob")
    connect("carol", "Carol")
    say("alice", action="join", room="lobby")
    say("bob", action="join", room="lobby")
    say("carol", action="join", room="games")
    received(chat)

    say("alice", action="send", room="lobby", message="hi lobby")
    message = {"type": "message", "room": "lobby", "name": "Alice", "message": "hi lobby"}
    assert received(chat) == {"alice": [message], "bob": [message]}

    say("carol", action="send", room="lobby", message="let me in")
    assert received(chat) == {"carol": [{"type": "error", "message": "join 'lobby' first"}]}


def test_a_client_that_disconnects_or_vanishes_is_pruned(chat, monkeypatch):
    monkeypatch.setattr(connections_module, "PRUNE_GRACE_SECONDS", 0)
    for cid in ("alice", "bob", "carol"):
        connect(cid, cid.title())
        say(cid, action="join", room="lobby")
    lambda_handler(make_event("disconnect", connectionId="bob"), None)
    chat.gone("carol")  # carol's client vanished without a $disconnect
    received(chat)

    say("alice", action="send", room="lobby", message="anyone?")
    assert sorted(received(chat)) == ["alice", "carol"]  # carol's send found her gone
    assert list(connections.members("lobby")) == ["alice"]
    assert connections.get("carol") is None


def test_unknown_actions_get_usage(chat):
    connect("alice", "Alice")
    say("alice", action="dance")
    (reply,) = received(chat)["alice"]
    assert reply["type"] == "error" and "join" in reply["message"]
