"""A client's WebSocket connection, as the gateway needs it from websockets.

Two changes to websockets' asyncio `ServerConnection`, both for speed and for isolation:
- each message is handed to the gateway (`on_message`, on the event loop) as soon as its last
  frame arrives, rather than queued for a `recv()` coroutine; the gateway keeps its own bounded
  queue per client (`flow.Inflow`) and pauses reading the socket when it is full;
- `write_message` frames and writes a message at once and never waits for the client to read
  it: the gateway checks how much waits unsent (`unsent`) and gives up on a client that does
  not read, instead of a send that waits for it.
Everything else (the handshake, the size limits, ping, close) is websockets' own.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from websockets.asyncio.server import ServerConnection
from websockets.frames import Opcode
from websockets.protocol import State

from .flow import Inflow
from .limits import MAX_FRAME_BYTES, frames

MessageHandler = Callable[["ClientSocket", "str | bytes"], None]


class ClientSocket(ServerConnection):
    def __init__(self, *args: Any, on_message: MessageHandler, inflow: Inflow, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.on_message = on_message
        self.inflow = inflow  # this client's messages waiting for, or running on, workers
        self.gateway_connection: Any = None  # the gateway's Connection, once $connect runs
        self._fragments: list[bytes] = []
        self._binary = False
        self._held = 0  # bytes of sends handed to the loop by workers, not yet written
        self._held_lock = threading.Lock()

    def process_event(self, event: Any) -> None:
        if self.request is None:  # the handshake request: websockets' own
            super().process_event(event)
            return
        opcode = event.opcode
        if opcode is Opcode.TEXT or opcode is Opcode.BINARY:
            self._binary = opcode is Opcode.BINARY
            if event.fin:
                self._complete(bytes(event.data))
            else:
                self._fragments = [bytes(event.data)]
        elif opcode is Opcode.CONT:
            self._fragments.append(bytes(event.data))
            if event.fin:
                data, self._fragments = b"".join(self._fragments), []
                self._complete(data)
        elif opcode is Opcode.PONG:
            self.acknowledge_pings(bytes(event.data))

    def _complete(self, data: bytes) -> None:
        if self._binary:
            self.on_message(self, data)
            return
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:  # as websockets' recv() closes for it
            self.protocol.fail(1007, f"{error.reason} at position {error.start}")
            self.send_data()
            return
        self.on_message(self, text)

    def write_message(self, payload: bytes, text: bool) -> bool:
        """Frame one message (in frames of 32 KB at most) and write it now, never waiting for
        the client to read; False if the connection is not open."""
        protocol = self.protocol
        if protocol.state is not State.OPEN:
            return False
        first = protocol.send_text if text else protocol.send_binary
        if len(payload) <= MAX_FRAME_BYTES:
            first(payload)
        else:
            pieces = list(frames(payload))
            first(pieces[0], fin=False)
            for piece in pieces[1:-1]:
                protocol.send_continuation(piece, fin=False)
            protocol.send_continuation(pieces[-1], fin=True)
        self.send_data()
        return True

    def hold(self, size: int) -> None:
        """A worker hands the loop a send of `size` bytes (any thread)."""
        with self._held_lock:
            self._held += size

    def release(self, size: int) -> None:
        """The loop has taken a held send over (written it, or given up on it)."""
        with self._held_lock:
            self._held -= size

    @property
    def unsent(self) -> int:
        """Bytes meant for the client that the OS has not taken yet: written but not sent (the
        client is not reading them), and handed over by workers but not yet written."""
        return self.transport.get_write_buffer_size() + self._held
