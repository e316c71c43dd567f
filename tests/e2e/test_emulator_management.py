"""boto3's apigatewaymanagementapi client against the local @connections API (spec section 4)."""

from __future__ import annotations

import asyncio
import datetime as dt
import http.client
import json
import logging
import socket
import sys
import threading
import time
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.exceptions import ClientError
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.support.emulator import gw  # noqa: F401  (a fixture)
from tests.support.emulator import (RunningGateway, events_of, management_client, read_to_end,
                                   wait_for, write_app)
from tests.support.emulator_apps import PROBE
from wsdeploy.emulator.http_replies import Reply


def only_connection_id() -> str:
    return events_of("CONNECT")[-1]["requestContext"]["connectionId"]


def test_post_to_connection_delivers_the_raw_data(gw):
    client = management_client(gw)
    with connect(gw.url, user_agent_header="probe/2") as ws:
        client.post_to_connection(ConnectionId=only_connection_id(), Data=b'{"hello": "world"}')
        assert ws.recv(timeout=10) == '{"hello": "world"}'
        client.post_to_connection(ConnectionId=only_connection_id(), Data="plain text ✓")
        assert ws.recv(timeout=10) == "plain text ✓"


def test_get_connection_tells_when_and_who(gw):
    client = management_client(gw)
    with connect(gw.url, user_agent_header="probe/2") as ws:
        time.sleep(0.05)
        ws.send('{"action": "custom"}')
        ws.recv(timeout=10)
        info = client.get_connection(ConnectionId=only_connection_id())
    connected_ms = events_of("CONNECT")[0]["requestContext"]["connectedAt"]
    assert info["ConnectedAt"] == dt.datetime.fromtimestamp(connected_ms / 1000, dt.timezone.utc)
    assert info["LastActiveAt"] > info["ConnectedAt"]  # the message came 50 ms later
    assert info["Identity"] == {"SourceIp": "127.0.0.1", "UserAgent": "probe/2"}


def test_delete_connection_closes_with_1000_and_raises_disconnect_with_that_status(gw):
    client = management_client(gw)
    with connect(gw.url) as ws:
        client.delete_connection(ConnectionId=only_connection_id())
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
    assert closed.value.rcvd.code == 1000
    wait_for(lambda: events_of("DISCONNECT"))
    context = events_of("DISCONNECT")[0]["requestContext"]
    assert context["disconnectStatusCode"] == 1000
    assert context["disconnectReason"] == "Connection Closed Normally"


def test_gone_exception_after_the_client_leaves(gw):
    client = management_client(gw)
    with connect(gw.url):
        connection_id = only_connection_id()
    wait_for(lambda: events_of("DISCONNECT"))
    for call in (lambda: client.post_to_connection(ConnectionId=connection_id, Data=b"x"),
                 lambda: client.get_connection(ConnectionId=connection_id),
                 lambda: client.delete_connection(ConnectionId=connection_id)):
        with pytest.raises(client.exceptions.GoneException) as gone:
            call()
        assert gone.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410


def test_payloads_over_128_kb_raise_payload_too_large(gw):
    client = management_client(gw)
    with connect(gw.url) as ws:
        with pytest.raises(client.exceptions.PayloadTooLargeException):
            client.post_to_connection(ConnectionId=only_connection_id(), Data=b"x" * (128 * 1024 + 1))
        client.post_to_connection(ConnectionId=only_connection_id(), Data=b"x" * (128 * 1024))
        assert len(ws.recv(timeout=10)) == 128 * 1024


def test_payloads_over_a_megabyte_raise_payload_too_large_too(gw):
    client = management_client(gw)
    with connect(gw.url) as ws:
        with pytest.raises(client.exceptions.PayloadTooLargeException) as too_large:
            client.post_to_connection(ConnectionId=only_connection_id(), Data=b"x" * (1024 * 1024 + 1))
        headers = too_large.value.response["ResponseMetadata"]["HTTPHeaders"]
        assert headers["x-amzn-errortype"] == "PayloadTooLargeException"
        client.post_to_connection(ConnectionId=only_connection_id(), Data=b"still served")
        assert ws.recv(timeout=10) == "still served"


def test_the_management_api_needs_the_stage_prefix(gw):
    client = boto3.client("apigatewaymanagementapi", region_name="us-east-1",
                          endpoint_url=f"http://127.0.0.1:{gw.gateway.port}",
                          aws_access_key_id="AKIDLOCAL", aws_secret_access_key="local-secret")
    with connect(gw.url):
        with pytest.raises(client.exceptions.ForbiddenException):
            client.post_to_connection(ConnectionId=only_connection_id(), Data=b"x")


def test_an_unsigned_request_is_refused(gw):
    import urllib.error
    import urllib.request

    with connect(gw.url):
        request = urllib.request.Request(
            f"{gw.management_url}/@connections/{only_connection_id()}", data=b"x", method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 403
    assert json.loads(refused.value.read()) == {"message": "Missing Authentication Token"}


def test_boto3_without_an_endpoint_finds_the_local_api_inside_a_handler(tmp_path):
    write_app(tmp_path, '''
        import boto3
        from wsdeploy.websocket import on_connect, on_message

        @on_connect
        def connect(event, context):
            return {"statusCode": 200}

        @on_message
        def default(event, context):
            client = boto3.client("apigatewaymanagementapi")  # endpoint and keys from the environment
            client.post_to_connection(ConnectionId=event["requestContext"]["connectionId"],
                                      Data=b"via boto3")
    ''')
    with RunningGateway(tmp_path) as gw, connect(gw.url) as ws:
        ws.send("hi")
        assert ws.recv(timeout=10) == "via boto3"


def test_the_handler_environment_is_the_functions(tmp_path):
    write_app(tmp_path, '''
        import os
        from wsdeploy.websocket import on_connect, on_message

        @on_connect
        def connect(event, context):
            return {"statusCode": 200}

        NAMES = ("GREETING", "WSDEPLOY_HANDLER_MODULE", "WEBSOCKET_API_GATEWAY_ENDPOINT",
                 "AWS_REGION")

        @on_message(reply=True)
        def default(event, context):
            from wsdeploy.websocket import connections

            return {name: os.environ.get(name) for name in NAMES} | {
                "signing": bool(os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE")),
                "store": type(connections.store()).__name__}
    ''')
    import os

    before = os.environ.get("GREETING")
    with RunningGateway(tmp_path, environment={"GREETING": "hi"}, connections=True) as gw, \
            connect(gw.url) as ws:
        ws.send("hi")
        seen = json.loads(ws.recv(timeout=10))
    assert seen["GREETING"] == "hi" and seen["WSDEPLOY_HANDLER_MODULE"] == "app"
    assert seen["WEBSOCKET_API_GATEWAY_ENDPOINT"] == gw.management_url
    assert seen["AWS_REGION"] and seen["signing"] is True
    assert seen["store"] == "MemoryStore"
    assert os.environ.get("GREETING") == before  # put back when the server stopped


def test_client_errors_carry_the_error_type_header(gw):
    client = management_client(gw)
    with pytest.raises(ClientError) as error:
        client.get_connection(ConnectionId="AAAAAAAAAAAAAAA=")
    assert error.value.response["Error"]["Code"] == "GoneException"
    assert error.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == "GoneException"


def test_management_connections_are_kept_alive_and_serve_request_after_request(gw):
    with connect(gw.url) as ws:
        path = f"/dev/@connections/{only_connection_id().replace('=', '%3D')}"
        client = http.client.HTTPConnection("127.0.0.1", gw.gateway.port, timeout=10)
        sockets = set()
        for n in range(3):
            client.request("POST", path, body=f"message {n}".encode(),
                           headers={"Authorization": "AWS4-HMAC-SHA256 Credential=local"})
            response = client.getresponse()
            assert (response.status, response.read()) == (200, b"")
            assert response.getheader("Connection") == "keep-alive"
            sockets.add(id(client.sock))
            assert ws.recv(timeout=10) == f"message {n}"
        client.request("GET", "/dev", headers={"Authorization": "AWS4-HMAC-SHA256 x"})
        refused = client.getresponse()
        assert refused.status == 403  # not a management path: refused
        assert refused.read() == b'{"message":"Forbidden"}'  # as the WebSocket side says it
        client.close()
    assert len(sockets) == 1
    with pytest.raises(urllib.error.HTTPError) as handshake:
        urllib.request.urlopen(f"http://127.0.0.1:{gw.gateway.port}/elsewhere", timeout=5)
    assert handshake.value.read() == b'{"message":"Forbidden"}'


def test_stopping_waits_for_a_management_request_under_way(tmp_path):
    write_app(tmp_path, PROBE)
    running = RunningGateway(tmp_path).__enter__()
    started = threading.Event()

    async def slow_management(request):
        started.set()
        await asyncio.sleep(0.5)
        return Reply(200)

    running.gateway._management = slow_management
    try:
        sock = socket.create_connection(("127.0.0.1", running.gateway.port), timeout=10)
        sock.sendall(b"POST /dev/@connections/x HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n")
        assert started.wait(10)
    finally:
        running.__exit__(None, None, None)
    with sock:
        reply = read_to_end(sock)
    assert reply.startswith(b"HTTP/1.1 200 OK\r\n") and b"Connection: close" in reply


def test_a_handler_left_running_at_stop_fails_its_send_without_a_traceback(tmp_path, caplog):
    write_app(tmp_path, PROBE)
    running = RunningGateway(tmp_path, stop_grace=0.2).__enter__()
    try:
        with connect(running.url) as ws:
            ws.send('{"action": "sleep", "seconds": 1}')  # sends once it wakes, after the stop
            wait_for(lambda: running.gateway._pool.busy)  # the handler is asleep
        app = sys.modules["app"]
    finally:
        with caplog.at_level(logging.INFO):
            running.__exit__(None, None, None)
            wait_for(lambda: app.FINISHED)  # its send_message has failed,
            wait_for(lambda: running.gateway._pool.busy == 0)  # and the runtime said so, or not
    assert [kind for kind, _ in running.notices] == ["abandoned"]
    assert "1 handler(s) still running" in running.notices[0][1]
    assert not [r for r in caplog.records if r.name == "wsdeploy"], caplog.text


def test_connections_fail_locally_as_deployed_when_not_enabled(tmp_path):
    """Without [app.connections] the deployed function has no table: dev says so too, rather
    than keeping records in memory that production would not have."""
    write_app(tmp_path, '''
        from wsdeploy.websocket import on_connect, on_message, connections

        @on_connect
        def connect(event, context):
            return {"statusCode": 200}

        @on_message(reply=True)
        def default(event, context):
            try:
                connections.add(event["requestContext"]["connectionId"])
            except Exception as error:
                return {"error": type(error).__name__, "message": str(error)}
            return {"error": None}
    ''')
    with RunningGateway(tmp_path) as gw, connect(gw.url) as ws:
        ws.send("hi")
        seen = json.loads(ws.recv(timeout=10))
    assert seen["error"] == "HandlerConfigurationError" and "[app.connections]" in seen["message"]
