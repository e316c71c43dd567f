"""`$connect` over real sockets: what reaches the handler, and what the client gets back."""

from __future__ import annotations

import base64
import json
import os
import socket
import sys
import threading
import urllib.error
import urllib.request

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.support.emulator import gw  # noqa: F401  (a fixture)
from tests.support.emulator import RunningGateway, events_of, read_to_end, wait_for, write_app
from tests.support.emulator_apps import PROBE
from wsdeploy.emulator import ids


def raw_handshake(port: int, target: str = "/dev", key: bool = True) -> socket.socket:
    """A socket that has sent a WebSocket upgrade request (with or without its key)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    lines = [f"GET {target} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket",
             "Connection: Upgrade", "Sec-WebSocket-Version: 13"]
    if key:
        lines.append(f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    return sock


def test_handshake_headers_and_query_string_reach_connect(gw):
    with connect(f"{gw.url}?token=abc&room=a&room=b", additional_headers={"X-Custom": "yes"},
                 user_agent_header="probe/1.0"):
        pass
    event = events_of("CONNECT")[0]
    headers = event["headers"]
    assert headers["X-Custom"] == "yes" and headers["User-Agent"] == "probe/1.0"
    assert headers["Host"] == f"127.0.0.1:{gw.gateway.port}"
    assert "Sec-WebSocket-Key" in headers and headers["Sec-WebSocket-Version"] == "13"
    assert "Connection" not in headers and "Upgrade" not in headers
    assert headers["X-Forwarded-For"] == "127.0.0.1" and headers["X-Amzn-Trace-Id"].startswith("Root=1-")
    assert event["queryStringParameters"] == {"token": "abc", "room": "b"}
    assert event["multiValueQueryStringParameters"]["room"] == ["a", "b"]
    context = event["requestContext"]
    assert context["domainName"] == f"127.0.0.1:{gw.gateway.port}"  # the port included
    assert context["stage"] == "dev" and context["identity"]["userAgent"] == "probe/1.0"
    assert ids.GATEWAY_ID.match(context["connectionId"])


def test_no_query_string_means_no_query_keys(gw):
    with connect(gw.url):
        pass
    assert "queryStringParameters" not in events_of("CONNECT")[0]


def test_a_rejecting_connect_fails_the_handshake_with_its_status_and_no_disconnect(gw):
    for status in (401, 403, 429):
        with pytest.raises(InvalidStatus) as refused:
            connect(f"{gw.url}?reject={status}")
        assert refused.value.response.status_code == status
    assert len(events_of("CONNECT")) == 3
    assert [r.status for r in gw.routes_run("$connect")] == [401, 403, 429]
    with connect(gw.url):  # a $disconnect the refused ones would have raised comes before this
        pass
    wait_for(lambda: events_of("DISCONNECT"))
    [disconnected] = events_of("DISCONNECT")
    accepted = events_of("CONNECT")[3]["requestContext"]["connectionId"]
    assert disconnected["requestContext"]["connectionId"] == accepted
    assert len(gw.gateway.table) == 0


def test_a_status_http_does_not_name_is_sent_as_it_is(gw):
    for status in (460, 499):
        with pytest.raises(InvalidStatus) as refused:
            connect(f"{gw.url}?reject={status}")
        assert refused.value.response.status_code == status
        assert refused.value.response.body == b"go away"
    assert [r.status for r in gw.routes_run("$connect")] == [460, 499]


def test_an_informational_status_from_connect_is_a_malformed_result_502(gw):
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{gw.url}?reject=101")
    assert refused.value.response.status_code == 502
    assert json.loads(refused.value.response.body) == {"message": "Internal server error"}
    [record] = gw.routes_run("$connect")
    assert record.status == 502 and "statusCode 101" in record.detail
    assert len(gw.gateway.table) == 0


def test_a_malformed_upgrade_is_refused_before_connect_runs(gw):
    with raw_handshake(gw.gateway.port, key=False) as sock:
        reply = read_to_end(sock)
    assert reply.startswith(b"HTTP/1.1 400 ") and b"Sec-WebSocket-Key" in reply
    assert events_of("CONNECT") == [] and gw.routes_run("$connect") == []
    assert len(gw.gateway.table) == 0


def test_a_client_that_leaves_while_connect_runs_gets_its_disconnect(gw):
    sock = raw_handshake(gw.gateway.port, "/dev?sleep=0.5")
    wait_for(lambda: events_of("CONNECT"))  # $connect is running (for 0.5 s)
    sock.close()
    wait_for(lambda: events_of("DISCONNECT"))  # it accepts after the client has gone
    [connected], [disconnected] = events_of("CONNECT"), events_of("DISCONNECT")
    context = disconnected["requestContext"]
    assert context["connectionId"] == connected["requestContext"]["connectionId"]
    assert context["disconnectStatusCode"] == 1006
    assert sys.modules["app"].CONNECTED == []  # the app forgot it, as it should
    wait_for(lambda: len(gw.gateway.table) == 0)


def test_a_connect_accepted_as_the_gateway_stops_still_gets_its_disconnect(tmp_path):
    write_app(tmp_path, PROBE)
    running = RunningGateway(tmp_path).__enter__()
    replies: list[bytes] = []
    try:
        sock = raw_handshake(running.gateway.port, "/dev?sleep=0.5")
        def hear_and_hang_up() -> None:  # as a client does
            with sock:
                replies.append(read_to_end(sock))

        client = threading.Thread(target=hear_and_hang_up)
        client.start()
        wait_for(lambda: events_of("CONNECT"))
        app = sys.modules["app"]
    finally:
        running.__exit__(None, None, None)  # stops while $connect runs; it accepts meanwhile
    client.join(10)
    assert replies[0].startswith(b"HTTP/1.1 503 ")  # websockets' answer as it stops
    assert [r.status for r in running.events] == [200, 200]  # $connect, then $disconnect
    [disconnected] = [e for e in app.EVENTS if e["requestContext"]["eventType"] == "DISCONNECT"]
    assert disconnected["requestContext"]["disconnectStatusCode"] == 1006
    assert app.CONNECTED == []


def test_a_connection_that_never_sends_a_request_does_not_hold_up_stopping(tmp_path):
    write_app(tmp_path, PROBE)
    running = RunningGateway(tmp_path).__enter__()
    silent = socket.create_connection(("127.0.0.1", running.gateway.port), timeout=10)
    partial = socket.create_connection(("127.0.0.1", running.gateway.port), timeout=10)
    partial.sendall(b"GET /dev HTT")  # not even a whole request line
    wait_for(lambda: len(running.gateway._doors) == 2)
    running.__exit__(None, None, None)  # hangs on Python 3.12+ if the doors stay open
    for sock in (silent, partial):
        with sock:
            assert read_to_end(sock) == b""  # closed by the server


def test_a_connection_without_a_request_line_is_closed_after_a_while(tmp_path):
    write_app(tmp_path, PROBE)
    with RunningGateway(tmp_path, first_line_timeout=0.3) as running:
        with socket.create_connection(("127.0.0.1", running.gateway.port), timeout=10) as sock:
            assert read_to_end(sock) == b""  # closed by the server, long before the 10 s read
        with connect(running.url):  # a request line in time is served as usual
            pass


def test_a_raising_connect_gives_502(gw):
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{gw.url}?raise=1")
    assert refused.value.response.status_code == 502
    assert len(gw.gateway.table) == 0


def test_connect_result_headers_reach_the_handshake_so_a_subprotocol_is_accepted(gw):
    with connect(gw.url, subprotocols=["chat.v1", "chat.v2"]) as ws:
        assert ws.subprotocol == "chat.v2"
        assert ws.response.headers["Sec-WebSocket-Protocol"] == "chat.v2"


def test_a_post_to_a_connection_whose_connect_has_not_returned_is_gone(gw):
    with connect(f"{gw.url}?self_send=1"):
        pass
    module = __import__("sys").modules["app"]
    assert module.GONE_DURING_CONNECT == [events_of("CONNECT")[0]["requestContext"]["connectionId"]]


def test_other_paths_are_forbidden_as_the_gateway_answers(gw):
    for path in ("/", "/prod", "/dev/extra"):
        with pytest.raises(InvalidStatus) as refused:
            connect(f"ws://127.0.0.1:{gw.gateway.port}{path}")
        assert refused.value.response.status_code == 403
    with pytest.raises(urllib.error.HTTPError) as plain:
        urllib.request.urlopen(f"http://127.0.0.1:{gw.gateway.port}/elsewhere", timeout=5)
    assert plain.value.code == 403
    assert plain.value.headers["x-amzn-ErrorType"] == "ForbiddenException"
    assert json.loads(plain.value.read()) == {"message": "Forbidden"}
    assert events_of("CONNECT") == []


def test_a_plain_http_request_to_the_stage_is_told_to_upgrade(gw):
    with pytest.raises(urllib.error.HTTPError) as plain:
        urllib.request.urlopen(gw.management_url, timeout=5)
    assert plain.value.code == 426 and b"wscat -c" in plain.value.read()


def test_a_client_close_raises_disconnect_with_its_code_and_reason(gw):
    with connect(gw.url) as ws:
        ws.close(4001, "done here")
    wait_for(lambda: events_of("DISCONNECT"))
    connect_context = events_of("CONNECT")[0]["requestContext"]
    context = events_of("DISCONNECT")[0]["requestContext"]
    assert (context["disconnectStatusCode"], context["disconnectReason"]) == (4001, "done here")
    assert context["connectionId"] == connect_context["connectionId"]
    assert context["connectedAt"] == connect_context["connectedAt"]
    assert "messageId" not in context


def test_a_close_without_status_is_reported_as_1005(gw):
    with connect(gw.url) as ws:
        ws.close(None)  # type: ignore[arg-type]  # websockets then sends an empty close frame
    wait_for(lambda: events_of("DISCONNECT"))
    context = events_of("DISCONNECT")[0]["requestContext"]
    assert context["disconnectStatusCode"] == 1005
    assert context["disconnectReason"] == "Client-side close frame status not set"


def test_the_stage_in_the_url_is_the_stage_in_the_events(tmp_path):
    from tests.support.emulator import RunningGateway, write_app
    from tests.support.emulator_apps import PROBE

    write_app(tmp_path, PROBE)
    with RunningGateway(tmp_path, stage="prod") as prod:
        assert prod.url.endswith("/prod") and prod.management_url.endswith("/prod")
        with connect(prod.url):
            pass
        with pytest.raises(InvalidStatus):
            connect(prod.url.replace("/prod", "/dev"))
        context = events_of("CONNECT")[0]["requestContext"]
        assert context["stage"] == "prod"
