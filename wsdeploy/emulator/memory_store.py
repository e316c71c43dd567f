"""The connections store of `wsdeploy dev`: in this process's memory, shared by every invocation.

The emulator installs it with `wsdeploy.runtime.connections.install_store`; it stays out of
the Lambda package, where connections live in DynamoDB.
"""

from __future__ import annotations

import threading
import time
from typing import Iterator

from ..runtime.connections import marshal, unmarshal


class MemoryStore:
    """Connections kept in this process: what `wsdeploy dev` uses, shared by every invocation."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections: dict[str, dict] = {}
        self._added_at: dict[str, float] = {}
        self._rooms: dict[str, dict[str, None]] = {}  # room -> ids, in join order

    def add(self, connection_id: str, attributes: dict) -> None:
        stored = unmarshal(marshal(attributes))  # what DynamoDB would give back, and refuses
        with self._lock:
            self._connections[connection_id] = stored
            self._added_at[connection_id] = time.time()

    def remove(self, connection_id: str) -> None:
        with self._lock:
            self._connections.pop(connection_id, None)
            self._added_at.pop(connection_id, None)
            for members in self._rooms.values():
                members.pop(connection_id, None)

    def get(self, connection_id: str) -> dict | None:
        with self._lock:
            found = self._connections.get(connection_id)
            return unmarshal(marshal(found)) if found is not None else None

    def prune(self, connection_ids: list[str], added_before: float) -> None:
        """Remove these connections, except those recorded at or after `added_before`."""
        with self._lock:
            doomed = [cid for cid in connection_ids if self._added_at.get(cid, 0) < added_before]
        for cid in doomed:
            self.remove(cid)

    def join(self, connection_id: str, room: str) -> None:
        with self._lock:
            self._rooms.setdefault(room, {})[connection_id] = None

    def leave(self, connection_id: str, room: str) -> None:
        with self._lock:
            self._rooms.get(room, {}).pop(connection_id, None)

    def pages_of_all(self) -> Iterator[list[str]]:
        with self._lock:
            ids = list(self._connections)
        yield ids

    def pages_of_members(self, room: str) -> Iterator[list[str]]:
        with self._lock:
            ids = list(self._rooms.get(room, {}))
        yield ids

    def rooms(self, connection_id: str) -> list[str]:
        with self._lock:
            return sorted(room for room, members in self._rooms.items() if connection_id in members)
