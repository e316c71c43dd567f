"""The `@connections` management API (section 4 of the spec) as pure decisions.

`plan()` turns one HTTP request into the reply (built by `http_replies`) and, for POST and
DELETE, the action the network shell must take; `decide()` does the same for a call that has
no HTTP request around it (a handler's, in-process).
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from dataclasses import dataclass
from typing import Mapping
from urllib.parse import unquote, urlsplit

from .connections import Connection, ConnectionTable
from .http_replies import Reply, forbidden, gone, too_large
from .limits import MAX_MESSAGE_BYTES

_PATH = re.compile(r"^/(?P<stage>[^/]*)/@connections/(?P<id>[^/]+)$")
POST, GET, DELETE = "POST", "GET", "DELETE"


@dataclass(frozen=True)
class Plan:
    """The reply, and for `post`/`delete` the connection to act on (and the payload)."""

    reply: Reply
    action: str | None = None
    connection: Connection | None = None
    payload: bytes = b""


def is_management_request(target: str) -> bool:
    """Whether an HTTP request is meant for @connections (anything with that path segment)."""
    return "/@connections" in urlsplit(target).path


def _iso(epoch_ms: int) -> str:
    moment = _dt.datetime.fromtimestamp(epoch_ms / 1000, _dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


def connection_info(connection: Connection) -> bytes:
    """GetConnection's body."""
    identity = {"sourceIp": connection.source_ip}
    if connection.user_agent is not None:
        identity["userAgent"] = connection.user_agent
    return json.dumps({
        "connectedAt": _iso(connection.connected_at),
        "identity": identity,
        "lastActiveAt": _iso(connection.last_active_at),
    }).encode()


def plan(method: str, target: str, headers: Mapping[str, str], body: bytes, stage: str,
         table: ConnectionTable) -> Plan:
    """Decide what one @connections HTTP request does. `headers` keys are lower case."""
    match = _PATH.match(urlsplit(target).path)
    if match is None or match.group("stage") != stage:
        return Plan(forbidden(
            f"no such resource: the management API is at /{stage}/@connections/{{connectionId}}"))
    if not headers.get("authorization", "").startswith("AWS4-HMAC-SHA256 "):
        return Plan(forbidden("Missing Authentication Token"))  # the gateway wants SigV4
    return decide(method, unquote(match.group("id")), body, table)


def decide(method: str, connection_id: str, body: bytes, table: ConnectionTable) -> Plan:
    """Decide what one call does, once its path and signature are checked: also for the calls
    of handlers running in `wsdeploy dev`, which reach the gateway in-process."""
    if method not in (POST, GET, DELETE):
        return Plan(forbidden(f"{method} is not supported on @connections"))
    connection = table.open(connection_id)
    if method == POST and len(body) > MAX_MESSAGE_BYTES:
        return Plan(too_large(len(body)))
    if connection is None:
        return Plan(gone(connection_id))
    if method == GET:
        return Plan(Reply(200, connection_info(connection)))
    if method == DELETE:
        return Plan(Reply(204), "delete", connection)
    return Plan(Reply(200), "post", connection, body)
