"""send_message, get_connection, close_connection and broadcast against real HTTP servers:
a local fake of the @connections API that checks signatures, and moto's server."""

import datetime
import json
import threading
import time

import pytest

from tests.support.fake_gateway import Answer, FakeGateway
from wsdeploy.runtime import management
from wsdeploy.websocket import (
    ConnectionGone,
    HandlerConfigurationError,
    ManagementApiError,
    MessageTooLarge,
    WebSocketError,
    broadcast,
    close_connection,
    get_connection,
    send_message,
)

CID = "BFHPhfCWIAMCKlQ="
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


@pytest.fixture
def gateway(runtime, monkeypatch):
    with FakeGateway(secret_key=SECRET) as fake:
        monkeypatch.setenv("WEBSOCKET_API_GATEWAY_ENDPOINT", fake.endpoint)
        yield fake


@pytest.mark.parametrize("data, wire", [
    ({"type": "echo", "data": "héllo"}, '{"type":"echo","data":"héllo"}'.encode()),
    ([1, "two", None], b'[1,"two",null]'),
    ("plain text ✓", "plain text ✓".encode()),
    (b"\x00\x01\xff", b"\x00\x01\xff"),
])
def test_send_message_posts_the_encoded_bytes_signed_to_the_encoded_path(gateway, data, wire):
    send_message(CID, data)
    (request,) = gateway.requests
    assert request.method == "POST"
    assert request.path == "/dev/@connections/BFHPhfCWIAMCKlQ%3D"
    assert request.body == wire
    assert request.signature_ok is True
    assert "/us-east-1/execute-api/aws4_request" in request.headers["authorization"]


def test_the_session_token_is_sent_and_signed(gateway, monkeypatch):
    monkeypatch.setenv("AWS_SESSION_TOKEN", "IQoJb3JpZ2luX2VjEXAMPLE")
    send_message(CID, "hi")
    (request,) = gateway.requests
    assert request.headers["x-amz-security-token"] == "IQoJb3JpZ2luX2VjEXAMPLE"
    assert "x-amz-security-token" in request.headers["authorization"]
    assert request.signature_ok is True


def test_a_wrong_secret_fails_the_signature_check(gateway, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    send_message(CID, "hi")
    assert gateway.requests[0].signature_ok is False


@pytest.mark.parametrize("data", [42, 1.5, None, {1, 2}, object()])
def test_other_types_are_a_type_error_before_any_request(gateway, data):
    with pytest.raises(TypeError, match="dict, list, str or bytes"):
        send_message(CID, data)
    assert gateway.requests == []


def test_128_kb_is_the_limit_checked_before_any_request(gateway):
    send_message(CID, b"x" * 131_072)
    with pytest.raises(MessageTooLarge) as error:
        send_message(CID, "x" * 131_073)
    assert (error.value.size, error.value.limit) == (131_073, 131_072)
    assert len(gateway.requests) == 1 and len(gateway.requests[0].body) == 131_072


def test_a_gone_connection_raises_connection_gone_with_the_id(gateway):
    gateway.answer(CID, Answer(410, "GoneException", b'{"message":null}'))
    with pytest.raises(ConnectionGone) as error:
        send_message(CID, "hi")
    assert error.value.connection_id == CID
    assert isinstance(error.value, WebSocketError)


def test_a_413_from_the_gateway_is_message_too_large(gateway):
    gateway.answer(CID, Answer(413, "PayloadTooLargeException"))
    with pytest.raises(MessageTooLarge):
        send_message(CID, "hi")


def test_throttling_is_retried_then_succeeds(gateway):
    gateway.answer(CID, Answer(429, "LimitExceededException"), Answer(429, "LimitExceededException"))
    send_message(CID, "hi")
    assert len(gateway.requests) == 3


def test_throttling_that_persists_raises_with_the_error_type(gateway):
    gateway.answer(CID, *[Answer(429, "LimitExceededException", b'{"message":"slow down"}')] * 3)
    with pytest.raises(ManagementApiError) as error:
        send_message(CID, "hi")
    assert error.value.status == 429 and error.value.error_type == "LimitExceededException"
    assert "slow down" in str(error.value)
    assert len(gateway.requests) == 3


def test_forbidden_is_not_retried(gateway):
    gateway.answer(CID, Answer(403, "ForbiddenException", b'{"message":"Forbidden"}'))
    with pytest.raises(ManagementApiError) as error:
        send_message(CID, "hi")
    assert error.value.status == 403 and len(gateway.requests) == 1


def test_get_connection_reads_the_gateway_answer(gateway):
    gateway.connections[CID] = {
        "connectedAt": "2024-11-11T11:35:24.123Z",
        "identity": {"sourceIp": "203.0.113.7", "userAgent": "wscat/6.1.0"},
        "lastActiveAt": "2024-11-11T11:36:00.000Z",
    }
    info = get_connection(CID)
    assert info.connection_id == CID
    assert info.connected_at == datetime.datetime(2024, 11, 11, 11, 35, 24, 123000,
                                                  tzinfo=datetime.timezone.utc)
    assert info.last_active_at.minute == 36
    assert (info.source_ip, info.user_agent) == ("203.0.113.7", "wscat/6.1.0")
    assert gateway.requests[0].method == "GET" and gateway.requests[0].signature_ok


def test_get_connection_of_a_gone_client_raises(gateway):
    with pytest.raises(ConnectionGone):
        get_connection("gone0000000000A=")


def test_close_connection_deletes(gateway):
    close_connection(CID)
    (request,) = gateway.requests
    assert (request.method, request.path, request.body) == (
        "DELETE", "/dev/@connections/BFHPhfCWIAMCKlQ%3D", b"")
    assert request.signature_ok


def test_no_endpoint_is_a_clear_error(runtime):
    with pytest.raises(HandlerConfigurationError, match="WEBSOCKET_API_GATEWAY_ENDPOINT is not set"):
        send_message(CID, "hi")


def test_an_explicit_endpoint_wins(gateway, monkeypatch):
    monkeypatch.setenv("WEBSOCKET_API_GATEWAY_ENDPOINT", "http://127.0.0.1:9/nowhere")
    send_message(CID, "hi", endpoint=gateway.endpoint)
    assert len(gateway.requests) == 1


def test_clients_are_cached_per_endpoint_and_keep_their_connection(gateway):
    send_message(CID, "a")
    send_message(CID, "b")
    assert management.client_for() is management.client_for(gateway.endpoint)
    # both requests went over one keep-alive socket: the server saw one client port
    assert len(gateway.requests) == 2


def test_concurrent_sends_from_many_threads(gateway):
    errors = []

    def worker(n):
        try:
            for i in range(10):
                send_message(f"conn{n:02d}{i:02d}AAAAAA=", {"n": n, "i": i})
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    bodies = sorted(json.loads(r.body)["n"] * 100 + json.loads(r.body)["i"] for r in gateway.requests)
    assert bodies == sorted(n * 100 + i for n in range(8) for i in range(10))
    assert all(r.signature_ok for r in gateway.requests)


def test_broadcast_reports_sent_gone_and_failed_and_never_stops(gateway):
    ids = [f"conn{i:03d}AAAAAAA=" for i in range(30)]
    gateway.gone(ids[3])
    gateway.gone(ids[17])
    gateway.answer(ids[5], Answer(403, "ForbiddenException"))
    result = broadcast(ids + [ids[0]], {"hello": "all"})
    assert result.gone == [ids[3], ids[17]]
    assert list(result.failed) == [ids[5]] and result.failed[ids[5]].status == 403
    assert result.sent == [i for i in ids if i not in (ids[3], ids[17], ids[5])]
    assert {r.body for r in gateway.requests} == {b'{"hello":"all"}'}
    assert sorted(r.connection_id for r in gateway.requests) == sorted(ids)  # each id once


def test_broadcast_sends_concurrently_with_a_bounded_pool(runtime):
    with FakeGateway(delay=0.05) as slow:
        ids = [f"conn{i:03d}AAAAAAA=" for i in range(100)]
        result = broadcast(ids, "x", endpoint=slow.endpoint)
    assert len(result.sent) == 100
    assert 8 < slow.max_in_flight <= management.BROADCAST_WORKERS


def test_broadcast_checks_size_once_before_sending(gateway):
    with pytest.raises(MessageTooLarge):
        broadcast(["a", "b"], "x" * 200_000)
    assert gateway.requests == []


@pytest.fixture
def moto_endpoint(runtime, monkeypatch):
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    # moto's server recognises the management API only without a stage in the path.
    yield f"http://{host}:{port}"
    server.stop()


def test_against_motos_management_api(moto_endpoint):
    from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends

    send_message(CID, {"a": 1}, endpoint=moto_endpoint)
    send_message(CID, "then text", endpoint=moto_endpoint)
    backend = apigatewaymanagementapi_backends["123456789012"]["us-east-1"]
    stored = {cid: c.data for cid, c in backend.connections.items()}
    assert stored == {"BFHPhfCWIAMCKlQ%3D": b'{"a":1}then text'}  # moto keeps the id encoded

    info = get_connection(CID, endpoint=moto_endpoint)
    assert info.source_ip and isinstance(info.connected_at, datetime.datetime)

    result = broadcast([CID, "other00000000AA="], "both", endpoint=moto_endpoint)
    assert sorted(result.sent) == sorted([CID, "other00000000AA="])

    close_connection(CID, endpoint=moto_endpoint)
    assert "BFHPhfCWIAMCKlQ%3D" not in backend.connections


def test_without_environment_credentials_the_profile_chain_signs(gateway, monkeypatch, tmp_path):
    from wsdeploy.runtime import sigv4

    credentials = tmp_path / "credentials"
    credentials.write_text(f"[work]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = {SECRET}\n")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_PROFILE", "work")
    monkeypatch.setattr(sigv4, "_botocore_credentials", None)
    send_message(CID, "hi")
    (request,) = gateway.requests
    assert "Credential=AKIDPROFILE/" in request.headers["authorization"]
    assert request.signature_ok


def test_no_credentials_anywhere_is_a_clear_error(gateway, monkeypatch, tmp_path):
    from wsdeploy.runtime import sigv4

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setattr(sigv4, "_botocore_credentials", None)
    with pytest.raises(WebSocketError, match="no AWS credentials"):
        send_message(CID, "hi")
    assert gateway.requests == []


def test_keep_alive_one_connection_for_many_sends(gateway):
    for text in ("a", "b", "c"):
        send_message(CID, text)
    assert len({r.client_port for r in gateway.requests}) == 1


def test_a_stale_keep_alive_socket_is_reopened_and_the_send_goes_through(gateway):
    gateway.answer(CID, Answer(200, drop_connection=True))
    send_message(CID, "first")
    time.sleep(0.1)  # the server has closed its end; the client still holds the socket
    send_message(CID, "second")
    assert [r.body for r in gateway.requests] == [b"first", b"second"]
    assert gateway.requests[0].client_port != gateway.requests[1].client_port


def test_a_post_that_timed_out_after_sending_is_not_sent_again(runtime, monkeypatch):
    monkeypatch.setattr(management, "_TIMEOUT_SECONDS", 0.2)
    with FakeGateway(delay=0.5) as slow:
        with pytest.raises(ManagementApiError, match="NetworkError") as error:
            send_message(CID, "once", endpoint=slow.endpoint)
        assert error.value.status == 0
        time.sleep(0.4)  # let the slow answer finish
        assert len(slow.requests) == 1


def test_an_idempotent_get_is_retried_after_a_timeout(runtime, monkeypatch):
    monkeypatch.setattr(management, "_TIMEOUT_SECONDS", 0.2)
    with FakeGateway(delay=0.5) as slow:
        with pytest.raises(ManagementApiError):
            get_connection(CID, endpoint=slow.endpoint)
        assert len(slow.requests) == management._ATTEMPTS


def test_a_refused_connection_is_a_websocket_error(runtime):
    with pytest.raises(ManagementApiError, match="ConnectionRefusedError"):
        send_message(CID, "x", endpoint="http://127.0.0.1:9/dev")


def test_server_errors_on_a_post_are_not_retried(gateway):
    gateway.answer(CID, Answer(500, "InternalServerError"))
    with pytest.raises(ManagementApiError) as error:
        send_message(CID, "hi")
    assert error.value.status == 500 and len(gateway.requests) == 1


def test_broadcast_refuses_a_single_id_string(gateway):
    with pytest.raises(TypeError, match="list of connection ids"):
        broadcast(CID, "hi")


@pytest.mark.parametrize("endpoint_region, env_region, signed_for", [
    ("eu-west-2", None, "eu-west-2"),          # the region in the execute-api host wins
    ("eu-west-2", "ap-south-1", "eu-west-2"),
    (None, "ap-south-1", "ap-south-1"),         # a custom domain: the configured region
    (None, None, "us-east-1"),
])
def test_the_signing_region(runtime, monkeypatch, endpoint_region, env_region, signed_for):
    from wsdeploy.runtime import sigv4

    if env_region:
        monkeypatch.setenv("AWS_REGION", env_region)
    endpoint = (f"https://abc123defg.execute-api.{endpoint_region}.amazonaws.com/dev"
                if endpoint_region else "https://ws.example.com/v1")
    assert sigv4.region_for(endpoint) == signed_for


def test_a_signature_for_the_wrong_region_fails_the_check(gateway):
    gateway.region = "eu-west-1"
    send_message(CID, "hi")
    assert gateway.requests[0].signature_ok is False
