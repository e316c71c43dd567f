"""Messages over real sockets: routes, replies, the gateway's own frames, limits and timeouts."""

from __future__ import annotations

import json
import re
import time

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.support.emulator import gw  # noqa: F401  (a fixture)
from tests.support.emulator import RunningGateway, events_of, wait_for, write_app
from tests.support.emulator_apps import PROBE
from wsdeploy.emulator import ids, limits

# Byte for byte as frames captured from real APIs: a space after "message": only.
FRAME_LAYOUT = re.compile(
    r'^\{"message": "(.+)", "connectionId":"([A-Za-z0-9_-]{15}=)", "requestId":"([A-Za-z0-9_-]{15}=)"\}$')


def recv_json(ws) -> dict:
    return json.loads(ws.recv(timeout=10))


def connection_id_of(ws_count: int = 1) -> str:
    return events_of("CONNECT")[ws_count - 1]["requestContext"]["connectionId"]


def closed_with(ws) -> tuple[int, str]:
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            ws.recv(timeout=10)
    return closed.value.rcvd.code, closed.value.rcvd.reason


def test_echo_example(tmp_path):
    import shutil
    from pathlib import Path

    shutil.copy(Path(__file__).parents[2] / "examples" / "echo" / "app.py", tmp_path / "app.py")
    with RunningGateway(tmp_path) as gw, connect(gw.url) as ws:
        ws.send('{"action": "echo", "data": "hello"}')
        assert ws.recv(timeout=10) == '{"type":"echo","data":"hello"}'
        ws.send('{"action": "ping"}')
        assert ws.recv(timeout=10) == '{"type":"pong"}'
        ws.send('{"action": "dance"}')
        assert ws.recv(timeout=10) == '{"type":"error","message":"Unknown action: dance"}'


def test_a_reply_route_sends_its_result_back_and_the_message_event_is_gateway_shaped(gw):
    with connect(gw.url) as ws:
        ws.send('{"action": "whoami"}')
        event = recv_json(ws)
    context = event["requestContext"]
    assert context["routeKey"] == "whoami" and context["eventType"] == "MESSAGE"
    assert context["connectionId"] == connection_id_of()
    assert context["connectedAt"] == events_of("CONNECT")[0]["requestContext"]["connectedAt"]
    assert ids.GATEWAY_ID.match(context["messageId"])
    assert context["requestId"] == context["extendedRequestId"] != context["messageId"]
    assert re.fullmatch(r"\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000", context["requestTime"])
    assert event["body"] == '{"action": "whoami"}' and event["isBase64Encoded"] is False
    assert "headers" not in event and "queryStringParameters" not in event


def test_one_way_routes_send_nothing_back_by_themselves(gw):
    with connect(gw.url) as ws:
        ws.send('{"action": "custom"}')  # answers through send_message only
        assert recv_json(ws) == {"route": "custom"}
        with pytest.raises(TimeoutError):
            ws.recv(timeout=0.3)


def test_custom_routes_and_default(gw):
    with connect(gw.url) as ws:
        ws.send('{"action": "custom"}')
        assert recv_json(ws) == {"route": "custom"}
        ws.send("not json at all")
        assert recv_json(ws) == {"route": "$default", "body": "not json at all"}
        ws.send('{"action": "nothing-like-it"}')
        assert recv_json(ws)["route"] == "$default"


def test_template_route_selection(tmp_path):
    write_app(tmp_path, PROBE)
    with RunningGateway(tmp_path, route_selection="${request.body.kind}${request.body.sub.name}") as gw:
        with connect(gw.url) as ws:
            ws.send('{"kind": "cus", "sub": {"name": "tom"}}')
            assert recv_json(ws) == {"route": "custom"}
            ws.send('{"kind": "custom", "sub": {}}')  # a missing path renders as ""
            assert recv_json(ws) == {"route": "custom"}


def without_default(routes: dict) -> dict:
    """The route table minus $default. The runtime refuses an app without $default, so narrowing
    the routes the gateway selects from is the only way to reach the "Forbidden" frame."""
    return {key: reply for key, reply in routes.items() if key != "$default"}


def test_no_route_and_no_default_sends_the_forbidden_frame(tmp_path):
    write_app(tmp_path, PROBE)
    with RunningGateway(tmp_path, route_table=without_default) as gw, connect(gw.url) as ws:
        ws.send('{"action": "nothing-like-it"}')
        frame = ws.recv(timeout=10)
        ws.send("not json")
        second = ws.recv(timeout=10)
        message, connection_id, request_id = FRAME_LAYOUT.match(frame).groups()
        assert message == "Forbidden" and connection_id == connection_id_of()
        assert ids.GATEWAY_ID.match(request_id)
        assert FRAME_LAYOUT.match(second).group(1) == "Forbidden"
        assert FRAME_LAYOUT.match(second).group(3) != request_id
        assert events_of("MESSAGE") == []  # the function was never invoked


def test_an_unroutable_message_gets_forbidden_even_while_handlers_are_slow(tmp_path):
    write_app(tmp_path, PROBE)
    with RunningGateway(tmp_path, route_table=without_default, workers=1,
                        integration_timeout=1) as gw, connect(gw.url) as ws:
        ws.send('{"action": "sleep", "seconds": 2}')  # holds the only worker past the timeout
        ws.send('{"action": "nothing-like-it"}')  # decided on the loop: no worker needed
        frames = [ws.recv(timeout=10) for _ in range(3)]
        assert FRAME_LAYOUT.match(frames[0]).group(1) == "Forbidden"
        assert FRAME_LAYOUT.match(frames[1]).group(1) == "Endpoint request timed out"
        assert json.loads(frames[2]) == {"slept": 2}
    [record] = gw.routes_run("sleep")  # the timed-out event's line names its route
    assert record.status == 504 and record.detail == "Endpoint request timed out"


def test_a_body_nested_too_deep_for_the_json_parser_goes_to_default(gw):
    body = "[" * (90 * 1024)  # json.loads raises RecursionError, not ValueError
    with connect(gw.url) as ws:
        ws.send([body[i:i + 30 * 1024] for i in range(0, len(body), 30 * 1024)])  # 30 KB frames
        assert recv_json(ws) == {"route": "$default", "body": body}


def test_a_failure_of_the_gateway_itself_is_said_and_answered_with_the_error_frame(tmp_path):
    def broken(routes):
        raise RuntimeError("a bug in the message path")

    write_app(tmp_path, PROBE)
    with RunningGateway(tmp_path, route_table=broken) as gw, connect(gw.url) as ws:
        ws.send('{"action": "custom"}')
        message, connection_id, _ = FRAME_LAYOUT.match(ws.recv(timeout=10)).groups()
        assert message == "Internal server error" and connection_id == connection_id_of()
    [record] = [r for r in gw.events if r.status == "error"]
    assert "RuntimeError: a bug in the message path" in record.detail


def test_a_raising_handler_sends_the_internal_server_error_frame(gw):
    with connect(gw.url) as ws:
        ws.send('{"action": "boom"}')
        frame = ws.recv(timeout=10)
        message, connection_id, _ = FRAME_LAYOUT.match(frame).groups()
        assert message == "Internal server error" and connection_id == connection_id_of()
        ws.send('{"action": "custom"}')  # the connection stays open
        assert recv_json(ws) == {"route": "custom"}
    [record] = gw.routes_run("boom")
    assert record.status == "error" and "ValueError: boom on purpose" in record.detail


def test_binary_frames_close_with_1003(gw):
    with connect(gw.url) as ws:
        ws.send(b"\x00\x01")
        assert closed_with(ws)[0] == 1003
    wait_for(lambda: events_of("DISCONNECT"))
    assert events_of("DISCONNECT")[0]["requestContext"]["disconnectStatusCode"] == 1003
    assert events_of("MESSAGE") == []


def disconnect_close() -> tuple[int, str]:
    context = wait_for(lambda: events_of("DISCONNECT"))[0]["requestContext"]
    return context["disconnectStatusCode"], context["disconnectReason"]


def test_a_frame_over_32_kb_closes_with_1009(gw):
    with connect(gw.url) as ws:
        ws.send("x" * (32 * 1024 + 1))
        assert closed_with(ws) == limits.TOO_BIG  # the gateway's reason, not websockets' text
    assert disconnect_close() == limits.TOO_BIG  # and $disconnect says the same


def test_a_message_over_128_kb_in_small_frames_closes_with_1009(gw):
    with connect(gw.url) as ws:
        try:
            ws.send(["y" * (30 * 1024)] * 5)  # 150 KB in five 30 KB frames
        except ConnectionClosed:
            pass  # closed before the last fragment went out
        assert closed_with(ws) == limits.TOO_BIG
    assert disconnect_close() == limits.TOO_BIG


def test_a_large_message_in_small_frames_is_delivered_and_large_replies_arrive_whole(gw):
    body = json.dumps({"action": "whoami", "pad": "z" * (100 * 1024)})
    chunks = [body[i:i + 30 * 1024] for i in range(0, len(body), 30 * 1024)]
    # The client refuses frames over 32 KB: the reply (> 100 KB) must come in fragments.
    with connect(gw.url, max_size=(None, 32 * 1024)) as ws:
        ws.send(chunks)
        event = recv_json(ws)
    assert event["body"] == body


def test_idle_connections_are_closed_with_1001_and_disconnect(tmp_path):
    write_app(tmp_path, PROBE)
    with RunningGateway(tmp_path, idle_timeout=0.3) as gw, connect(gw.url) as ws:
        assert closed_with(ws)[0] == 1001
        wait_for(lambda: events_of("DISCONNECT"))
        context = events_of("DISCONNECT")[0]["requestContext"]
        assert context["disconnectStatusCode"] == 1001


def test_activity_keeps_a_connection_until_the_maximum_duration(tmp_path):
    write_app(tmp_path, PROBE)
    with RunningGateway(tmp_path, idle_timeout=0.5, max_duration=1.5) as gw:
        began = time.monotonic()  # before connectedAt, so the span below is never too short
        with connect(gw.url) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    ws.send('{"action": "quiet"}')  # answered by nothing: only the client talks
                    with pytest.raises(TimeoutError):
                        ws.recv(timeout=0.1)  # raises ConnectionClosed once it is closed
        lasted = time.monotonic() - began
    assert closed.value.rcvd.code == 1001
    # Closed by the maximum duration, not the idle timeout: the messages reset the idle time.
    assert lasted >= 1.5 - 0.01  # (connectedAt is whole milliseconds)


def test_messages_from_the_api_alone_keep_a_connection_open(tmp_path):
    from tests.support.emulator import management_client

    write_app(tmp_path, PROBE)
    with RunningGateway(tmp_path, idle_timeout=1.0) as gw:
        with connect(gw.url) as ws:
            client = management_client(gw)
            began = time.monotonic()
            sent = 0
            while time.monotonic() - began < 3.0:  # three idle timeouts, the client silent
                client.post_to_connection(ConnectionId=connection_id_of(), Data=f"tick {sent}")
                assert ws.recv(timeout=10) == f"tick {sent}"
                sent += 1
                time.sleep(0.1)
            assert closed_with(ws)[0] == 1001  # once the posts stop, the idle timeout closes it
        assert disconnect_close()[0] == 1001


def test_the_integration_timeout_sends_the_gateways_frame(tmp_path):
    write_app(tmp_path, PROBE)
    with RunningGateway(tmp_path, integration_timeout=1) as gw, connect(gw.url) as ws:
        ws.send('{"action": "sleep", "seconds": 2}')
        frames = [ws.recv(timeout=10), ws.recv(timeout=10)]
    assert FRAME_LAYOUT.match(frames[0]).group(1) == "Endpoint request timed out"
    assert json.loads(frames[1]) == {"slept": 2}  # the function ran on, as Lambda's does


def test_a_line_per_event_with_route_connection_status_and_duration(gw):
    with connect(gw.url) as ws:
        ws.send('{"action": "custom"}')
        recv_json(ws)
    wait_for(lambda: gw.routes_run("$disconnect"))
    connection_id = connection_id_of()
    assert [(r.route_key, r.connection_id, r.status) for r in gw.events] == [
        ("$connect", connection_id, 200), ("custom", connection_id, 200),
        ("$disconnect", connection_id, 200)]
    assert all(r.duration_ms >= 0 for r in gw.events)
