"""The @connections API's decisions (spec section 4), without sockets."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from wsdeploy.emulator.connections import CONNECTING, OPEN, Connection, ConnectionTable
from wsdeploy.emulator.limits import MAX_MESSAGE_BYTES
from wsdeploy.emulator.front_door import connection_cap, content_length, parse_head
from wsdeploy.emulator.http_replies import Reply, forbidden, gone, phrase, serialize
from wsdeploy.emulator.management_api import is_management_request, plan

SIGNED = {"authorization": "AWS4-HMAC-SHA256 Credential=x/20241111/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=0"}
ID = "BFHPhfCWIAMCKlQ="
PATH = "/dev/@connections/BFHPhfCWIAMCKlQ%3D"


@pytest.fixture
def table():
    table = ConnectionTable()
    table.add(Connection(ID, connected_at=1731324924123, domain_name="127.0.0.1:8765",
                         source_ip="127.0.0.1", user_agent="wscat/6.1.0",
                         last_active_at=1731324931208, state=OPEN))
    return table


def decide(table, method="POST", target=PATH, body=b"hi", headers=SIGNED):
    return plan(method, target, headers, body, "dev", table)


def test_post_to_an_open_connection_sends_the_raw_body(table):
    decided = decide(table)
    assert (decided.reply.status, decided.reply.body, decided.reply.error_type) == (200, b"", None)
    assert decided.action == "post" and decided.connection is table.get(ID)
    assert decided.payload == b"hi"


def test_the_id_arrives_percent_encoded(table):
    assert decide(table, target=f"/dev/@connections/{ID}").action == "post"
    assert decide(table, target=PATH).connection.connection_id == ID


def test_get_connection_answers_iso_times_and_identity(table):
    decided = decide(table, "GET", body=b"")
    assert decided.reply.status == 200 and decided.action is None
    info = json.loads(decided.reply.body)
    assert info["identity"] == {"sourceIp": "127.0.0.1", "userAgent": "wscat/6.1.0"}
    assert dt.datetime.fromisoformat(info["connectedAt"]) == dt.datetime(
        2024, 11, 11, 11, 35, 24, 123000, tzinfo=dt.timezone.utc)
    assert info["lastActiveAt"] == "2024-11-11T11:35:31.208Z"


def test_delete_answers_204_and_closes(table):
    decided = decide(table, "DELETE", body=b"")
    assert decided.reply.status == 204 and decided.reply.body == b""
    assert decided.action == "delete" and decided.connection.connection_id == ID


@pytest.mark.parametrize("method", ["POST", "GET", "DELETE"])
def test_unknown_or_connecting_connections_are_gone_with_the_error_type(table, method):
    for target in ("/dev/@connections/AAAAAAAAAAAAAAA%3D", PATH):
        decided = decide(table, method, target=target)
        assert decided.reply.status == 410 and decided.reply.error_type == "GoneException"
        assert decided.action is None
        table.get(ID).state = CONNECTING  # $connect not returned yet: gone as well


def test_management_routes_need_the_stage_prefix(table):
    for target in (f"/@connections/{ID}", f"/prod/@connections/{ID}", "/dev/@connections/"):
        decided = decide(table, target=target)
        assert decided.reply.status == 403 and decided.reply.error_type == "ForbiddenException"


def test_unsigned_requests_are_refused_as_the_gateway_does(table):
    decided = decide(table, headers={})
    assert decided.reply.status == 403 and decided.reply.error_type == "ForbiddenException"
    assert json.loads(decided.reply.body) == {"message": "Missing Authentication Token"}


def test_other_methods_are_forbidden(table):
    assert decide(table, "PUT").reply.status == 403


def test_payloads_over_128_kb_are_too_large(table):
    assert decide(table, body=b"x" * MAX_MESSAGE_BYTES).reply.status == 200
    decided = decide(table, body=b"x" * (MAX_MESSAGE_BYTES + 1))
    assert decided.reply.status == 413 and decided.reply.error_type == "PayloadTooLargeException"
    assert decided.action is None


def test_which_requests_are_management_requests():
    assert is_management_request("/dev/@connections/abc")
    assert is_management_request("/@connections/abc?x=1")
    assert not is_management_request("/dev")
    assert not is_management_request("/dev?next=/@connections")


def test_http_heads_are_parsed_with_lower_case_names():
    head = b"POST /dev/@connections/x%3D HTTP/1.1\r\nHost: h:1\r\nContent-Length: 5\r\nX-Amz-Date: d"
    assert parse_head(head) == ("POST", "/dev/@connections/x%3D", "HTTP/1.1",
                                {"host": "h:1", "content-length": "5", "x-amz-date": "d"})
    for bad in (b"GARBAGE", b"GET / SPDY/3\r\n", b"GET /\r\n"):
        with pytest.raises(ValueError):
            parse_head(bad)


def test_http_replies_carry_the_error_type_and_say_whether_the_connection_stays():
    head, body = serialize(gone("abc="), keep_alive=True).decode().split("\r\n\r\n")
    assert head.startswith("HTTP/1.1 410 Gone\r\n")
    assert "x-amzn-ErrorType: GoneException" in head and "Connection: keep-alive" in head
    assert f"Content-Length: {len(body)}" in head and json.loads(body)["message"]
    deleted = serialize(Reply(204), keep_alive=False)
    assert b"Content-Length" not in deleted and b"Connection: close" in deleted


def test_statuses_http_does_not_name_get_the_phrase_of_their_class():
    assert phrase(404) == "Not Found" and phrase(460) == "Client Error"
    assert phrase(599) == "Server Error" and phrase(299) == "Success"
    assert serialize(Reply(460, b"no"), keep_alive=False).startswith(b"HTTP/1.1 460 Client Error\r\n")


def test_every_error_body_is_spelled_as_the_gateway_spells_them(table):
    assert forbidden().body == b'{"message":"Forbidden"}'
    assert decide(table, headers={}).reply.body == b'{"message":"Missing Authentication Token"}'
    too_large = decide(table, body=b"x" * (MAX_MESSAGE_BYTES + 1)).reply
    assert too_large.body.startswith(b'{"message":"payload is ')


def test_handshake_refusals_are_built_as_front_door_replies_are():
    from wsdeploy.emulator.http_replies import handshake_response, upgrade_required

    response = handshake_response(gone("abc="))
    assert (response.status_code, response.reason_phrase) == (410, "Gone")
    assert response.headers["x-amzn-ErrorType"] == "GoneException"
    assert response.headers["Connection"] == "close" and response.body == gone("abc=").body
    told = handshake_response(upgrade_required("ws://127.0.0.1:1/dev"))
    assert told.status_code == 426 and b"wscat -c ws://127.0.0.1:1/dev" in told.body
    assert told.headers["Content-Type"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize("head, why", [
    (b"POST /x HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5", "more than once"),
    (b"POST /x HTTP/1.1\r\nContent-Length: 5\r\ncontent-length: 7", "more than once"),
])
def test_a_content_length_given_twice_is_refused(head, why):
    with pytest.raises(ValueError, match=why):
        parse_head(head)


@pytest.mark.parametrize("value", ["+5", "-5", "5 5", "0x10", "5.0", "", "²", "1e3"])
def test_a_content_length_must_be_plain_digits(value):
    with pytest.raises(ValueError, match="not a plain decimal number"):
        content_length({"content-length": value})


def test_an_absurd_content_length_is_refused_and_sane_ones_are_read():
    from wsdeploy.emulator.front_door import MAX_DECLARED_BYTES

    assert content_length({}) == 0 and content_length({"content-length": "0"}) == 0
    assert content_length({"content-length": "00042"}) == 42
    assert content_length({"content-length": str(MAX_DECLARED_BYTES)}) == MAX_DECLARED_BYTES
    for absurd in (str(MAX_DECLARED_BYTES + 1), "9" * 20, "1" + "0" * 4000):
        with pytest.raises(ValueError, match="larger than any request"):
            content_length({"content-length": absurd})


def test_open_http_connections_are_capped_by_the_files_the_process_may_open():
    assert connection_cap(1_048_576) == 256
    assert connection_cap(200) == 50  # `ulimit -n 200`: a quarter of it
    assert connection_cap(8) == 4 and connection_cap(100_000, cap=16) == 16


def test_a_planned_call_needs_no_http_request():
    from wsdeploy.emulator.management_api import decide

    table = ConnectionTable()
    connection = Connection(ID, 1731324924123, "h:1", "127.0.0.1", None, state=OPEN)
    table.add(connection)
    assert decide("POST", ID, b"hi", table).action == "post"
    assert decide("POST", "AAAAAAAAAAAAAAA=", b"hi", table).reply.status == 410
    assert decide("POST", ID, b"x" * (MAX_MESSAGE_BYTES + 1), table).reply.status == 413
    assert decide("PATCH", ID, b"", table).reply.status == 403
    connection.state = CONNECTING
    assert decide("GET", ID, b"", table).reply.error_type == "GoneException"
