"""Says when one of the emulator's own limits is hit, without flooding the terminal.

A line per limit at most every `every` seconds: a client that keeps hitting one (a flood of
held connections, say) gives one line a second, the next one saying how many went unsaid.
"""

from __future__ import annotations

import time
from typing import Callable


class LimitLog:
    def __init__(self, notice: Callable[[str, str], None], every: float = 1.0,
                 clock: Callable[[], float] = time.monotonic):
        self._notice = notice  # ("limit", text)
        self._every = every
        self._clock = clock
        self._last: dict[str, float] = {}
        self._unsaid: dict[str, int] = {}

    def hit(self, limit: str, text: str) -> None:
        """`limit` names which one (lines are spaced per limit); `text` says what happened."""
        now = self._clock()
        last = self._last.get(limit)
        if last is not None and now - last < self._every:
            self._unsaid[limit] = self._unsaid.get(limit, 0) + 1
            return
        self._last[limit] = now
        unsaid = self._unsaid.pop(limit, 0)
        if unsaid:
            text += f" ({unsaid} more like it since the last line)"
        self._notice("limit", text)
