"""`connections`: tracking, rooms and pruning broadcast, on DynamoDB (moto) and in memory."""

import json
import time

import boto3
import pytest
from moto import mock_aws

from tests.conftest import make_event
from tests.support.fake_gateway import FakeGateway
from wsdeploy.emulator.memory_store import MemoryStore
from wsdeploy.runtime import connections as connections_module
from wsdeploy.runtime import lambda_handler
from wsdeploy.websocket import HandlerConfigurationError, MessageTooLarge, connections

TABLE = "chat-dev-ws-connections"


def create_table(client) -> None:
    client.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


class CallCounter:
    """Counts DynamoDB operations through botocore's event hooks."""

    def __init__(self, client):
        self.calls: list[str] = []
        client.meta.events.register("before-call.dynamodb", self._count)

    def _count(self, model, **kwargs):
        self.calls.append(model.name)


@pytest.fixture
def dynamo(runtime, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("WSDEPLOY_CONNECTIONS_TABLE", TABLE)
    with mock_aws():
        client = boto3.client("dynamodb")
        create_table(client)
        store = connections_module.DynamoStore(TABLE, client=client)
        monkeypatch.setattr(connections, "_stores", {TABLE: store})
        yield store


@pytest.fixture
def memory(runtime, monkeypatch):
    store = MemoryStore()
    monkeypatch.setattr(connections_module, "_installed_store", store)
    yield store


@pytest.fixture(params=["dynamo", "memory"])
def store(request):
    return request.getfixturevalue(request.param)


def test_add_get_all_remove(store):
    connections.add("A000000000000A=", user="alice", score=3, admin=False, tags=["x"], meta={"k": 1.5})
    connections.add("B000000000000A=")
    assert connections.get("A000000000000A=") == {
        "user": "alice", "score": 3, "admin": False, "tags": ["x"], "meta": {"k": 1.5}}
    assert connections.get("B000000000000A=") == {}
    assert connections.get("nobody") is None
    assert sorted(connections.all()) == ["A000000000000A=", "B000000000000A="]
    connections.remove("A000000000000A=")
    assert list(connections.all()) == ["B000000000000A="]
    connections.remove("A000000000000A=")  # removing twice is harmless


def test_rooms_membership_and_removal_clears_it(store):
    for cid in ("A", "B", "C"):
        connections.add(cid)
    connections.join("A", "lobby")
    connections.join("B", "lobby")
    connections.join("A", "games")
    assert sorted(connections.members("lobby")) == ["A", "B"]
    assert connections.rooms("A") == ["games", "lobby"]
    connections.leave("B", "lobby")
    assert list(connections.members("lobby")) == ["A"]
    connections.remove("A")
    assert list(connections.members("lobby")) == [] and list(connections.members("games")) == []
    assert connections.rooms("A") == []


@pytest.mark.parametrize("bad", ["", None, 3])
def test_ids_and_rooms_must_be_strings(store, bad):
    with pytest.raises(ValueError, match="non-empty string"):
        connections.join("A", bad)
    with pytest.raises(ValueError, match="non-empty string"):
        connections.add(bad)


def test_unstorable_attributes_are_refused_in_both_backends(store):
    with pytest.raises(TypeError, match="connection attributes"):
        connections.add("A", when=object())
    assert connections.get("A") is None


def test_dynamo_items_expire_by_ttl_and_reads_are_queries(dynamo, monkeypatch):
    monkeypatch.setenv("WSDEPLOY_CONNECTIONS_TTL_HOURS", "2")
    counter = CallCounter(dynamo.client)
    before = time.time()
    connections.add("A")
    connections.join("A", "lobby")
    items = dynamo.client.scan(TableName=TABLE)["Items"]
    assert len(items) == 4
    for item in items:
        assert before + 7200 - 5 <= int(item["ttl"]["N"]) <= time.time() + 7200 + 5
    counter.calls.clear()
    list(connections.members("lobby"))
    list(connections.all())
    connections.rooms("A")
    assert counter.calls == ["Query", "Query", "Query"]


def test_dynamo_listing_pages_past_one_page(dynamo):
    dynamo.page_size = 10
    ids = [f"conn{i:03d}AAAAAAA=" for i in range(35)]
    for cid in ids:
        connections.add(cid)
        connections.join(cid, "big")
    counter = CallCounter(dynamo.client)
    iterator = connections.members("big")
    first = [next(iterator) for _ in range(5)]
    assert counter.calls == ["Query"]  # only what was needed so far
    rest = list(iterator)
    assert sorted(first + rest) == sorted(ids)
    assert counter.calls == ["Query"] * 4
    assert sorted(connections.all()) == sorted(ids)


def test_without_a_table_or_backend_the_error_says_how_to_enable(runtime, monkeypatch):
    monkeypatch.delenv("WSDEPLOY_CONNECTIONS_TABLE", raising=False)
    with pytest.raises(HandlerConfigurationError, match=r"\[app.connections\]"):
        connections.add("A")


@pytest.fixture
def gateway(runtime, monkeypatch):
    with FakeGateway() as fake:
        monkeypatch.setenv("WEBSOCKET_API_GATEWAY_ENDPOINT", fake.endpoint)
        yield fake


def test_broadcast_to_a_room_prunes_gone_connections_everywhere(store, gateway, monkeypatch):
    monkeypatch.setattr(connections_module, "PRUNE_GRACE_SECONDS", 0)
    for cid in ("A", "B", "C", "D"):
        connections.add(cid)
    for cid in ("A", "B", "C"):
        connections.join(cid, "lobby")
    connections.join("B", "games")
    gateway.gone("B")
    result = connections.broadcast({"msg": "hi"}, room="lobby", exclude=["A"])
    assert sorted(result.sent) == ["C"] and result.gone == ["B"] and result.failed == {}
    assert sorted(r.connection_id for r in gateway.requests) == ["B", "C"]
    assert {r.body for r in gateway.requests} == {b'{"msg":"hi"}'}
    assert connections.get("B") is None
    assert "B" not in connections.members("games") and sorted(connections.all()) == ["A", "C", "D"]


def test_a_client_still_connecting_is_not_pruned(store, gateway):
    """Until its $connect returns the gateway answers 410 for it: a broadcast then (an
    "X joined" announcement, say) must not forget the client that is joining."""
    connections.add("Joining")
    connections.add("Old")
    gateway.gone("Joining")
    result = connections.broadcast("someone joined")
    assert result.gone == ["Joining"]
    assert sorted(connections.all()) == ["Joining", "Old"]


def test_pruning_failures_never_fail_the_broadcast(store, gateway, monkeypatch, caplog):
    monkeypatch.setattr(connections_module, "PRUNE_GRACE_SECONDS", 0)
    for cid in ("A", "B"):
        connections.add(cid)
    gateway.gone("A")

    def broken_remove(connection_id):
        raise RuntimeError("throttled")

    monkeypatch.setattr(store, "prune", lambda ids, added_before: broken_remove(ids[0]))
    result = connections.broadcast("hi")
    assert result.sent == ["B"] and result.gone == ["A"]
    assert "could not prune 1 gone connection(s): A" in caplog.text


def test_broadcast_across_pages_prunes_after_sending_every_page(dynamo, gateway, monkeypatch):
    monkeypatch.setattr(connections_module, "PRUNE_GRACE_SECONDS", 0)
    dynamo.page_size = 2
    ids = [f"c{i}" for i in range(7)]
    for cid in ids:
        connections.add(cid)
        connections.join(cid, "room")
    gateway.gone("c1")
    gateway.gone("c4")
    result = connections.broadcast("x", room="room", exclude="c6")
    assert sorted(result.sent) == ["c0", "c2", "c3", "c5"] and sorted(result.gone) == ["c1", "c4"]
    assert sorted(connections.members("room")) == ["c0", "c2", "c3", "c5", "c6"]


def test_update_keeps_the_other_attributes(store):
    connections.add("A", source_ip="203.0.113.7", user_agent="wscat")
    connections.update("A", name="alice")
    assert connections.get("A") == {"source_ip": "203.0.113.7", "user_agent": "wscat", "name": "alice"}
    connections.update("B", name="bob")
    assert connections.get("B") == {"name": "bob"}


def test_large_integers_and_floats_come_back_exactly(store):
    connections.add("A", snowflake=2**63 + 1, ratio=0.1, whole=2.0, tags=("a", "b"))
    assert connections.get("A") == {"snowflake": 2**63 + 1, "ratio": 0.1, "whole": 2, "tags": ["a", "b"]}


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 10**40, {1: "x"}])
def test_values_dynamodb_refuses_are_refused_in_both_backends(store, value):
    with pytest.raises((TypeError, ValueError)):
        connections.add("A", value=value)


def test_expired_records_are_not_returned(dynamo, monkeypatch):
    connections.add("Fresh")
    connections.join("Fresh", "lobby")
    monkeypatch.setenv("WSDEPLOY_CONNECTIONS_TTL_HOURS", "-1")  # written already expired
    connections.add("Stale")
    connections.join("Stale", "lobby")
    assert list(connections.all()) == ["Fresh"]
    assert list(connections.members("lobby")) == ["Fresh"]
    assert connections.get("Stale") is None


def test_unprocessed_batch_writes_are_retried(dynamo, monkeypatch):
    real = dynamo.client.batch_write_item
    calls = []

    def flaky(RequestItems):
        calls.append(len(RequestItems[TABLE]))
        if len(calls) == 1:  # DynamoDB took the first write only
            first, *rest = RequestItems[TABLE]
            real(RequestItems={TABLE: [first]})
            return {"UnprocessedItems": {TABLE: rest}}
        return real(RequestItems=RequestItems)

    monkeypatch.setattr(connections_module.time, "sleep", lambda seconds: None)
    monkeypatch.setattr(dynamo.client, "batch_write_item", flaky)
    connections.add("A", name="a")
    assert calls == [2, 1]
    assert connections.get("A") == {"name": "a"} and list(connections.all()) == ["A"]


def test_broadcast_to_everyone(store, gateway):
    for cid in ("A", "B", "C"):
        connections.add(cid)
    result = connections.broadcast("hello")
    assert sorted(result.sent) == ["A", "B", "C"]


def test_broadcast_checks_the_size_before_reading_the_store(store, gateway):
    connections.add("A")
    with pytest.raises(MessageTooLarge):
        connections.broadcast("x" * 200_000)
    assert gateway.requests == []


TRACKING_APP = """
    from wsdeploy.websocket import on_connect, on_disconnect, on_message, connections

    SEEN = []

    @on_connect
    def connect(event, context):
        cid = event["requestContext"]["connectionId"]
        SEEN.append(connections.get(cid))
        if event.get("queryStringParameters", {}).get("token") != "ok":
            return {"statusCode": 403}

    @on_disconnect
    def disconnect(event, context):
        SEEN.append(connections.get(event["requestContext"]["connectionId"]))

    @on_message
    def message(event, context):
        pass
"""


@pytest.mark.parametrize("backend", ["dynamo", "memory"])
def test_tracking_records_connect_and_forgets_disconnect_before_the_handlers(
        request, backend, app_dir, monkeypatch):
    request.getfixturevalue(backend)
    app_dir("trackapp", TRACKING_APP)
    monkeypatch.setenv("WSDEPLOY_HANDLER_MODULE", "trackapp")
    monkeypatch.setenv("WSDEPLOY_CONNECTIONS_TRACK", "1")
    import sys

    accepted = make_event("connect", connectionId="Good000000000A=")
    accepted["queryStringParameters"] = {"token": "ok"}
    assert lambda_handler(accepted, None) == {"statusCode": 200}
    app = sys.modules["trackapp"]
    assert app.SEEN[-1] == {"connected_at": 1731324924123, "source_ip": "203.0.113.7",
                            "user_agent": "wscat/6.1.0"}
    assert list(connections.all()) == ["Good000000000A="]

    rejected = make_event("connect", connectionId="Bad0000000000A=")
    assert lambda_handler(rejected, None) == {"statusCode": 403}
    assert list(connections.all()) == ["Good000000000A="]  # a rejected handshake is not kept

    lambda_handler(make_event("disconnect", connectionId="Good000000000A="), None)
    assert app.SEEN[-1] is None and list(connections.all()) == []


def test_memory_store_is_shared_by_every_invocation(memory, app_dir, monkeypatch):
    app_dir("sharedapp", """
        from wsdeploy.websocket import on_connect, on_message, connections

        @on_connect
        def connect(event, context):
            pass

        @on_message(reply=True)
        def message(event, context):
            return sorted(connections.all())
    """)
    monkeypatch.setenv("WSDEPLOY_HANDLER_MODULE", "sharedapp")
    monkeypatch.setenv("WSDEPLOY_CONNECTIONS_TRACK", "1")
    for cid in ("One", "Two"):
        lambda_handler(make_event("connect", connectionId=cid), None)
    reply = lambda_handler(make_event("message", body="who"), None)
    assert json.loads(reply["body"]) == ["One", "Two"]


def test_a_connect_handler_that_raises_leaves_no_record(memory, app_dir, monkeypatch):
    app_dir("raisingapp", """
        from wsdeploy.websocket import on_connect, on_message

        @on_connect
        def connect(event, context):
            raise RuntimeError("auth service down")

        @on_message
        def message(event, context):
            pass
    """)
    monkeypatch.setenv("WSDEPLOY_HANDLER_MODULE", "raisingapp")
    monkeypatch.setenv("WSDEPLOY_CONNECTIONS_TRACK", "1")
    with pytest.raises(RuntimeError, match="auth service down"):
        lambda_handler(make_event("connect", connectionId="X"), None)
    assert list(connections.all()) == []
