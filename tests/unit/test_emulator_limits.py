"""Quotas, close causes and the connection table (spec section 5), without sockets."""

from __future__ import annotations

import pytest

from wsdeploy.emulator import limits
from wsdeploy.emulator.connections import CLOSING, OPEN, Connection, ConnectionTable


def test_frames_are_at_most_32_kb_and_rejoin_to_the_payload():
    payload = ("é" * 50_000 + "x").encode("utf-8")  # two-byte characters, odd total
    pieces = list(limits.frames(payload))
    assert len(pieces) == 4
    assert all(len(piece) <= limits.MAX_FRAME_BYTES for piece in pieces)
    assert b"".join(pieces) == payload
    for piece in pieces:
        piece.decode("utf-8")  # never cut inside a character


def test_a_payload_within_one_frame_is_one_frame():
    assert list(limits.frames(b"x" * limits.MAX_FRAME_BYTES)) == [b"x" * limits.MAX_FRAME_BYTES]


def test_binary_payloads_are_cut_anywhere():
    payload = b"\x80" * (limits.MAX_FRAME_BYTES + 5)
    assert [len(p) for p in limits.frames(payload)] == [limits.MAX_FRAME_BYTES, 5]


def test_the_gateways_sizes_and_times():
    assert (limits.MAX_MESSAGE_BYTES, limits.MAX_FRAME_BYTES) == (131072, 32768)
    assert (limits.IDLE_TIMEOUT_SECONDS, limits.MAX_DURATION_SECONDS) == (600, 7200)
    assert limits.DELETED == (1000, "Connection Closed Normally")
    assert limits.IDLE.code == limits.EXPIRED.code == 1001
    assert limits.BINARY.code == 1003


def test_a_client_close_without_status_is_reported_as_1005():
    assert limits.client_close(None, "") == (1005, "Client-side close frame status not set")
    assert limits.client_close(1005, "") == limits.NO_STATUS
    assert limits.client_close(4000, "done") == (4000, "done")


def make(connection_id="A" * 15 + "=", connected_at=1_000_000, **fields):
    return Connection(connection_id, connected_at, "127.0.0.1:1", "127.0.0.1", None, **fields)


def test_expiry_by_idle_time_and_by_age():
    conn = make(state=OPEN)
    assert conn.last_active_at == conn.connected_at
    assert conn.expired(1_000_000 + 999, idle_seconds=1, max_seconds=10) is None
    assert conn.expired(1_000_000 + 1000, idle_seconds=1, max_seconds=10) == limits.IDLE
    conn.last_active_at = 1_000_000 + 9_500
    assert conn.expired(1_000_000 + 10_000, idle_seconds=1, max_seconds=10) == limits.EXPIRED


def test_the_table_knows_which_connections_can_take_messages():
    table = ConnectionTable()
    connecting, opened = make("A" * 15 + "="), make("B" * 15 + "=", state=OPEN)
    table.add(connecting)
    table.add(opened)
    assert table.get(connecting.connection_id) is connecting
    assert table.open(connecting.connection_id) is None
    assert table.open(opened.connection_id) is opened
    opened.state = CLOSING
    assert table.open(opened.connection_id) is None
    assert len(table) == 2 and set(table) == {connecting, opened}
    assert table.remove(connecting.connection_id) is connecting
    assert table.get(connecting.connection_id) is None and len(table) == 1


def test_an_id_cannot_be_taken_twice():
    table = ConnectionTable()
    table.add(make())
    with pytest.raises(ValueError, match="already in use"):
        table.add(make())
