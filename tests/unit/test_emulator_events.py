"""The emulator's events, field by field, against events captured from real APIs (spec section 1)."""

from __future__ import annotations

import base64
import re

from tests.conftest import make_event
from wsdeploy.emulator import events, ids
from wsdeploy.emulator.connections import Connection
from wsdeploy.emulator.limits import CloseCause

API = events.Api(api_id="abc123defg", stage="dev", port=8765)
CAPTURED_MS = 1731324924125  # requestTimeEpoch of tests/fixtures/events/connect.json
CLIENT_HEADERS = [
    ("Host", "127.0.0.1:8765"), ("Connection", "Upgrade"), ("Upgrade", "websocket"),
    ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13"),
    ("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"),
    ("User-Agent", "wscat/6.1.0"),
]


def connection(**overrides) -> Connection:
    fields = dict(connection_id="BFHPhfCWIAMCKlQ=", connected_at=1731324924123,
                  domain_name="127.0.0.1:8765", source_ip="127.0.0.1", user_agent="wscat/6.1.0")
    fields.update(overrides)
    return Connection(**fields)


def connect(target: str = "/dev", headers=CLIENT_HEADERS, conn: Connection | None = None) -> dict:
    conn = conn or connection()
    with_gateway = events.connect_headers(headers, conn.source_ip, API.port, CAPTURED_MS / 1000)
    return events.connect_event(API, conn, target, with_gateway, ids.gateway_id(), CAPTURED_MS)


def message(conn: Connection | None = None, route_key: str = "$default") -> dict:
    return events.message_event(API, conn or connection(), route_key, '{"action":"echo"}',
                                ids.gateway_id(), ids.gateway_id(), CAPTURED_MS)


def disconnect(conn: Connection | None = None, cause=CloseCause(1000, "bye")) -> dict:
    return events.disconnect_event(API, conn or connection(), cause, ids.gateway_id(), CAPTURED_MS)


def test_each_event_has_exactly_the_keys_of_a_captured_one():
    for ours, captured in ((connect(), make_event("connect")), (message(), make_event("message")),
                           (disconnect(), make_event("disconnect"))):
        assert list(ours) == list(captured)
        assert list(ours["requestContext"]) == list(captured["requestContext"])


def test_request_time_is_utc_common_log_format_as_captured():
    assert events.request_time(CAPTURED_MS) == make_event("connect")["requestContext"]["requestTime"]
    assert events.request_time(0) == "01/Jan/1970:00:00:00 +0000"


def test_ids_have_the_gateways_format_and_request_id_equals_extended_request_id():
    seen = set()
    for event in (connect(), message(), disconnect()):
        context = event["requestContext"]
        assert context["requestId"] == context["extendedRequestId"]
        seen.add(context["requestId"])
        for name in ("requestId", "connectionId") + (("messageId",) if "messageId" in context else ()):
            assert ids.GATEWAY_ID.match(context[name]), (name, context[name])
    assert len(seen) == 3  # new per event


def test_gateway_ids_are_url_safe_base64_of_eleven_bytes_as_captured():
    captured = "JC1dgf9yoAMCK-g="  # a real connection id: URL-safe base64, '-' and all
    assert ids.GATEWAY_ID.match(captured) and len(base64.urlsafe_b64decode(captured)) == 11
    drawn = {ids.gateway_id() for _ in range(2000)}
    assert len(drawn) == 2000
    for value in drawn:
        assert ids.GATEWAY_ID.match(value) and "/" not in value and "+" not in value
        assert len(base64.urlsafe_b64decode(value)) == 11
    # '-' and '_' are drawn like any other character (none in 2000 ids: about 1 chance in e200)
    assert any("-" in value for value in drawn) and any("_" in value for value in drawn)


def test_message_id_only_on_message_and_close_details_only_on_disconnect():
    assert "messageId" not in connect()["requestContext"]
    assert "messageId" not in disconnect()["requestContext"]
    assert "messageId" in message()["requestContext"]
    for event in (connect(), message()):
        assert "disconnectStatusCode" not in event["requestContext"]
        assert "disconnectReason" not in event["requestContext"]
    context = disconnect(cause=CloseCause(4001, "kicked"))["requestContext"]
    assert (context["disconnectStatusCode"], context["disconnectReason"]) == (4001, "kicked")


def test_connected_at_is_the_same_on_every_event_of_a_connection():
    conn = connection()
    stamps = {e["requestContext"]["connectedAt"] for e in (connect(conn=conn), message(conn), disconnect(conn))}
    assert stamps == {conn.connected_at}
    assert message(conn)["requestContext"]["requestTimeEpoch"] == CAPTURED_MS


def test_connect_headers_keep_the_clients_drop_hop_by_hop_and_add_the_gateways():
    event = connect()
    headers = event["headers"]
    assert "Connection" not in headers and "Upgrade" not in headers
    for name, value in CLIENT_HEADERS[3:]:
        assert headers[name] == value and event["multiValueHeaders"][name] == [value]
    assert headers["Host"] == "127.0.0.1:8765"
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}", headers["X-Amzn-Trace-Id"])
    assert headers["X-Amzn-Trace-Id"].split("-")[1] == f"{CAPTURED_MS // 1000:08x}"
    assert headers["X-Forwarded-For"] == "127.0.0.1"
    assert headers["X-Forwarded-Port"] == "8765"
    assert headers["X-Forwarded-Proto"] == "http"


def test_a_clients_forwarded_for_is_extended_not_replaced():
    headers = connect(headers=CLIENT_HEADERS + [("X-Forwarded-For", "203.0.113.7")])["headers"]
    assert headers["X-Forwarded-For"] == "203.0.113.7, 127.0.0.1"


def test_query_string_parameters_only_when_the_url_had_a_query():
    assert "queryStringParameters" not in connect("/dev")
    assert "multiValueQueryStringParameters" not in connect("/dev")
    event = connect("/dev?token=abc&room=a&room=b&empty=")
    assert event["queryStringParameters"] == {"token": "abc", "room": "b", "empty": ""}
    assert event["multiValueQueryStringParameters"] == {"token": ["abc"], "room": ["a", "b"],
                                                        "empty": [""]}


def test_domain_name_and_stage_follow_the_url_the_client_used():
    context = connect(conn=connection(domain_name="localhost:9001"))["requestContext"]
    assert context["domainName"] == "localhost:9001"
    assert context["stage"] == "dev" and context["apiId"] == "abc123defg"


def test_disconnect_headers_are_the_gateways_fixed_set():
    event = disconnect()
    assert list(event["headers"]) == list(make_event("disconnect")["headers"])
    assert event["headers"]["Host"] == "127.0.0.1:8765"
    assert event["headers"]["X-Forwarded-For"] == ""


def test_identity_without_user_agent_when_the_client_sent_none():
    identity = message(connection(user_agent=None))["requestContext"]["identity"]
    assert identity == {"sourceIp": "127.0.0.1"}


def test_every_event_is_not_base64_and_direction_in():
    for event in (connect(), message(), disconnect()):
        assert event["isBase64Encoded"] is False
        assert event["requestContext"]["messageDirection"] == "IN"


def test_api_ids_are_stable_and_shaped_like_the_gateways():
    assert ids.api_id_for("echo-dev-ws") == ids.api_id_for("echo-dev-ws")
    assert ids.api_id_for("echo-dev-ws") != ids.api_id_for("echo-prod-ws")
    assert ids.API_ID.match(ids.api_id_for("echo-dev-ws"))
