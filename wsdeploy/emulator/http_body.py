"""Lets the websockets server read HTTP request bodies, so one port serves both WebSocket
clients and the @connections API (whose POST carries the message as its body).

websockets parses every request as a handshake and drops any with a body before
`process_request` sees it. `GatewayConnection` swaps in a parser that reads the body too and
leaves it on `request.body`; everything after the request line and headers is websockets' own.
"""

from __future__ import annotations

from typing import Any, Generator

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import InvalidMessage
from websockets.http11 import Request, parse_headers, parse_line
from websockets.protocol import CONNECTING, Protocol
from websockets.server import ServerProtocol

MAX_BODY_BYTES = 1024 * 1024  # over the gateway's 128 KB, so that case gets its 413 reply


def read_request(reader: Any) -> Generator[None, None, Request]:
    """Parse a request line, headers and a Content-Length body (websockets' stream reader)."""
    request_line = yield from parse_line(reader.read_line)
    method, path, protocol = bytes(request_line).split(b" ", 2)
    if protocol not in (b"HTTP/1.1", b"HTTP/1.0"):
        raise ValueError(f"unsupported protocol: {protocol!r}")
    headers = yield from parse_headers(reader.read_line)
    if "Transfer-Encoding" in headers:
        raise ValueError("chunked request bodies are not supported; send Content-Length")
    length = int(headers.get("Content-Length", "0") or "0")
    if not 0 <= length <= MAX_BODY_BYTES:
        raise ValueError(f"request body of {length} bytes refused")
    body = bytes((yield from reader.read_exact(length))) if length else b""
    request = Request(path.decode("ascii"), headers)
    request.method = method.decode("ascii")
    request.body = body  # type: ignore[attr-defined]
    return request


class _BodyReadingProtocol(ServerProtocol):
    def parse(self) -> Generator[None, None, None]:
        if self.state is CONNECTING:
            try:
                request = yield from read_request(self.reader)
            except Exception as exc:  # as websockets does for a malformed request
                self.handshake_exc = InvalidMessage("did not receive a valid HTTP request")
                self.handshake_exc.__cause__ = exc
                self.send_eof()
                self.parser = self.discard()
                next(self.parser)
                yield
            self.events.append(request)
        yield from Protocol.parse(self)


class GatewayConnection(ServerConnection):
    """A ServerConnection whose request parser also reads bodies (see the module docstring)."""

    def __init__(self, protocol: ServerProtocol, *args: Any, **kwargs: Any) -> None:
        protocol.__class__ = _BodyReadingProtocol
        protocol.parser = protocol.parse()  # nothing has been received yet: start afresh
        next(protocol.parser)
        super().__init__(protocol, *args, **kwargs)
