"""Every HTTP reply the emulator sends, built in one place: to `@connections` requests (the
front door writes them), and to WebSocket handshakes that do not end in an upgrade (websockets
writes those, from `handshake_response`).

Errors carry `x-amzn-ErrorType`, because botocore raises its modelled exceptions
(`GoneException`, ...) only from that header. Bodies are compact JSON, `{"message":"..."}`, as
the gateway's own HTTP errors are (`{"message":"Forbidden"}`); the message texts beyond the
gateway's own words are this emulator's, worded to help debugging.
"""

from __future__ import annotations

import email.utils
import http
import json
import time
from dataclasses import dataclass
from functools import lru_cache

from websockets.datastructures import Headers
from websockets.http11 import Response

from .ids import request_uuid
from .limits import MAX_MESSAGE_BYTES

_CLASS_PHRASES = {1: "Informational", 2: "Success", 3: "Redirection", 4: "Client Error",
                  5: "Server Error"}


@dataclass(frozen=True)
class Reply:
    """An HTTP reply, before it is written out by `serialize` or `handshake_response`."""

    status: int
    body: bytes = b""
    error_type: str | None = None
    content_type: str = "application/json"   # "": none sent
    headers: tuple[tuple[str, str], ...] = ()   # an app's own (the HTTP API of http_app)


def message_body(message: str) -> bytes:
    """An HTTP error body as the gateway writes them: {"message":"Forbidden"}."""
    return json.dumps({"message": message}, separators=(",", ":")).encode()


def _error(status: int, error_type: str | None, message: str) -> Reply:
    return Reply(status, message_body(message), error_type)


def forbidden(message: str = "Forbidden") -> Reply:
    """403 ForbiddenException: a path the API does not have (the gateway's own words by default)."""
    return _error(403, "ForbiddenException", message)


def too_large(size: int) -> Reply:
    """413 PayloadTooLargeException, so boto3 raises its modelled exception."""
    return _error(413, "PayloadTooLargeException",
                  f"payload is {size} bytes; the limit is {MAX_MESSAGE_BYTES}")


def gone(connection_id: str) -> Reply:
    return _error(410, "GoneException",
                  f"connection {connection_id} is not open (closed, unknown, or its $connect "
                  "has not returned yet)")


def unavailable() -> Reply:
    """503: the gateway is stopping."""
    return _error(503, None, "Service Unavailable")


def integration_failed(status: int, message: str) -> Reply:
    """502 or 504 to a handshake whose `$connect` failed or timed out, in the gateway's words."""
    return _error(status, None, message)


def refused(status: int, body: str | None) -> Reply:
    """A handshake `$connect` refused: its status, and its body as it is."""
    return Reply(status, (body or "").encode())


def upgrade_required(url: str) -> Reply:
    """426 to a plain HTTP request for the WebSocket endpoint, saying how to connect."""
    return Reply(426, f"This is a WebSocket endpoint: connect with a WebSocket client, e.g. "
                      f"wscat -c {url}\n".encode(), content_type="text/plain; charset=utf-8")


def bad_request(message: str = "Bad Request") -> Reply:
    """400: a request the front door cannot read (or will not: see front_door)."""
    return _error(400, None, message)


def head_too_large() -> Reply:
    """431: a request head over the front door's limit."""
    return Reply(431)


def timed_out() -> Reply:
    """408: a request that did not arrive in time."""
    return _error(408, None, "Request Timeout")


def internal_error() -> Reply:
    """500: a bug of the emulator's own, answered rather than leaving the client hanging."""
    return _error(500, None, "Internal server error")


def phrase(status: int) -> str:
    """The reason phrase for a status, also for one http.HTTPStatus does not know (a `$connect`
    handler may answer 460): then the phrase of its class."""
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return _CLASS_PHRASES.get(status // 100, "Unknown")


@lru_cache(maxsize=2)
def _date_at(second: int) -> str:
    return email.utils.formatdate(second, usegmt=True)


def _http_date() -> str:
    return _date_at(int(time.time()))


def reply_headers(reply: Reply, keep_alive: bool) -> list[tuple[str, str]]:
    """The headers of an HTTP reply, the same wherever the emulator answers."""
    headers = [("Date", _http_date()), ("Content-Type", reply.content_type),
               ("x-amzn-RequestId", request_uuid()),
               ("Connection", "keep-alive" if keep_alive else "close")]
    if not reply.content_type:
        del headers[1]
    if reply.status != 204:
        headers.append(("Content-Length", str(len(reply.body))))
    if reply.error_type:
        headers.append(("x-amzn-ErrorType", reply.error_type))
    return headers + list(reply.headers)


def serialize(reply: Reply, keep_alive: bool) -> bytes:
    """The reply as bytes on the wire, for the front door."""
    lines = [f"HTTP/1.1 {reply.status} {phrase(reply.status)}"]
    lines += [f"{name}: {value}" for name, value in reply_headers(reply, keep_alive)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + reply.body


def handshake_response(reply: Reply) -> Response:
    """The reply as websockets' handshake response (websockets serves one request per socket)."""
    return Response(reply.status, phrase(reply.status),
                    Headers(reply_headers(reply, keep_alive=False)), reply.body)


AUTHORIZER_MESSAGES = {401: "Unauthorized", 403: "Forbidden", 503: "Service Unavailable"}


def authorizer_refused(status: int) -> Reply:
    """A handshake refused before `$connect`: 401 or 403 by the authorizer (or a missing
    identity source, or no SigV4 signature), 500 when the authorizer failed, in the
    gateway's words."""
    return _error(status, None, AUTHORIZER_MESSAGES.get(status, "Internal server error"))
