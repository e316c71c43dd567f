"""The connection table: what the gateway knows about each client, and in which state it is.

A connection is CONNECTING while `$connect` runs (a post to it then gets 410, as on AWS), OPEN
once the handshake completes, CLOSING once a close has begun from either side, and CLOSED once
its TCP connection is over (its `$disconnect` is then raised). The state changes only through
the transitions below, each of which says whether it applied, so the network shell never
assigns a state itself.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Iterator

from .limits import EXPIRED, IDLE, CloseCause


class State(enum.Enum):
    CONNECTING = "connecting"
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"


CONNECTING, OPEN, CLOSING, CLOSED = State.CONNECTING, State.OPEN, State.CLOSING, State.CLOSED


@dataclass(eq=False)
class Connection:
    """One client. `channel` is the network shell's socket, opaque to the core."""

    connection_id: str
    connected_at: int  # epoch ms, the same on every event of the connection
    domain_name: str  # the Host the client used, port included
    source_ip: str
    user_agent: str | None
    last_active_at: int = 0  # epoch ms of the last data frame either way
    state: State = CONNECTING
    close_cause: CloseCause | None = None  # set when the gateway closes it
    channel: Any = field(default=None, repr=False)
    authorizer: dict | None = None  # requestContext.authorizer: what the authorizer allowed with

    def __post_init__(self) -> None:
        self.last_active_at = self.last_active_at or self.connected_at

    @property
    def is_open(self) -> bool:
        return self.state is OPEN

    # -- transitions -------------------------------------------------------------------
    def open(self) -> bool:
        """The handshake completed: CONNECTING -> OPEN. False if it is no longer connecting
        (its socket went away while `$connect` ran)."""
        if self.state is not CONNECTING:
            return False
        self.state = OPEN
        return True

    def close(self, cause: CloseCause) -> bool:
        """The gateway begins closing it: OPEN -> CLOSING, for `cause`, which `$disconnect`
        will report. False if it was not open (a close had already begun, from either side)."""
        if self.state is not OPEN:
            return False
        self.state = CLOSING
        self.close_cause = self.close_cause or cause
        return True

    def end(self, cause: CloseCause) -> CloseCause:
        """Its TCP connection is over: -> CLOSED. Returns what `$disconnect` reports: the
        gateway's cause if the gateway closed it, else `cause` (what the client did)."""
        self.state = CLOSED
        self.close_cause = self.close_cause or cause
        return self.close_cause

    def expired(self, now_ms: int, idle_seconds: float, max_seconds: float) -> CloseCause | None:
        """Whether the idle timeout or the maximum duration has run out, and which."""
        if now_ms - self.connected_at >= max_seconds * 1000:
            return EXPIRED
        if now_ms - self.last_active_at >= idle_seconds * 1000:
            return IDLE
        return None


class ConnectionTable:
    """Every known connection by id.

    Changed from the event loop only. So it needs no lock; iterating gives a snapshot, so a
    loop that closes connections may change the table as it goes."""

    def __init__(self) -> None:
        self._by_id: dict[str, Connection] = {}

    def add(self, connection: Connection) -> None:
        if connection.connection_id in self._by_id:
            raise ValueError(f"connection id {connection.connection_id} is already in use")
        self._by_id[connection.connection_id] = connection

    def get(self, connection_id: str) -> Connection | None:
        return self._by_id.get(connection_id)

    def open(self, connection_id: str) -> Connection | None:
        """The connection if it can take messages now (open, not connecting or closing)."""
        connection = self._by_id.get(connection_id)
        return connection if connection is not None and connection.is_open else None

    def remove(self, connection_id: str) -> Connection | None:
        return self._by_id.pop(connection_id, None)

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self) -> Iterator[Connection]:
        return iter(list(self._by_id.values()))
