"""$connect's authorizer and its permission, read by the rule of observe.py, at no cost to a
stage without one: nothing is read unless the app has an authorizer, the record names one, or
`$connect` (whose route is read anyway) points at one.

Trusted from the record when recorded (and its API is); with `full`, or not recorded, the API's
authorizers are listed (moto has no GetAuthorizers: the strict test layer answers it) and ours
is the one named `{name}-authorizer` (an authorizer has no tags), or the one `$connect` uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import record as rec
from .desired import AUTHORIZER_PERMISSION_ID, StageNames, authorizer_name
from .seen import SeenApi, SeenAuthorizer, SeenFunction, SeenPermission, SeenRoute

if TYPE_CHECKING:
    from .aws import Aws


def _wanted(d: StageNames) -> bool:
    return getattr(d, "authorizer", None) is not None


def observe_authorizer(aws: "Aws", d: StageNames, record: dict | None, api: SeenApi | None,
                       function: SeenFunction | None, routes: tuple[SeenRoute, ...],
                       full: bool) -> dict[str, Any]:
    """The `authorizer` and `authorizer_permission` fields of Observed."""
    return {"authorizer": _authorizer(aws, d, record, api, routes, full),
            "authorizer_permission": _permission(aws, d, record, function, full)}


def _authorizer(aws: "Aws", d: StageNames, record: dict | None, api: SeenApi | None,
                routes: tuple[SeenRoute, ...], full: bool) -> SeenAuthorizer | None:
    if api is None:
        return None
    recorded = rec.get(record, "authorizer") if api.recorded else None
    connect = next((r for r in routes if r.key == "$connect"), None)
    used = connect.authorizer_id if connect and connect.authorization == "CUSTOM" else None
    if recorded and not full and used in (None, recorded["id"]):
        identity = tuple(i for i in recorded.get("identity", "").split(",") if i)
        return SeenAuthorizer(recorded["id"], recorded.get("name", ""), identity, None, True)
    if not (recorded or used or _wanted(d)):
        return None
    found = aws.get_authorizers(api.id)
    mine = (next((a for a in found if recorded and a.id == recorded["id"]), None)
            or next((a for a in found if a.name == authorizer_name(d.name)), None)
            or next((a for a in found if a.id == used), None))
    if mine is None:
        return None
    return SeenAuthorizer(mine.id, mine.name, mine.identity, mine.uri,
                          bool(recorded) and mine.id == recorded["id"])


def _permission(aws: "Aws", d: StageNames, record: dict | None, function: SeenFunction | None,
                full: bool) -> SeenPermission | None:
    recorded = rec.get(record, "authorizer_permission")
    if function is None:
        return None
    if recorded and function.recorded and not full:
        return SeenPermission(recorded["source_arn"], True)
    if not (recorded or _wanted(d)):   # no read for a stage without one
        return None
    source = aws.get_permission_source(d.name, AUTHORIZER_PERMISSION_ID)
    return SeenPermission(source, bool(recorded)) if source is not None else None
