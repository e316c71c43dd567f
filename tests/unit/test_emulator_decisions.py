"""The gateway's decisions (spec sections 2 and 5) and the connection's states, without sockets."""

from __future__ import annotations

import json

import pytest

from wsdeploy.emulator import limits
from wsdeploy.emulator.connections import CLOSED, CLOSING, CONNECTING, OPEN, Connection, State
from wsdeploy.emulator.decisions import (NO_ROUTE, Close, Outcome, client_cause, connect_verdict,
                                         disconnect_status, message_verdict, no_route)


def accepted(**result) -> Outcome:
    return Outcome("$connect", status=result.get("statusCode", 200), result=result)


# -- $connect --------------------------------------------------------------------------------
def test_a_2xx_accepts_and_its_headers_reach_the_handshake_but_not_the_hop_by_hop_ones():
    verdict = connect_verdict(accepted(statusCode=200, headers={
        "Sec-WebSocket-Protocol": "chat.v2", "Connection": "close", "upgrade": "no",
        "Sec-WebSocket-Accept": "forged", "Content-Length": "9", "Transfer-Encoding": "x",
        "X-Extra": 7}), stopping=False)
    assert verdict.reply is None and not verdict.forget and verdict.status == 200
    assert verdict.headers == (("Sec-WebSocket-Protocol", "chat.v2"), ("X-Extra", "7"))


def test_no_status_is_200():
    verdict = connect_verdict(Outcome("$connect", status=None), stopping=False)
    assert verdict.reply is None and verdict.status == 200


@pytest.mark.parametrize("status", [301, 401, 403, 429, 460, 500])
def test_any_other_final_status_refuses_with_it_and_the_result_body(status):
    verdict = connect_verdict(accepted(statusCode=status, body="go away"), stopping=False)
    assert verdict.forget and verdict.status == status
    assert (verdict.reply.status, verdict.reply.body) == (status, b"go away")


def test_a_1xx_is_a_malformed_result_refused_with_502():
    verdict = connect_verdict(accepted(statusCode=101), stopping=False)
    assert verdict.forget and verdict.status == 502 and verdict.reply.status == 502
    assert json.loads(verdict.reply.body) == {"message": "Internal server error"}
    assert "statusCode 101" in verdict.detail


def test_a_raising_connect_is_502_and_a_timed_out_one_504():
    raised = connect_verdict(Outcome("$connect", error="ValueError: no"), stopping=False)
    assert (raised.status, raised.reply.status, raised.detail) == (502, 502, "ValueError: no")
    timed_out = connect_verdict(Outcome("$connect", status=504, error=limits.TIMED_OUT,
                                        timed_out=True), stopping=False)
    assert timed_out.status == 504 and timed_out.forget
    assert json.loads(timed_out.reply.body) == {"message": limits.TIMED_OUT}


def test_a_connect_abandoned_as_the_gateway_stops_is_503_and_forgotten():
    verdict = connect_verdict(Outcome("$connect", abandoned=True, error="stopped"), stopping=True)
    assert verdict.status == "stopped" and verdict.forget and verdict.reply.status == 503


def test_a_connect_accepted_as_the_gateway_stops_is_503_and_kept_for_its_disconnect():
    verdict = connect_verdict(accepted(statusCode=200), stopping=True)
    assert verdict.status == 200 and not verdict.forget and verdict.reply.status == 503


# -- messages --------------------------------------------------------------------------------
def test_a_reply_route_sends_its_body_back_and_a_one_way_route_nothing():
    replied = message_verdict(Outcome("echo", status=200, result={"body": "hi"}, reply=True), "echo")
    assert (replied.route_key, replied.status, replied.reply, replied.gateway_frame) == (
        "echo", 200, "hi", None)
    one_way = message_verdict(Outcome("echo", status=200, result={"body": "hi"}), "echo")
    assert one_way.reply is None and one_way.gateway_frame is None
    no_body = message_verdict(Outcome("echo", status=404, result={}, reply=True), "echo")
    assert no_body.reply is None and no_body.status == 404


def test_failures_send_the_gateways_own_frames():
    raised = message_verdict(Outcome("boom", error="ValueError: boom"), "boom")
    assert (raised.status, raised.gateway_frame, raised.detail) == (
        "error", limits.INTERNAL_ERROR, "ValueError: boom")
    timed_out = message_verdict(Outcome("sleep", status=504, error=limits.TIMED_OUT,
                                        timed_out=True), "sleep")
    assert (timed_out.status, timed_out.gateway_frame) == (504, limits.TIMED_OUT)
    assert timed_out.detail == limits.TIMED_OUT


def test_no_route_is_forbidden_whether_decided_before_or_after_a_reload():
    assert (no_route().route_key, no_route().status, no_route().gateway_frame) == (
        NO_ROUTE, "Forbidden", limits.FORBIDDEN)
    after_reload = message_verdict(Outcome(None), "custom")
    assert (after_reload.route_key, after_reload.gateway_frame) == (NO_ROUTE, limits.FORBIDDEN)


def test_the_route_the_handler_ran_is_the_one_said_and_an_abandoned_one_sends_nothing():
    assert message_verdict(Outcome("renamed", status=200), "custom").route_key == "renamed"
    stopped = message_verdict(Outcome("custom", abandoned=True, error="stopped"), "custom")
    assert stopped.status == "stopped" and stopped.gateway_frame is None and stopped.reply is None


def test_the_status_a_disconnect_line_shows():
    assert disconnect_status(Outcome("$disconnect", status=None)) == 200
    assert disconnect_status(Outcome("$disconnect", status=500)) == 500
    assert disconnect_status(Outcome("$disconnect", error="x")) == "error"
    assert disconnect_status(Outcome("$disconnect", error="t", timed_out=True)) == 504
    assert disconnect_status(Outcome("$disconnect", abandoned=True)) == "stopped"


# -- close causes ----------------------------------------------------------------------------
def test_the_client_began_the_close_its_code_and_reason():
    bye = Close(4001, "done here")
    assert client_cause(bye, None, None) == (4001, "done here")
    assert client_cause(bye, Close(4001, "done here"), True) == (4001, "done here")
    assert client_cause(Close(1005, ""), Close(1000, ""), True) == limits.NO_STATUS


def test_websockets_closed_it_its_code_and_reason():
    assert client_cause(None, Close(1009, "Message too big"), None) == limits.TOO_BIG
    assert client_cause(Close(1009, "x"), Close(1002, "bad frame"), False) == (1002, "bad frame")


def test_no_close_frame_either_way_is_1006():
    assert client_cause(None, None, None) == limits.ABNORMAL


# -- states ----------------------------------------------------------------------------------
def make() -> Connection:
    return Connection("A" * 15 + "=", 1_000_000, "127.0.0.1:1", "127.0.0.1", None)


def test_a_connection_opens_once_and_only_from_connecting():
    connection = make()
    assert connection.state is CONNECTING and not connection.is_open
    assert connection.open() and connection.state is OPEN and connection.is_open
    assert not connection.open()
    gone = make()
    gone.end(limits.ABNORMAL)
    assert not gone.open() and gone.state is CLOSED


def test_the_gateway_closes_an_open_connection_once_and_its_cause_is_reported():
    connection = make()
    assert not connection.close(limits.DELETED)  # not open yet
    connection.open()
    assert connection.close(limits.DELETED) and connection.state is CLOSING
    assert not connection.close(limits.IDLE)  # a close has begun: the first cause stands
    assert connection.end(limits.NO_STATUS) == limits.DELETED  # not what the client sent back
    assert connection.state is CLOSED


def test_a_connection_the_client_closed_reports_the_clients_cause():
    connection = make()
    connection.open()
    assert connection.end(limits.CloseCause(4001, "bye")) == (4001, "bye")
    assert not connection.close(limits.IDLE)


def test_the_states_are_an_enum():
    assert {state.value for state in State} == {"connecting", "open", "closing", "closed"}
