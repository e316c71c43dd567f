"""How much of one client's input the gateway takes on at once: pure bookkeeping, no sockets.

Each connection may have `max_running` invocations on workers at a time (so one connection
never takes every worker); messages beyond that wait in its queue, in order. Once the queue
holds `max_queued_bytes`, the network shell stops reading that client's socket, so TCP pushes
back on the client instead of the server's memory growing; it reads again once the queue has
drained to half. A slot is freed when the handler returns, not when the gateway stops waiting
for it (after the integration timeout the handler still holds its worker).
"""

from __future__ import annotations

from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")
ITEM_OVERHEAD = 256  # what a queued message costs beyond its text, so tiny ones count too


class Inflow(Generic[T]):
    """One connection's messages: those running, and those waiting for a slot."""

    __slots__ = ("max_running", "max_queued_bytes", "running", "queued_bytes", "paused",
                 "_queue")

    def __init__(self, max_running: int, max_queued_bytes: int):
        self.max_running = max_running
        self.max_queued_bytes = max_queued_bytes
        self.running = 0
        self.queued_bytes = 0
        self.paused = False  # the shell has stopped reading the socket
        self._queue: deque[tuple[T, int]] = deque()

    def add(self, item: T, size: int) -> None:
        """A message of `size` bytes arrived; it waits until `take()` hands it out."""
        size += ITEM_OVERHEAD
        self._queue.append((item, size))
        self.queued_bytes += size

    def take(self) -> T | None:
        """The next message to start, taking a slot; None when none waits or no slot is free."""
        if not self._queue or self.running >= self.max_running:
            return None
        item, size = self._queue.popleft()
        self.queued_bytes -= size
        self.running += 1
        return item

    def finished(self) -> None:
        """A handler of this connection returned: its slot is free."""
        self.running -= 1

    def drop(self) -> None:
        """The connection is closing: what still waits will never run."""
        self._queue.clear()
        self.queued_bytes = 0

    @property
    def waiting(self) -> int:
        return len(self._queue)

    def should_pause(self) -> bool:
        """Stop reading the socket now (and remember that it is paused)?"""
        if not self.paused and self.queued_bytes >= self.max_queued_bytes:
            self.paused = True
            return True
        return False

    def should_resume(self) -> bool:
        """Read the socket again now (and remember that it is not paused)?"""
        if self.paused and self.queued_bytes <= self.max_queued_bytes // 2:
            self.paused = False
            return True
        return False
