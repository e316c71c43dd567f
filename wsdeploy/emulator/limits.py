"""The gateway's quotas, the close codes that go with them (section 5 of the spec), and the
frames the gateway itself sends to a client (section 2).

Where the spec marks a value unverified (the codes and reasons on the idle timeout and the
two-hour cap), the choice is made here, in one place, so it is easy to change.
"""

from __future__ import annotations

from typing import Iterator, NamedTuple

MAX_MESSAGE_BYTES = 128 * 1024  # a message over this closes the connection with 1009
MAX_FRAME_BYTES = 32 * 1024  # a frame over this closes it too; sends are cut into such frames
IDLE_TIMEOUT_SECONDS = 10 * 60
MAX_DURATION_SECONDS = 2 * 60 * 60


class CloseCause(NamedTuple):
    """A close code and the reason the gateway reports for it in `$disconnect`."""

    code: int
    reason: str


# Server-side closes. The frame carries the code and reason; `$disconnect` reports the same.
DELETED = CloseCause(1000, "Connection Closed Normally")  # DeleteConnection (spec section 1)
IDLE = CloseCause(1001, "Going away")  # unverified: the spec's plausible choice
EXPIRED = CloseCause(1001, "Going away")  # unverified: the two-hour cap
SHUTDOWN = CloseCause(1001, "Going away")  # `wsdeploy dev` stopping
BINARY = CloseCause(1003, "Unsupported frame type: binary")  # reason unverified
TOO_BIG = CloseCause(1009, "Message too big")  # a frame or a message over the limits; reason
# unverified. The server makes websockets close with this reason (not its own text), so the
# client's close frame and `$disconnect` say the same.

# Closes the client causes.
NO_STATUS = CloseCause(1005, "Client-side close frame status not set")
ABNORMAL = CloseCause(1006, "Connection closed abnormally")  # no close frame at all; unverified

# A client that does not read what is sent to it. Once MAX_UNSENT_BYTES wait unsent for it, a
# further send fails fast: the gateway drops the client's TCP connection (a close frame could
# not get through), `$disconnect` reports this cause, and the send, and every later one, gets
# 410 GoneException, so a broadcast counts the client as gone. Unverified: AWS does not say
# what the gateway does with a client that stops reading.
UNREAD = CloseCause(1006, "Connection closed abnormally")

# The emulator's own limits, not the gateway's: what one client may cost `wsdeploy dev`, so
# that a slow or stuck client costs only itself (DevSettings can change each one).
MAX_UNSENT_BYTES = 1024 * 1024  # waiting to be written to one client (beyond the OS's buffers)
MAX_RUNNING_PER_CONNECTION = 16  # one client's handlers on workers at once (of 128 workers)
MAX_QUEUED_BYTES = 1024 * 1024  # one client's messages waiting for a worker; then its socket
# is not read until they drain, and TCP pushes back on the client


# The gateway's own frames to a client, in place of a handler's answer (spec section 2 and 3).
FORBIDDEN = "Forbidden"  # no route took the message, and there is no $default
INTERNAL_ERROR = "Internal server error"  # the handler raised (or its result was malformed)
TIMED_OUT = "Endpoint request timed out"  # the integration timeout ran out


def gateway_frame(message: str, connection_id: str, request_id: str) -> str:
    """One of the gateway's own frames, byte for byte as frames captured from real APIs are:
    a space after `"message":` only, e.g. `{"message": "Forbidden", "connectionId":"XDmENcnwIE0CFEQ=",
    "requestId":"XDmGEE2RoE0FRdQ="}`. (The spec's example spaces every key; the captures don't.)
    The message is one of the texts above and ids are URL-safe base64, so nothing needs escaping."""
    return (f'{{"message": "{message}", "connectionId":"{connection_id}", '
            f'"requestId":"{request_id}"}}')


def client_close(code: int | None, reason: str) -> CloseCause:
    """What `$disconnect` reports when the client closed: its code and reason, or 1005."""
    if code is None or code == 1005:
        return NO_STATUS
    return CloseCause(code, reason)


def frames(payload: bytes, limit: int = MAX_FRAME_BYTES) -> Iterator[bytes]:
    """Cut a payload into frames of at most `limit` bytes, never inside a UTF-8 character."""
    start = 0
    while len(payload) - start > limit:
        end = start + limit
        while end > start and (payload[end] & 0xC0) == 0x80:  # a continuation byte
            end -= 1
        if end == start:  # not UTF-8 at all: cut anywhere
            end = start + limit
        yield payload[start:end]
        start = end
    yield payload[start:]
