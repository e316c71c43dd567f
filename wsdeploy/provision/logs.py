"""The function's log events, once or followed, for `wsdeploy logs`."""

from __future__ import annotations

import re
import time
from collections import deque
from datetime import datetime, timezone
from typing import Callable, Iterator

from ..errors import UserError
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .aws import Aws

FOLLOW_POLL_SECONDS = 2.0
# CloudWatch Logs takes events in late (a Lambda's are often seconds behind, and an event's
# timestamp is when it happened, not when it arrived): each poll starts this far before the
# newest event seen, and the seen ids keep the overlap from printing twice.
LATE_EVENTS_MS = 30_000
_DURATION_RE = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_since(text: str) -> int:
    """Seconds in "30s", "10m", "2h" or "1d"."""
    match = _DURATION_RE.match(text or "")
    if not match:
        raise UserError(f"--since {text!r} is not a duration: write a number and a unit, "
                        "such as 30s, 10m, 2h or 1d")
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def since_ms(text: str, now: float | None = None) -> int:
    """The start, in epoch milliseconds, of "10m" (ago) or of an ISO 8601 time such as
    2026-05-01, 2026-05-01T14:30 or 2026-05-01 14:30:00+02:00; without an offset, UTC, as
    `wsdeploy logs` prints its times."""
    now = time.time() if now is None else now
    if _DURATION_RE.match(text or ""):
        return int((now - parse_since(text)) * 1000)
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UserError(f"--since {text!r} is neither a duration nor a time: write 30s, 10m, 2h "
                        "or 1d, or an ISO 8601 time such as 2026-05-01T14:30 (UTC unless it "
                        "has an offset, e.g. 2026-05-01T14:30+02:00)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


def log_events(aws: "Aws", group: str, start_ms: int, follow: bool = False,
               sleep: Callable[[float], None] = time.sleep, pattern: str | None = None,
               idle: Callable[[], None] | None = None) -> Iterator[dict]:
    """Each event since start_ms (matching `pattern`, CloudWatch's filter syntax), oldest
    first; with follow, polls for new ones until stopped, calling `idle` after each poll that
    found nothing new.

    Seen event ids are remembered (a bounded window), because following polls again from
    LATE_EVENTS_MS before the newest timestamp seen, so events that arrive late are not missed.
    """
    seen_ids: deque[str] = deque(maxlen=10_000)
    seen = set()
    first, newest = start_ms, start_ms
    while True:
        token, found = None, False
        while True:
            events, token = aws.log_events(group, start_ms, token, pattern)
            for event in sorted(events, key=lambda e: (e.get("timestamp", 0), e.get("eventId", ""))):
                event_id = event.get("eventId") or f"{event.get('timestamp')}:{event.get('message')}"
                if event_id in seen:
                    continue
                if len(seen_ids) == seen_ids.maxlen:
                    seen.discard(seen_ids[0])
                seen_ids.append(event_id)
                seen.add(event_id)
                newest = max(newest, int(event.get("timestamp", 0)))
                found = True
                yield event
            if not token:
                break
        if not follow:
            return
        if not found and idle is not None:
            idle()
        start_ms = max(first, newest - LATE_EVENTS_MS)
        sleep(FOLLOW_POLL_SECONDS)
