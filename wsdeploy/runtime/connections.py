"""Who is connected, and in which rooms: one API over DynamoDB (in Lambda) or memory (wsdeploy dev).

`wsdeploy up` creates the table and sets WSDEPLOY_CONNECTIONS_TABLE; `wsdeploy dev` sets
WSDEPLOY_CONNECTIONS_BACKEND=memory, so the same app code runs in both places.

DynamoDB layout (one table, keys `pk` and `sk`, every item expiring through the `ttl` attribute):

    pk = "conn#<id>"    sk = "conn"          the connection and its attributes
    pk = "conns"        sk = "<id>"          the list of all connections (for `all()`)
    pk = "room#<room>"  sk = "<id>"          room membership, read with one query per page
    pk = "conn#<id>"    sk = "room#<room>"   the same membership seen from the connection

Every read is a Query on one partition key; nothing scans the table.
"""

from __future__ import annotations

import _thread
import os
import time

from .errors import HandlerConfigurationError

TYPE_CHECKING = False  # typing itself costs a cold start; type checkers still see the block
if TYPE_CHECKING:
    from typing import Any, Iterable, Iterator

    from .management import BroadcastResult

TABLE_ENV = "WSDEPLOY_CONNECTIONS_TABLE"
BACKEND_ENV = "WSDEPLOY_CONNECTIONS_BACKEND"
TRACK_ENV = "WSDEPLOY_CONNECTIONS_TRACK"
TTL_ENV = "WSDEPLOY_CONNECTIONS_TTL_HOURS"
_BATCH_LIMIT = 25  # BatchWriteItem's limit


def _ttl() -> int:
    hours = float(os.environ.get(TTL_ENV) or 2)
    return int(time.time() + hours * 3600)


def _check(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return value


class MemoryStore:
    """Connections kept in this process: what `wsdeploy dev` uses, shared by every invocation."""

    def __init__(self) -> None:
        self._lock = _thread.allocate_lock()
        self._connections: dict[str, dict] = {}
        self._rooms: dict[str, dict[str, None]] = {}  # room -> ids, in join order

    def add(self, connection_id: str, attributes: dict) -> None:
        with self._lock:
            self._connections[connection_id] = dict(attributes)

    def remove(self, connection_id: str) -> None:
        with self._lock:
            self._connections.pop(connection_id, None)
            for members in self._rooms.values():
                members.pop(connection_id, None)

    def get(self, connection_id: str) -> dict | None:
        with self._lock:
            found = self._connections.get(connection_id)
            return dict(found) if found is not None else None

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


def _marshal(value: Any) -> dict:
    """A Python value as a DynamoDB attribute value."""
    if isinstance(value, bool):
        return {"BOOL": value}
    if value is None:
        return {"NULL": True}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, (int, float)):
        return {"N": repr(value)}
    if isinstance(value, dict):
        return {"M": {str(k): _marshal(v) for k, v in value.items()}}
    if isinstance(value, (list, tuple)):
        return {"L": [_marshal(v) for v in value]}
    raise TypeError(f"connection attributes must be str, number, bool, None, dict or list, "
                    f"not {type(value).__name__}")


def _unmarshal(attribute: dict) -> Any:
    (kind, value), = attribute.items()
    if kind == "N":
        number = float(value)
        return int(number) if number.is_integer() and "." not in value and "e" not in value.lower() else number
    if kind == "M":
        return {k: _unmarshal(v) for k, v in value.items()}
    if kind == "L":
        return [_unmarshal(v) for v in value]
    if kind == "NULL":
        return None
    return value  # S, BOOL


class DynamoStore:
    """Connections in the DynamoDB table that `wsdeploy up` created. boto3 loads on first use."""

    def __init__(self, table: str, client: Any = None, page_size: int | None = None):
        self.table = table
        self._client = client
        self.page_size = page_size  # None: DynamoDB's own pages of up to 1 MB

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3  # lazy: apps that never track connections never pay for it

            self._client = boto3.client("dynamodb")
        return self._client

    def _write(self, requests: list[dict]) -> None:
        """BatchWriteItem in chunks of 25, retrying what DynamoDB leaves unprocessed."""
        for start in range(0, len(requests), _BATCH_LIMIT):
            pending = {self.table: requests[start:start + _BATCH_LIMIT]}
            for attempt in range(8):
                unprocessed = self.client.batch_write_item(RequestItems=pending).get("UnprocessedItems")
                if not unprocessed:
                    break
                pending = unprocessed
                time.sleep(min(0.05 * 2**attempt, 1.0))
            else:
                raise RuntimeError(f"DynamoDB kept {len(pending[self.table])} writes unprocessed")

    @staticmethod
    def _put(pk: str, sk: str, ttl: int, **extra: dict) -> dict:
        item = {"pk": {"S": pk}, "sk": {"S": sk}, "ttl": {"N": str(ttl)}, **extra}
        return {"PutRequest": {"Item": item}}

    @staticmethod
    def _delete(pk: str, sk: str) -> dict:
        return {"DeleteRequest": {"Key": {"pk": {"S": pk}, "sk": {"S": sk}}}}

    def _pages(self, pk: str, prefix: str = "") -> Iterator[list[str]]:
        """The sort keys under `pk`, one query page (at most 1 MB) at a time."""
        query: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": pk}},
            "ProjectionExpression": "sk",
        }
        if self.page_size:
            query["Limit"] = self.page_size
        if prefix:
            query["KeyConditionExpression"] += " AND begins_with(sk, :prefix)"
            query["ExpressionAttributeValues"][":prefix"] = {"S": prefix}
        while True:
            page = self.client.query(**query)
            yield [item["sk"]["S"] for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def add(self, connection_id: str, attributes: dict) -> None:
        ttl = _ttl()
        self._write([
            self._put(f"conn#{connection_id}", "conn", ttl, attrs=_marshal(attributes)),
            self._put("conns", connection_id, ttl),
        ])

    def remove(self, connection_id: str) -> None:
        requests = [self._delete(f"conn#{connection_id}", "conn"), self._delete("conns", connection_id)]
        for room in self.rooms(connection_id):
            requests += [self._delete(f"conn#{connection_id}", f"room#{room}"),
                         self._delete(f"room#{room}", connection_id)]
        self._write(requests)

    def get(self, connection_id: str) -> dict | None:
        item = self.client.get_item(
            TableName=self.table, Key={"pk": {"S": f"conn#{connection_id}"}, "sk": {"S": "conn"}},
        ).get("Item")
        return _unmarshal(item["attrs"]) if item else None

    def join(self, connection_id: str, room: str) -> None:
        ttl = _ttl()
        self._write([self._put(f"room#{room}", connection_id, ttl),
                     self._put(f"conn#{connection_id}", f"room#{room}", ttl)])

    def leave(self, connection_id: str, room: str) -> None:
        self._write([self._delete(f"room#{room}", connection_id),
                     self._delete(f"conn#{connection_id}", f"room#{room}")])

    def pages_of_all(self) -> Iterator[list[str]]:
        return self._pages("conns")

    def pages_of_members(self, room: str) -> Iterator[list[str]]:
        return self._pages(f"room#{room}")

    def rooms(self, connection_id: str) -> list[str]:
        prefix = "room#"
        return [sk[len(prefix):] for page in self._pages(f"conn#{connection_id}", prefix) for sk in page]


_memory_store = MemoryStore()


class Connections:
    """The `connections` object apps import: track clients, group them in rooms, broadcast."""

    def __init__(self) -> None:
        self._stores: dict[str, DynamoStore] = {}

    def store(self) -> MemoryStore | DynamoStore:
        """The backend this process is configured for (read from the environment on each call)."""
        if os.environ.get(BACKEND_ENV) == "memory":
            return _memory_store
        table = os.environ.get(TABLE_ENV)
        if not table:
            raise HandlerConfigurationError(
                "connection tracking is not enabled: add `[app.connections]` with "
                "`enabled = true` to wsdeploy.toml and run `wsdeploy up` (it creates the table "
                f"and sets {TABLE_ENV}); `wsdeploy dev` keeps connections in memory"
            )
        store = self._stores.get(table)
        if store is None:
            store = self._stores[table] = DynamoStore(table)
        return store

    def add(self, connection_id: str, **attributes: Any) -> None:
        """Record a connection, with any attributes you want back from `get`."""
        _marshal(attributes)  # reject unstorable values the same way in memory and DynamoDB
        self.store().add(_check("connection_id", connection_id), attributes)

    def remove(self, connection_id: str) -> None:
        """Forget a connection and every room membership it had."""
        self.store().remove(_check("connection_id", connection_id))

    def get(self, connection_id: str) -> dict | None:
        """The attributes recorded with `add`, or None for an unknown connection."""
        return self.store().get(_check("connection_id", connection_id))

    def all(self) -> Iterator[str]:
        """Every recorded connection id, read page by page as you iterate."""
        for page in self.store().pages_of_all():
            yield from page

    def join(self, connection_id: str, room: str) -> None:
        self.store().join(_check("connection_id", connection_id), _check("room", room))

    def leave(self, connection_id: str, room: str) -> None:
        self.store().leave(_check("connection_id", connection_id), _check("room", room))

    def members(self, room: str) -> Iterator[str]:
        """The connection ids in `room`, read page by page as you iterate."""
        for page in self.store().pages_of_members(_check("room", room)):
            yield from page

    def rooms(self, connection_id: str) -> list[str]:
        return self.store().rooms(_check("connection_id", connection_id))

    def broadcast(self, data: Any, room: str | None = None, exclude: Iterable[str] = (),
                  *, endpoint: str | None = None) -> BroadcastResult:
        """Send to every connection (or a room's members), removing those found gone."""
        from .management import BroadcastResult, broadcast, encode

        payload = encode(data)  # once, and too-large fails before any read
        store = self.store()
        skip = set(exclude)
        pages = store.pages_of_all() if room is None else store.pages_of_members(_check("room", room))
        total = BroadcastResult()
        for page in pages:
            result = broadcast([cid for cid in page if cid not in skip], payload, endpoint=endpoint)
            for cid in result.gone:
                store.remove(cid)
            total.sent += result.sent
            total.gone += result.gone
            total.failed.update(result.failed)
        return total


connections = Connections()
