"""Calls from worker threads to the event loop, many per wake-up.

Each `loop.call_soon_threadsafe` wakes the loop (a byte through its self-pipe, then a thread
switch under the GIL), and those switches are most of what a message costs. A handler's
`send_message` and its return, or several workers finishing together, are handed over as one
batch instead: the first call of a batch schedules a run, later ones only queue. Order is kept.

Why no wake-up is lost: a caller queues before it looks at the flag, and the loop clears the
flag before it takes the queue, so a call queued after the loop has emptied the queue sees the
flag clear and schedules a run of its own (at worst one run too many, which finds nothing).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any, Callable


class Handoff:
    def __init__(self, loop: asyncio.AbstractEventLoop):
        self._loop = loop
        self._calls: deque[tuple[Callable[..., Any], tuple[Any, ...]]] = deque()
        self._scheduled = False

    def call(self, function: Callable[..., Any], *args: Any) -> None:
        """Run `function(*args)` on the loop soon (from any thread). RuntimeError once the loop
        is closed, as `call_soon_threadsafe` raises."""
        self._calls.append((function, args))
        if not self._scheduled:
            self._scheduled = True
            try:
                self._loop.call_soon_threadsafe(self._run)
            except RuntimeError:
                self._scheduled = False
                self._calls.clear()
                raise

    def _run(self) -> None:
        self._scheduled = False
        calls = self._calls
        while calls:
            function, args = calls.popleft()
            try:
                function(*args)
            except Exception as error:  # noqa: BLE001 - one failing call must not drop the rest
                self._loop.call_exception_handler({
                    "message": "a call handed to the event loop failed", "exception": error})
