"""The first reader of every TCP connection on the emulator's port.

A connection whose first request is for `/{stage}/@connections/...` is served here, as plain
HTTP/1.1 with keep-alive (the runtime and boto3 reuse their connections, so a send costs no new
TCP connection and no handshake parsing). Any other connection is handed, bytes and all, to
websockets, which runs the handshake (and `$connect`) as usual. The hand-over uses websockets'
`create_connection` hook: the server asks us for the connection object, we give it this door.
"""

from __future__ import annotations

import asyncio
import email.utils
import http
import time
from functools import lru_cache
from dataclasses import dataclass
from typing import Awaitable, Callable

from .ids import request_uuid
from .management_api import Reply, forbidden, is_management_request

MAX_HEAD_BYTES = 16 * 1024
MAX_BODY_BYTES = 1024 * 1024  # over the gateway's 128 KB, so that case gets its 413 reply


@dataclass(frozen=True)
class HttpRequest:
    method: str
    target: str
    headers: dict[str, str]  # names in lower case
    body: bytes


def parse_head(head: bytes) -> tuple[str, str, str, dict[str, str]]:
    """(method, target, version, headers) of a request head; ValueError when malformed."""
    lines = head.decode("latin-1").split("\r\n")
    method, target, version = lines[0].split(" ")
    if not version.startswith("HTTP/1."):
        raise ValueError(f"unsupported protocol {version!r}")
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return method, target, version, headers


@lru_cache(maxsize=2)
def _date_at(second: int) -> str:
    return email.utils.formatdate(second, usegmt=True)


def _http_date() -> str:
    return _date_at(int(time.time()))


def serialize(reply: Reply, keep_alive: bool) -> bytes:
    phrase = http.HTTPStatus(reply.status).phrase
    headers = [f"HTTP/1.1 {reply.status} {phrase}", f"Date: {_http_date()}",
               "Content-Type: application/json", f"x-amzn-RequestId: {request_uuid()}",
               f"Connection: {'keep-alive' if keep_alive else 'close'}"]
    if reply.status != 204:
        headers.append(f"Content-Length: {len(reply.body)}")
    if reply.error_type:
        headers.append(f"x-amzn-ErrorType: {reply.error_type}")
    return ("\r\n".join(headers) + "\r\n\r\n").encode("latin-1") + reply.body


class FrontDoor(asyncio.Protocol):
    """Serves @connections itself; gives every other connection to websockets."""

    def __init__(self, websocket: Callable[[], asyncio.Protocol],
                 serve: Callable[[HttpRequest], Awaitable[Reply]], doors: set[FrontDoor]):
        self._websocket = websocket  # makes the websockets connection, on hand-over
        self._serve = serve
        self._doors = doors  # the open HTTP connections, so that shutdown can close them
        self._buffer = bytearray()
        self._busy = False
        self._closing = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if self not in self._doors:  # still deciding who serves this connection
            line_end = self._buffer.find(b"\r\n")
            if line_end < 0:
                if len(self._buffer) > MAX_HEAD_BYTES:
                    self.transport.close()
                return
            target = bytes(self._buffer[:line_end]).split(b" ")[1:2] or [b""]
            if not is_management_request(target[0].decode("latin-1")):
                self._hand_over()
                return
            self._doors.add(self)
        self._next()

    def _hand_over(self) -> None:
        connection = self._websocket()
        self.transport.set_protocol(connection)
        connection.connection_made(self.transport)
        connection.data_received(bytes(self._buffer))

    def _next(self) -> None:
        """Start on the next complete request in the buffer, one at a time."""
        if self._busy or self.transport.is_closing():
            return
        head_end = self._buffer.find(b"\r\n\r\n")
        if head_end < 0:
            if len(self._buffer) > MAX_HEAD_BYTES:
                self._respond(Reply(431), keep_alive=False)
            return
        try:
            method, target, version, headers = parse_head(bytes(self._buffer[:head_end]))
            length = int(headers.get("content-length", "0"))
        except ValueError:
            self._respond(Reply(400), keep_alive=False)
            return
        if "transfer-encoding" in headers or not 0 <= length <= MAX_BODY_BYTES:
            self._respond(Reply(413 if length > MAX_BODY_BYTES else 400), keep_alive=False)
            return
        if len(self._buffer) < head_end + 4 + length:
            return  # the body is still arriving
        body = bytes(self._buffer[head_end + 4:head_end + 4 + length])
        del self._buffer[:head_end + 4 + length]
        keep_alive = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
        request = HttpRequest(method, target, headers, body)
        self._busy = True
        asyncio.ensure_future(self._answer(request, keep_alive))

    async def _answer(self, request: HttpRequest, keep_alive: bool) -> None:
        try:
            if is_management_request(request.target):
                reply = await self._serve(request)
            else:
                reply = forbidden()
        except Exception:  # noqa: BLE001 - a bug of ours must not leave the client hanging
            reply = Reply(500, b'{"message": "Internal server error"}')
        self._busy = False
        self._respond(reply, keep_alive and not self._closing)
        self._next()

    def _respond(self, reply: Reply, keep_alive: bool) -> None:
        if self.transport.is_closing():
            return
        self.transport.write(serialize(reply, keep_alive))
        if not keep_alive:
            self.transport.close()

    def shut(self) -> None:
        """Close now if idle, else right after the request under way."""
        self._closing = True
        if not self._busy and self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._doors.discard(self)
