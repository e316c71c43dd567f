"""The runtime on the edges found by attacking it (issue 14): handlers that exit, replies JSON
cannot carry, $connect statuses given as strings, connection ids that are path segments."""

from __future__ import annotations

import logging
import re
import sys

import pytest

from tests.conftest import make_event
from tests.support.fake_gateway import FakeGateway
from wsdeploy.emulator.memory_store import MemoryStore
from wsdeploy.runtime import connections as connections_module
from wsdeploy.runtime import lambda_handler
from wsdeploy.websocket import broadcast, close_connection, connections, get_connection, send_message

APP = """
    import sys
    from wsdeploy.websocket import on_connect, on_message, on_route

    @on_connect
    def connect(event, context):
        how = (event.get("queryStringParameters") or {}).get("how")
        if how == "exit":
            sys.exit(3)
        if how == "interrupt":
            raise KeyboardInterrupt
        if how:
            return {"statusCode": how}

    @on_message
    def message(event, context):
        pass

    @on_route("nan", reply=True)
    def nan(event, context):
        return {"score": float("nan"), "ok": [1, float("inf")]}

    @on_route("exit")
    def leave(event, context):
        raise SystemExit(0)
"""


@pytest.fixture
def tracked(app_dir, monkeypatch):
    """The app above with connection tracking on, in memory; returns the store."""
    store = MemoryStore()
    monkeypatch.setattr(connections_module, "_installed_store", store)
    app_dir("edgeapp", APP)
    monkeypatch.setenv("WSDEPLOY_HANDLER_MODULE", "edgeapp")
    monkeypatch.setenv("WSDEPLOY_CONNECTIONS_TRACK", "1")
    yield store
    sys.modules.pop("edgeapp", None)


def connect(connection_id: str, how: str | None = None) -> dict:
    event = make_event("connect", connectionId=connection_id)
    if how is not None:
        event["queryStringParameters"] = {"how": how}
    return lambda_handler(event, None)


# -- SystemExit and KeyboardInterrupt ---------------------------------------------------------------
@pytest.mark.parametrize("how, raised", [("exit", SystemExit), ("interrupt", KeyboardInterrupt)])
def test_a_connect_handler_that_exits_is_logged_and_leaves_no_record(tracked, caplog, how, raised):
    connect("Kept00000000000=")
    with caplog.at_level(logging.ERROR, logger="wsdeploy"), pytest.raises(raised):
        connect("Exits0000000000=", how)
    (record,) = [r for r in caplog.records if r.name == "wsdeploy"]
    assert record.getMessage() == ("handler edgeapp.connect failed on route $connect for connection "
                                   "Exits0000000000=")
    assert record.exc_info[0] is raised
    assert list(connections.all()) == ["Kept00000000000="]


def test_a_message_handler_raising_system_exit_is_logged_then_raised(tracked, caplog):
    with caplog.at_level(logging.ERROR, logger="wsdeploy"), pytest.raises(SystemExit):
        lambda_handler(make_event("message", body='{"action": "exit"}', routeKey="exit"), None)
    assert [r.getMessage() for r in caplog.records if r.name == "wsdeploy"] == [
        "handler edgeapp.leave failed on route exit for connection "
        f"{make_event('message')['requestContext']['connectionId']}"]


# -- $connect statuses given as strings -------------------------------------------------------------
@pytest.mark.parametrize("how, status, kept", [("200", 200, True), ("204", 204, True),
                                               ("403", 403, False), ("OK", "OK", False)])
def test_a_string_status_is_read_as_the_gateway_reads_it_by_runtime_and_tracking_alike(
        tracked, how, status, kept):
    assert connect("Str000000000000=", how) == {"statusCode": status}
    assert list(connections.all()) == (["Str000000000000="] if kept else [])


# -- NaN and infinity ---------------------------------------------------------------------------------
def test_a_reply_holding_nan_is_refused_with_a_clear_error(tracked, caplog):
    with caplog.at_level(logging.ERROR, logger="wsdeploy"), pytest.raises(ValueError) as caught:
        lambda_handler(make_event("message", body='{"action": "nan"}', routeKey="nan"), None)
    assert str(caught.value).startswith("the reply holds nan at ['score'], and JSON has no such number")
    assert str(caught.value).endswith("send None or a string instead")
    assert any(r.getMessage().startswith("handler edgeapp.nan failed") for r in caplog.records)


@pytest.fixture
def gateway(runtime, monkeypatch):
    with FakeGateway() as fake:
        monkeypatch.setenv("WEBSOCKET_API_GATEWAY_ENDPOINT", fake.endpoint)
        yield fake


@pytest.mark.parametrize("data, where", [({"x": float("nan")}, "nan at ['x']"),
                                         ([0, {"y": [float("-inf")]}], "-inf at [1]['y'][0]")])
def test_send_message_and_broadcast_refuse_nan_before_any_request(gateway, data, where):
    for send in (lambda: send_message("Conn00000000000=", data),
                 lambda: broadcast(["Conn00000000000="], data)):
        with pytest.raises(ValueError, match="^" + re.escape(f"the message holds {where}, and JSON")):
            send()
    assert gateway.requests == []
    send_message("Conn00000000000=", {"x": 1.5})
    assert [r.body for r in gateway.requests] == [b'{"x":1.5}']


# -- connection ids that are path segments ----------------------------------------------------------------
@pytest.mark.parametrize("bad", ["", ".", ".."])
def test_dot_and_empty_connection_ids_are_refused_before_any_request(gateway, bad):
    for call in (lambda: send_message(bad, "hi"), lambda: get_connection(bad),
                 lambda: close_connection(bad)):
        with pytest.raises(ValueError, match=f"^{bad!r} is not a connection id"):
            call()
    result = broadcast([bad, "Good00000000000="], "hi")
    assert result.sent == ["Good00000000000="] and list(result.failed) == [bad]
    assert isinstance(result.failed[bad], ValueError)
    assert [r.path for r in gateway.requests] == ["/dev/@connections/Good00000000000%3D"]


def test_ids_with_dots_inside_are_sent_encoded_as_they_are(gateway):
    send_message("a.b..", "hi")
    assert [r.connection_id for r in gateway.requests] == ["a.b.."]
