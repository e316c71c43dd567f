"""The first reader of every TCP connection on the emulator's port.

A connection whose first request is for `/{stage}/@connections/...` is served here, as plain
HTTP/1.1 with keep-alive (boto3 and outside callers reuse their connections, so a post costs no
new TCP connection and no handshake parsing). Any other connection is handed, bytes and all, to
websockets, which runs the handshake (and `$connect`) as usual. The hand-over uses websockets'
`create_connection` hook: the server asks us for the connection object, we give it this door.

Every door is in the gateway's set of doors from its first byte until it is handed over or
closed, so that stopping can close them all: since Python 3.12.1 `asyncio.Server.wait_closed`
waits for every connection, a silent one included.

A slow or hostile caller costs only itself (HttpLimits): a connection must send its first
request line, then each request's head, then its body, each within its timeout (408 and close
otherwise), and may stay idle between requests only so long; requests pipelined behind one
being answered are held to one request's worth of bytes (the socket is not read meanwhile);
`Content-Length` must be one plain decimal number of sane size (duplicates, signs and absurd
lengths get 400); and past `max_connections` open doors a new connection is closed at once.
Each limit hit is said (`limit`), at most once a second per limit.
"""

from __future__ import annotations

import asyncio
import re
import resource
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Coroutine

from .http_replies import (Reply, bad_request, forbidden, head_too_large, internal_error,
                           serialize, timed_out, too_large)
from .management_api import is_management_request

MAX_HEAD_BYTES = 16 * 1024
MAX_BODY_BYTES = 1024 * 1024  # larger bodies are read and dropped, then answered with a 413
MAX_DECLARED_BYTES = 16 * 1024 * 1024  # a Content-Length above this is refused (400) unread
MAX_CONNECTIONS = 256  # open doors at most (fewer when the process may open few files)
_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class HttpLimits:
    """What one HTTP connection may cost (seconds, counts)."""

    first_line_timeout: float = 10.0  # a new connection has this long to send a request line
    head_timeout: float = 10.0  # a request's head, from its first byte
    body_timeout: float = 10.0  # its body, from the end of its head
    idle_timeout: float = 60.0  # a keep-alive connection between requests
    max_connections: int = MAX_CONNECTIONS


def open_file_limit() -> int:
    """How many files (sockets) this process may have open (its soft limit)."""
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def connection_cap(files: int, cap: int = MAX_CONNECTIONS) -> int:
    """Open HTTP connections allowed: `cap`, but never more than a quarter of the files the
    process may open, so held HTTP connections can not starve WebSocket clients of sockets."""
    return max(4, min(cap, files // 4))


@dataclass(frozen=True)
class HttpRequest:
    method: str
    target: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    source_ip: str = ""  # the caller's address


def parse_head(head: bytes) -> tuple[str, str, str, dict[str, str]]:
    """(method, target, version, headers) of a request head; ValueError when malformed,
    including a Content-Length given twice (even with one value: that is how request
    smuggling starts)."""
    lines = head.decode("latin-1").split("\r\n")
    method, target, version = lines[0].split(" ")
    if not version.startswith("HTTP/1."):
        raise ValueError(f"unsupported protocol {version!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length" and name in headers:
                raise ValueError("Content-Length is given more than once")
            # a repeated header is one, its values comma-joined (RFC 9110, 5.3)
            headers[name] = f"{headers[name]},{value.strip()}" if name in headers else value.strip()
    return method, target, version, headers


def content_length(headers: dict[str, str]) -> int:
    """The body's declared length: absent is 0; anything but plain decimal digits (a sign, a
    space, a second value) or a length above MAX_DECLARED_BYTES is a ValueError."""
    value = headers.get("content-length")
    if value is None:
        return 0
    if not _DIGITS.fullmatch(value):
        raise ValueError(f"Content-Length {value[:40]!r} is not a plain decimal number")
    if len(value) > len(str(MAX_DECLARED_BYTES)) or int(value) > MAX_DECLARED_BYTES:
        raise ValueError(f"Content-Length {value[:40]} is larger than any request this API "
                         f"takes ({MAX_DECLARED_BYTES:,} bytes)")
    return int(value)


class FrontDoor(asyncio.Protocol):
    """Serves @connections itself; gives every other connection to websockets."""

    def __init__(self, websocket: Callable[[], asyncio.Protocol],
                 serve: Callable[[HttpRequest], Awaitable[Reply]], doors: set[FrontDoor],
                 spawn: Callable[[Coroutine[Any, Any, None]], Any],
                 limits: HttpLimits = HttpLimits(),
                 limit: Callable[[str, str], None] = lambda name, text: None,
                 app: Callable[[HttpRequest], Awaitable[Reply]] | None = None,
                 is_websocket: Callable[[str, dict[str, str]], bool] = lambda target, headers: True):
        self._websocket = websocket  # makes the websockets connection, on hand-over
        self._serve = serve
        self._doors = doors  # every door not yet handed over, so that stopping can close it
        self._spawn = spawn  # runs an answer as a task the gateway keeps and awaits
        self._limits = limits
        self._limit = limit  # (which limit, what happened): said to the user
        self._timer: asyncio.TimerHandle | None = None
        self._phase = ""  # what the timer waits for: first_line, head, body or idle
        self._buffer = bytearray()
        self._http = False  # decided: this connection is @connections traffic
        self._busy = False
        self._closing = False
        self._paused = False
        self._skip = 0  # bytes of an oversized body still to drop
        self._after_skip: tuple[Reply, bool] | None = None
        self._peer = "?"
        self._peer_ip = ""
        # With http_app (issue 17), every request but the WebSocket upgrade and @connections
        # goes to `app`: the door reads each request's head before deciding.
        self._app = app
        self._is_websocket = is_websocket
        self.transport: asyncio.Transport | None = None

    # -- timers ------------------------------------------------------------------------
    def _arm(self, seconds: float, phase: str) -> None:
        """Start the clock for a phase; more bytes of the same phase do not restart it."""
        if self._timer is not None:
            if self._phase == phase:
                return
            self._timer.cancel()
        self._phase = phase
        self._timer = asyncio.get_running_loop().call_later(seconds, self._expired, phase)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expired(self, phase: str) -> None:
        self._timer = None
        if self.transport is None or self.transport.is_closing() or self not in self._doors:
            return
        if phase == "idle" or not self._http:  # quietly, as keep-alive servers do
            self.transport.close()
            return
        self._limit("timeout", f"@connections: {self._peer} took over "
                               f"{getattr(self._limits, phase + '_timeout'):g} s to send a "
                               f"request's {phase}: answered 408 and closed")
        self._respond(timed_out(), keep_alive=False)

    def _arm_for_next(self) -> None:
        """Between requests: idle, or part of the next one is here already."""
        if self._busy:
            self._disarm()
        elif self._buffer or self._skip:
            self._arm(self._limits.body_timeout if self._skip else self._limits.head_timeout,
                      "body" if self._skip else "head")
        else:
            self._arm(self._limits.idle_timeout, "idle")

    # -- asyncio.Protocol --------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        self._peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else "a client"
        self._peer_ip = str(peer[0]) if isinstance(peer, tuple) else ""
        if len(self._doors) >= self._limits.max_connections:
            self._limit("connections", f"{len(self._doors)} HTTP connections are open, the "
                        f"most allowed: closed a new one from {self._peer} at once")
            self.transport.abort()
            return
        self._doors.add(self)
        self._arm(self._limits.first_line_timeout, "first_line")

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if not self._http:  # still deciding who serves this connection
            line_end = self._buffer.find(b"\r\n")
            if line_end < 0:
                if len(self._buffer) > MAX_HEAD_BYTES:
                    self.transport.close()
                return
            self._disarm()
            target = bytes(self._buffer[:line_end]).split(b" ")[1:2] or [b""]
            if self._app is None and not is_management_request(target[0].decode("latin-1")):
                self._hand_over()
                return
            self._http = True
            self._arm(self._limits.head_timeout, "head")
        if self._busy:
            if len(self._buffer) > MAX_HEAD_BYTES + MAX_BODY_BYTES and not self._paused:
                self._limit("pipelining", f"@connections: {self._peer} pipelined over "
                            f"{MAX_HEAD_BYTES + MAX_BODY_BYTES:,} bytes behind a request "
                            "being answered: not reading from it until that is answered")
                self._paused = True
                self.transport.pause_reading()
            return
        self._next()

    def _hand_over(self) -> None:
        self._doors.discard(self)
        connection = self._websocket()
        self.transport.set_protocol(connection)
        connection.connection_made(self.transport)
        connection.data_received(bytes(self._buffer))

    def _refuse(self, reply: Reply, why: str) -> None:
        self._limit("refused", f"@connections: {self._peer} sent {why}: answered "
                               f"{reply.status} and closed")
        self._respond(reply, keep_alive=False)

    def _next(self) -> None:
        """Start on the next complete request in the buffer, one at a time."""
        while not self._busy and not self.transport.is_closing():
            if self._skip:
                dropped = min(self._skip, len(self._buffer))
                del self._buffer[:dropped]
                self._skip -= dropped
                if self._skip:
                    break
                reply, keep_alive = self._after_skip
                self._disarm()  # that request is over; the next one has its own clock
                self._respond(reply, keep_alive and not self._closing)
                continue
            head_end = self._buffer.find(b"\r\n\r\n")
            if head_end < 0:
                if len(self._buffer) > MAX_HEAD_BYTES:
                    self._refuse(head_too_large(), f"a request head over {MAX_HEAD_BYTES:,} bytes")
                    return
                break
            try:
                method, target, version, headers = parse_head(bytes(self._buffer[:head_end]))
                length = content_length(headers)
            except ValueError as error:
                self._refuse(bad_request(str(error)), f"a request it cannot read ({error})")
                return
            if (self._app is not None and not is_management_request(target)
                    and self._is_websocket(target, headers)):
                self._disarm()
                self._hand_over()  # this request, and what follows it, are websockets'
                return
            if "transfer-encoding" in headers:
                self._refuse(bad_request("Transfer-Encoding is not supported: send a "
                                         "Content-Length"), "a request with Transfer-Encoding")
                return
            keep_alive = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
            if length > MAX_BODY_BYTES:  # too big to hold: drop it as it comes, then say so
                del self._buffer[:head_end + 4]
                self._skip, self._after_skip = length, (too_large(length), keep_alive)
                continue
            if len(self._buffer) < head_end + 4 + length:
                self._arm(self._limits.body_timeout, "body")
                return  # the body is still arriving
            body = bytes(self._buffer[:head_end + 4 + length][head_end + 4:])
            del self._buffer[:head_end + 4 + length]
            self._busy = True
            self._spawn(self._answer(HttpRequest(method, target, headers, body, self._peer_ip),
                                     keep_alive))
        if not self.transport.is_closing():
            self._arm_for_next()

    async def _answer(self, request: HttpRequest, keep_alive: bool) -> None:
        try:
            if is_management_request(request.target):
                reply = await self._serve(request)
            elif self._app is not None:
                reply = await self._app(request)
            else:
                reply = forbidden()
        except Exception:  # noqa: BLE001 - a bug of ours must not leave the client hanging
            reply = internal_error()
        self._busy = False
        self._respond(reply, keep_alive and not self._closing)
        if self._paused and not self.transport.is_closing():
            self._paused = False
            self.transport.resume_reading()
        self._next()

    def _respond(self, reply: Reply, keep_alive: bool) -> None:
        if self.transport.is_closing():
            return
        self.transport.write(serialize(reply, keep_alive))
        if not keep_alive:
            self._disarm()
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
        self._disarm()
