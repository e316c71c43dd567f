"""examples/chat on the emulator with real WebSocket clients: rooms, and pruning on disconnect."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from websockets.sync.client import connect

from tests.support.emulator import RunningGateway, wait_for
from wsdeploy.config import load_stage
from wsdeploy.emulator.settings import connections_environment
from wsdeploy.websocket import connections

CHAT = Path(__file__).resolve().parents[2] / "examples" / "chat"


@pytest.fixture
def chat():
    cfg = load_stage(CHAT / "wsdeploy.toml")
    with RunningGateway(CHAT, environment=connections_environment(cfg), connections=True,
                        route_selection=cfg.route_selection) as running:
        yield running
    sys.modules.pop("app", None)


def receive(ws, timeout: float = 10) -> dict:
    return json.loads(ws.recv(timeout=timeout))


def nothing_more(ws) -> bool:
    try:
        ws.recv(timeout=0.3)
    except TimeoutError:
        return True
    return False


def test_three_clients_in_two_rooms(chat):
    with connect(chat.url + "?name=alice") as alice, connect(chat.url + "?name=bob") as bob, \
            connect(chat.url + "?name=carol") as carol:
        alice.send(json.dumps({"action": "join", "room": "lobby"}))
        assert receive(alice) == {"type": "joined", "room": "lobby", "name": "alice"}
        bob.send(json.dumps({"action": "join", "room": "lobby"}))
        assert receive(bob) == {"type": "joined", "room": "lobby", "name": "bob"}
        assert receive(alice) == {"type": "joined", "room": "lobby", "name": "bob"}
        carol.send(json.dumps({"action": "join", "room": "games"}))
        assert receive(carol) == {"type": "joined", "room": "games", "name": "carol"}

        alice.send(json.dumps({"action": "send", "room": "lobby", "message": "hi lobby"}))
        message = {"type": "message", "room": "lobby", "name": "alice", "message": "hi lobby"}
        assert receive(alice) == message and receive(bob) == message
        assert nothing_more(carol)

        carol.send(json.dumps({"action": "send", "room": "games", "message": "anyone?"}))
        assert receive(carol)["message"] == "anyone?"
        assert nothing_more(alice) and nothing_more(bob)

        bob_id = wait_for(lambda: [c for c in connections.members("lobby")
                                   if (connections.get(c) or {}).get("name") == "bob"])[0]
        bob.close()
        wait_for(lambda: bob_id not in list(connections.members("lobby")))
        assert connections.get(bob_id) is None

        alice.send(json.dumps({"action": "send", "room": "lobby", "message": "still here?"}))
        assert receive(alice)["message"] == "still here?"
        assert [connections.get(c)["name"] for c in connections.members("lobby")] == ["alice"]
        assert sorted(connections.get(c)["name"] for c in connections.all()) == ["alice", "carol"]


def test_tracked_records_keep_the_gateway_identity(chat):
    with connect(chat.url + "?name=dora", user_agent_header="chat-test/1.0") as dora:
        dora.send(json.dumps({"action": "join", "room": "r"}))
        receive(dora)
        (cid,) = list(connections.members("r"))
        record = connections.get(cid)
    assert record["name"] == "dora" and record["user_agent"] == "chat-test/1.0"
    assert record["source_ip"] == "127.0.0.1" and isinstance(record["connected_at"], int)
