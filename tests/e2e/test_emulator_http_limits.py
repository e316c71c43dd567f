"""The @connections HTTP side under slow or hostile callers, over real sockets: read timeouts,
strict Content-Length, bounded pipelining, a cap on open connections, a line per limit hit."""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest
from websockets.sync.client import connect

from tests.support.emulator import gw  # noqa: F401  (a fixture)
from tests.support.emulator import RunningGateway, events_of, read_to_end, wait_for, write_app
from tests.support.emulator_apps import PROBE
from wsdeploy.emulator.http_replies import Reply

SIGNED = "Authorization: AWS4-HMAC-SHA256 Credential=local\r\n"


def http_socket(gw: RunningGateway) -> socket.socket:
    return socket.create_connection(("127.0.0.1", gw.gateway.port), timeout=10)


def limit_lines(gw: RunningGateway) -> list[str]:
    return [text for kind, text in gw.notices if kind == "limit"]


@pytest.fixture
def quick(tmp_path):
    """The probe app, with HTTP read timeouts short enough to wait for in a test."""
    write_app(tmp_path, PROBE)
    with RunningGateway(tmp_path, http_head_timeout=0.3, http_body_timeout=0.3,
                        http_idle_timeout=0.5) as running:
        yield running


def test_a_request_head_that_does_not_finish_is_answered_408_and_closed(quick):
    with http_socket(quick) as sock:
        sock.sendall(b"POST /dev/@connections/x HTTP/1.1\r\nHost: h\r\n")  # no blank line
        reply = read_to_end(sock)
    assert reply.startswith(b"HTTP/1.1 408 Request Timeout\r\n") and b"Connection: close" in reply
    assert any("request's head" in line for line in limit_lines(quick))


def test_a_body_that_does_not_finish_is_answered_408_and_closed(quick):
    with http_socket(quick) as sock:
        sock.sendall(b"POST /dev/@connections/x HTTP/1.1\r\nContent-Length: 10\r\n"
                     + SIGNED.encode() + b"\r\nabc")
        reply = read_to_end(sock)
    assert reply.startswith(b"HTTP/1.1 408 ")
    assert any("request's body" in line for line in limit_lines(quick))


def test_a_head_sent_a_byte_at_a_time_does_not_put_its_timeout_off(quick):
    head = b"POST /dev/@connections/x HTTP/1.1\r\n" + b"X-Slow: " + b"s" * 200
    with http_socket(quick) as sock:
        sock.sendall(head[:40])  # the first line: this is @connections traffic
        stop = threading.Event()

        def drip() -> None:  # a byte every 20 ms: 4 s in all, the timeout is 0.3 s
            for byte in head[40:]:
                if stop.wait(0.02):
                    return
                try:
                    sock.sendall(bytes([byte]))
                except OSError:
                    return  # closed by the server

        dripping = threading.Thread(target=drip)
        dripping.start()
        try:
            reply = read_to_end(sock)
        finally:
            stop.set()
            dripping.join()
    assert reply.startswith(b"HTTP/1.1 408 ")


def test_an_idle_keep_alive_connection_is_closed_quietly(quick):
    with connect(quick.url):
        connection_id = events_of("CONNECT")[0]["requestContext"]["connectionId"]
        with http_socket(quick) as sock:
            sock.sendall(f"GET /dev/@connections/{connection_id} HTTP/1.1\r\n{SIGNED}\r\n".encode())
            reply = read_to_end(sock)  # answered, then closed once idle
    assert reply.startswith(b"HTTP/1.1 200 OK\r\n") and b"keep-alive" in reply
    assert reply.count(b"HTTP/1.1") == 1 and limit_lines(quick) == []


@pytest.mark.parametrize("lengths", [
    ["5", "5"],  # the same value twice: still refused
    ["5", "7"],
    ["+5"],
    ["-5"],
    ["5 5"],
    ["9" * 20],  # absurd: refused unread, not waited for
    [str(16 * 1024 * 1024 + 1)],
])
def test_a_content_length_that_is_not_one_plain_sane_number_is_400(gw, lengths):
    head = "POST /dev/@connections/x HTTP/1.1\r\n" + SIGNED
    head += "".join(f"Content-Length: {value}\r\n" for value in lengths) + "\r\n"
    with http_socket(gw) as sock:
        sock.sendall(head.encode() + b"hello")
        reply = read_to_end(sock)
    assert reply.startswith(b"HTTP/1.1 400 Bad Request\r\n") and b"Connection: close" in reply
    assert b"Content-Length" in reply.split(b"\r\n\r\n", 1)[1]  # the body says what is wrong
    assert any("400" in line for line in limit_lines(gw))


def test_requests_pipelined_behind_one_being_answered_are_held_to_a_bound(gw):
    release = asyncio.Event()
    answered: list[str] = []

    async def held_management(request):
        answered.append(request.target)
        if len(answered) == 1:
            await release.wait()
        return Reply(200)

    gw.gateway._management = held_management
    post = b"POST /dev/@connections/x HTTP/1.1\r\nContent-Length: 1048576\r\n\r\n" + b"z" * 1048576
    with http_socket(gw) as sock:
        sock.sendall(post)
        wait_for(lambda: answered)  # the first request is being answered, and held
        sock.settimeout(2)
        pipelined = 0
        with pytest.raises(TimeoutError):
            while pipelined < 40:  # 40 MB: more than any OS buffers on the way
                sock.sendall(post)
                pipelined += 1
        [door] = list(gw.gateway._doors)
        assert len(door._buffer) <= 16 * 1024 + 1048576 + 256 * 1024  # one request, one read
        assert any("pipelined" in line for line in limit_lines(gw))
        gw.call(_set(release))
        sock.settimeout(10)
        assert sock.recv(12) == b"HTTP/1.1 200"  # reading resumes once it is answered


async def _set(event: asyncio.Event) -> None:
    event.set()


def test_open_http_connections_are_capped_and_a_new_one_is_closed_at_once(tmp_path):
    write_app(tmp_path, PROBE)
    with RunningGateway(tmp_path, max_http_connections=4) as gw:
        held = [http_socket(gw) for _ in range(4)]
        for sock in held:
            sock.sendall(b"POST /dev/@connections/x HTTP/1.1\r\n")  # and then nothing
        wait_for(lambda: len(gw.gateway._doors) == 4)
        with http_socket(gw) as refused:
            assert read_to_end(refused) == b""  # closed at once
        assert any("4 HTTP connections are open" in line for line in limit_lines(gw))
        for sock in held:
            sock.close()
        wait_for(lambda: not gw.gateway._doors)
        with connect(gw.url):  # once they are gone, clients get in again
            pass
