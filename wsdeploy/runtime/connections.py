"""Who is connected, and in which rooms: one API over DynamoDB (in Lambda) or memory (wsdeploy dev).

`wsdeploy up` creates the table and sets WSDEPLOY_CONNECTIONS_TABLE; `wsdeploy dev` installs
its in-memory store with `install_store` (that store lives in the emulator, not in the Lambda
package), so the same app code runs in both places.

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

from .env import CONNECTIONS_TABLE_ENV as TABLE_ENV
from .env import CONNECTIONS_TTL_ENV as TTL_ENV
from .errors import HandlerConfigurationError, WebSocketError

TYPE_CHECKING = False  # typing itself costs a cold start; type checkers still see the block
if TYPE_CHECKING:
    from typing import Any, Iterable, Iterator

    from .management import BroadcastResult

_BATCH_LIMIT = 25  # BatchWriteItem's limit
# A $connect handler may run for up to 29 s, and until it returns the gateway answers 410 for
# its connection: a broadcast in that window must not prune the client that is joining.
PRUNE_GRACE_SECONDS = 30


def _ttl() -> int:
    hours = float(os.environ.get(TTL_ENV) or 2)
    return int(time.time() + hours * 3600)


def _check(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return value


def marshal(value: Any) -> dict:
    """A Python value as a DynamoDB attribute value; refuses what DynamoDB would refuse."""
    if isinstance(value, bool):
        return {"BOOL": value}
    if value is None:
        return {"NULL": True}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, int):
        if len(str(abs(value))) > 38:
            raise ValueError(f"{value} has more than the 38 digits DynamoDB stores")
        return {"N": str(value)}
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"DynamoDB cannot store {value}")
        return {"N": repr(value)}
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise TypeError(f"attribute names must be strings, not {key!r}")
        return {"M": {k: marshal(v) for k, v in value.items()}}
    if isinstance(value, (list, tuple)):
        return {"L": [marshal(v) for v in value]}
    raise TypeError(f"connection attributes must be str, number, bool, None, dict or list, "
                    f"not {type(value).__name__}")


def unmarshal(attribute: dict) -> Any:
    (kind, value), = attribute.items()
    if kind == "N":
        try:
            return int(value)  # exact, however large
        except ValueError:
            number = float(value)
            return int(number) if number.is_integer() else number  # AWS writes 1.0 as "1"
    if kind == "M":
        return {k: unmarshal(v) for k, v in value.items()}
    if kind == "L":
        return [unmarshal(v) for v in value]
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
                if attempt:
                    time.sleep(min(0.05 * 2**attempt, 1.0))
                pending = self.client.batch_write_item(RequestItems=pending).get("UnprocessedItems")
                if not pending:
                    break
            else:
                raise WebSocketError(f"DynamoDB left {len(pending[self.table])} writes to "
                                     f"{self.table} unprocessed after 8 attempts")

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
            "FilterExpression": "#ttl > :now",  # TTL deletes lazily; expired items may linger
            "ExpressionAttributeNames": {"#ttl": "ttl"},
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":now": {"N": str(int(time.time()))}},
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
            self._put(f"conn#{connection_id}", "conn", ttl, attrs=marshal(attributes),
                      at={"N": repr(time.time())}),
            self._put("conns", connection_id, ttl),
        ])

    def _deletes_for(self, connection_id: str) -> list[dict]:
        """Every item of one connection: its record, its listing, both sides of each room."""
        requests = [self._delete(f"conn#{connection_id}", "conn"), self._delete("conns", connection_id)]
        for room in self.rooms(connection_id):
            requests += [self._delete(f"conn#{connection_id}", f"room#{room}"),
                         self._delete(f"room#{room}", connection_id)]
        return requests

    def remove(self, connection_id: str) -> None:
        self._write(self._deletes_for(connection_id))

    def prune(self, connection_ids: list[str], added_before: float) -> None:
        """Remove many connections in few calls: their ages by BatchGetItem (100 a call), their
        rooms by queries side by side, and every delete in batches of 25."""
        ages: dict[str, float] = {}
        for start in range(0, len(connection_ids), 100):
            keys = [{"pk": {"S": f"conn#{cid}"}, "sk": {"S": "conn"}}
                    for cid in connection_ids[start:start + 100]]
            pending = {self.table: {"Keys": keys, "ProjectionExpression": "pk, #at",
                                    "ExpressionAttributeNames": {"#at": "at"}}}
            while pending:
                answer = self.client.batch_get_item(RequestItems=pending)
                for item in answer.get("Responses", {}).get(self.table, []):
                    if "at" in item:
                        ages[item["pk"]["S"].removeprefix("conn#")] = float(item["at"]["N"])
                pending = answer.get("UnprocessedKeys")
        doomed = [cid for cid in connection_ids if ages.get(cid, 0) < added_before]
        from .management import _shared_pool

        requests = [r for deletes in _shared_pool().map(self._deletes_for, doomed) for r in deletes]
        self._write(requests)

    def get(self, connection_id: str) -> dict | None:
        item = self.client.get_item(
            TableName=self.table, Key={"pk": {"S": f"conn#{connection_id}"}, "sk": {"S": "conn"}},
        ).get("Item")
        if item is None or int(item["ttl"]["N"]) <= time.time():  # expired, not yet deleted
            return None
        return unmarshal(item["attrs"])

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


_installed_store: Any = None


def install_store(store: Any) -> None:
    """Use `store` instead of DynamoDB in this process (`wsdeploy dev` installs its memory store;
    None uninstalls). A store has the methods of DynamoStore that Connections calls."""
    global _installed_store
    _installed_store = store


class Connections:
    """The `connections` object apps import: track clients, group them in rooms, broadcast."""

    def __init__(self) -> None:
        self._stores: dict[str, DynamoStore] = {}

    def store(self) -> Any:
        """The installed store, else the table named by the environment (read on each call)."""
        if _installed_store is not None:
            return _installed_store
        table = os.environ.get(TABLE_ENV)
        if not table:
            raise HandlerConfigurationError(
                "connection tracking is not enabled: add `[app.connections]` with "
                "`enabled = true` to wsdeploy.toml, then `wsdeploy up` creates the table and "
                f"sets {TABLE_ENV} (restart `wsdeploy dev`, which then keeps them in memory)"
            )
        store = self._stores.get(table)
        if store is None:
            store = self._stores[table] = DynamoStore(table)
        return store

    def add(self, connection_id: str, **attributes: Any) -> None:
        """Record a connection, with any attributes you want back from `get` (replacing any)."""
        self.store().add(_check("connection_id", connection_id), attributes)

    def update(self, connection_id: str, **attributes: Any) -> None:
        """Add attributes to a connection's record, keeping the others (creating it if needed)."""
        store = self.store()
        current = store.get(_check("connection_id", connection_id)) or {}
        store.add(connection_id, {**current, **attributes})

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

    def broadcast(self, data: Any, room: str | None = None, exclude: Iterable[str] | str = (),
                  *, endpoint: str | None = None) -> BroadcastResult:
        """Send to every connection (or a room's members), then remove those found gone.

        Reads one page of ids at a time and sends it through the runtime's concurrent
        `broadcast`. Pruning happens after every page is sent, concurrently, and never fails
        the broadcast; a connection recorded in the last PRUNE_GRACE_SECONDS is kept, since the
        gateway answers 410 until its $connect handler has returned.
        """
        from .management import BroadcastResult, broadcast, encode

        payload = encode(data)  # once, and too-large fails before any read
        store = self.store()
        skip = {exclude} if isinstance(exclude, str) else set(exclude)
        pages = store.pages_of_all() if room is None else store.pages_of_members(_check("room", room))
        total = BroadcastResult()
        for page in pages:
            result = broadcast([cid for cid in page if cid not in skip], payload, endpoint=endpoint)
            total.sent += result.sent
            total.gone += result.gone
            total.failed.update(result.failed)
        _prune(store, total.gone)
        return total


def _prune(store: Any, gone: list[str]) -> None:
    """Remove connections found gone; a failure is logged, never raised (records expire by TTL)."""
    if not gone:
        return
    try:
        store.prune(gone, added_before=time.time() - PRUNE_GRACE_SECONDS)
    except Exception:  # noqa: BLE001 - the send already happened; pruning is housekeeping
        import logging

        logging.getLogger("wsdeploy").warning(
            "could not prune %d gone connection(s): %s", len(gone), ", ".join(gone[:10]),
            exc_info=True)


connections = Connections()
