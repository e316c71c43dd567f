"""The first reader of every TCP connection on the emulator's port.

A connection whose first request is for `/{stage}/@connections/...` is served here, as plain
HTTP/1.1 with keep-alive (the runtime and boto3 reuse their connections, so a send costs no new
TCP connection and no handshake parsing). Any other connection is handed, bytes and all, to
websockets, which runs the handshake (and `$connect`) as usual. The hand-over uses websockets'
`create_connection` hook: the server asks us for the connection object, we give it this door.

Every door is in the gateway's set of doors from its first byte until it is handed over or
closed, so that stopping can close them all: since Python 3.12.1 `asyncio.Server.wait_closed`
waits for every connection, a silent one included. A connection that has not sent its first
request line within `first_line_timeout` seconds is closed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Coroutine

from .http_replies import (Reply, bad_request, forbidden, head_too_large, internal_error,
                           serialize, too_large)
from .management_api import is_management_request

MAX_HEAD_BYTES = 16 * 1024
MAX_BODY_BYTES = 1024 * 1024  # larger bodies are read and dropped, then answered with a 413
FIRST_LINE_TIMEOUT = 10.0  # seconds a new connection has to send its first request line

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


class FrontDoor(asyncio.Protocol):
    """Serves @connections itself; gives every other connection to websockets."""

    def __init__(self, websocket: Callable[[], asyncio.Protocol],
                 serve: Callable[[HttpRequest], Awaitable[Reply]], doors: set[FrontDoor],
                 spawn: Callable[[Coroutine[Any, Any, None]], Any],
                 first_line_timeout: float = FIRST_LINE_TIMEOUT):
        self._websocket = websocket  # makes the websockets connection, on hand-over
        self._serve = serve
        self._doors = doors  # every door not yet handed over, so that stopping can close it
        self._spawn = spawn  # runs an answer as a task the gateway keeps and awaits
        self._first_line_timeout = first_line_timeout
        self._timer: asyncio.TimerHandle | None = None
        self._buffer = bytearray()
        self._http = False  # decided: this connection is @connections traffic
        self._busy = False
        self._closing = False
        self._skip = 0  # bytes of an oversized body still to drop
        self._after_skip: tuple[Reply, bool] | None = None
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self._doors.add(self)
        self._timer = asyncio.get_running_loop().call_later(
            self._first_line_timeout, self._no_first_line)

    def _no_first_line(self) -> None:
        if not self._http and self in self._doors:
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if not self._http:  # still deciding who serves this connection
            line_end = self._buffer.find(b"\r\n")
            if line_end < 0:
                if len(self._buffer) > MAX_HEAD_BYTES:
                    self.transport.close()
                return
            self._timer.cancel()
            target = bytes(self._buffer[:line_end]).split(b" ")[1:2] or [b""]
            if not is_management_request(target[0].decode("latin-1")):
                self._hand_over()
                return
            self._http = True
        self._next()

    def _hand_over(self) -> None:
        self._doors.discard(self)
        connection = self._websocket()
        self.transport.set_protocol(connection)
        connection.connection_made(self.transport)
        connection.data_received(bytes(self._buffer))

    def _next(self) -> None:
        """Start on the next complete request in the buffer, one at a time."""
        while not self._busy and not self.transport.is_closing():
            if self._skip:
                dropped = min(self._skip, len(self._buffer))
                del self._buffer[:dropped]
                self._skip -= dropped
                if self._skip:
                    return
                reply, keep_alive = self._after_skip
                self._respond(reply, keep_alive and not self._closing)
                continue
            head_end = self._buffer.find(b"\r\n\r\n")
            if head_end < 0:
                if len(self._buffer) > MAX_HEAD_BYTES:
                    self._respond(head_too_large(), keep_alive=False)
                return
            try:
                method, target, version, headers = parse_head(bytes(self._buffer[:head_end]))
                length = int(headers.get("content-length", "0"))
            except ValueError:
                self._respond(bad_request(), keep_alive=False)
                return
            if "transfer-encoding" in headers or length < 0:
                self._respond(bad_request(), keep_alive=False)
                return
            keep_alive = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
            if length > MAX_BODY_BYTES:  # too big to hold: drop it as it comes, then say so
                del self._buffer[:head_end + 4]
                self._skip, self._after_skip = length, (too_large(length), keep_alive)
                continue
            if len(self._buffer) < head_end + 4 + length:
                return  # the body is still arriving
            body = bytes(self._buffer[head_end + 4:head_end + 4 + length])
            del self._buffer[:head_end + 4 + length]
            self._busy = True
            self._spawn(self._answer(HttpRequest(method, target, headers, body), keep_alive))

    async def _answer(self, request: HttpRequest, keep_alive: bool) -> None:
        try:
            if is_management_request(request.target):
                reply = await self._serve(request)
            else:
                reply = forbidden()
        except Exception:  # noqa: BLE001 - a bug of ours must not leave the client hanging
            reply = internal_error()
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
        """For stopping: close now if undecided or idle, else right after the request under way."""
        self._closing = True
        if self.transport is not None and not self._busy:
            self.transport.close()

    def abort(self) -> None:
        """For stopping, once the grace is over: close at once, whatever is under way."""
        if self.transport is not None:
            self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self._doors.discard(self)
        if self._timer is not None:
            self._timer.cancel()
