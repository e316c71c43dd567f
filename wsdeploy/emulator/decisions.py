"""What the gateway does with each outcome, as pure functions of data (spec sections 2 and 5).

The network shell (`server`) runs handlers and moves bytes; every choice in between is made
here: the handshake's reply from `$connect`'s outcome, what a message's outcome sends back, the
status a `$disconnect` line shows, and the close cause `$disconnect` reports. As websockets
keeps its protocol apart from its I/O, these are tested without sockets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from . import limits
from .http_replies import Reply, integration_failed, refused, unavailable
from .limits import CloseCause

# Result headers that never reach the handshake response: websockets writes its own.
_NOT_FORWARDED = frozenset({"connection", "upgrade", "sec-websocket-accept", "content-length",
                            "transfer-encoding"})
NO_ROUTE = "(no route)"  # the route an event line shows for a message no route took


@dataclass
class Outcome:
    """What one invocation came to. `route_key` is None when no route matched (Forbidden)."""

    route_key: str | None
    status: int | None = None
    result: dict = field(default_factory=dict)
    error: str | None = None  # a one-line summary when the handler (or the import) failed
    duration_ms: float = 0.0
    reply: bool = False  # the route sends its result's body back
    timed_out: bool = False  # the gateway gave up waiting (the handler may still run)
    abandoned: bool = False  # the gateway stopped before the handler returned

    @property
    def body(self) -> str | None:
        """The result's body: the runtime's normalized result holds it as text, if at all."""
        body = self.result.get("body")
        return body if isinstance(body, str) else None

    @property
    def headers(self) -> dict[str, str]:
        headers = self.result.get("headers") or {}
        return {str(k): str(v) for k, v in headers.items()} if isinstance(headers, dict) else {}


@dataclass(frozen=True)
class ConnectVerdict:
    """How a handshake ends. `reply` None: it completes (101) with `headers` added."""

    status: int | str  # for the event line
    detail: str  # for the event line: why it failed, if it did
    reply: Reply | None
    forget: bool  # the connection never existed for the API: drop it from the table now
    headers: tuple[tuple[str, str], ...] = ()


def connect_verdict(outcome: Outcome, stopping: bool) -> ConnectVerdict:
    """A 2xx accepts; any other final status refuses with it; a failure is 502 (a timeout 504);
    a 1xx is a malformed result (502). Accepted as the gateway stops: 503, and the connection
    stays known so that its `$disconnect` follows."""
    if outcome.abandoned:
        return ConnectVerdict("stopped", outcome.error or "", unavailable(), forget=True)
    status = outcome.status or 200
    error = outcome.error
    if error is None and not 200 <= status < 600:
        error = (f"malformed result: statusCode {status} is not a final HTTP status; "
                 "return 2xx to accept or 4xx/5xx to refuse")
    if error:
        status, message = ((504, limits.TIMED_OUT) if outcome.timed_out
                           else (502, limits.INTERNAL_ERROR))
        return ConnectVerdict(status, error, integration_failed(status, message), forget=True)
    if not 200 <= status < 300:
        return ConnectVerdict(status, "", refused(status, outcome.body), forget=True)
    if stopping:
        return ConnectVerdict(status, "", unavailable(), forget=False)
    headers = tuple((name, value) for name, value in outcome.headers.items()
                    if name.lower() not in _NOT_FORWARDED)  # e.g. Sec-WebSocket-Protocol
    return ConnectVerdict(status, "", None, forget=False, headers=headers)


@dataclass(frozen=True)
class MessageVerdict:
    """What a message's outcome comes to: its event line, and what the client gets, if anything:
    one of the gateway's own frames (`gateway_frame`, a limits text) or the route's reply."""

    route_key: str
    status: int | str
    detail: str = ""
    gateway_frame: str | None = None
    reply: str | None = None


def no_route() -> MessageVerdict:
    """No route takes the message and there is no `$default`: the "Forbidden" frame."""
    return MessageVerdict(NO_ROUTE, "Forbidden", gateway_frame=limits.FORBIDDEN)


def message_verdict(outcome: Outcome, selected: str) -> MessageVerdict:
    """`selected` is the route chosen before the handler ran; the outcome may name another (the
    app reloaded in between), or none (no route in the reloaded app)."""
    route_key = outcome.route_key or selected
    detail = outcome.error or ""
    if outcome.abandoned:
        return MessageVerdict(route_key, "stopped", detail)
    if outcome.route_key is None:
        return MessageVerdict(NO_ROUTE, "Forbidden", detail, gateway_frame=limits.FORBIDDEN)
    if outcome.timed_out:
        return MessageVerdict(route_key, 504, detail, gateway_frame=limits.TIMED_OUT)
    if outcome.error:
        return MessageVerdict(route_key, "error", detail, gateway_frame=limits.INTERNAL_ERROR)
    reply = outcome.body if outcome.reply else None
    return MessageVerdict(route_key, outcome.status or 200, detail, reply=reply)


def disconnect_status(outcome: Outcome) -> int | str:
    """The status a `$disconnect` line shows (the gateway ignores the result itself)."""
    if outcome.abandoned:
        return "stopped"
    if outcome.timed_out:
        return 504
    if outcome.error:
        return "error"
    return outcome.status or 200


class Close(NamedTuple):
    """A close frame as websockets saw it."""

    code: int | None
    reason: str


def client_cause(received: Close | None, sent: Close | None,
                 received_then_sent: bool | None) -> CloseCause:
    """What `$disconnect` reports for a connection the gateway did not close itself: the
    client's code and reason if the client began the close (1005 without one); the code and
    reason websockets closed with (1009 over a size limit, 1002, ...); else 1006."""
    if received is not None and (sent is None or received_then_sent):
        return limits.client_close(received.code, received.reason)
    if sent is not None:
        return CloseCause(sent.code, sent.reason)  # type: ignore[arg-type]
    return limits.ABNORMAL
