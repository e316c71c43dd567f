"""What exists of the HTTP API of `http_app` (issue 17), by observe.py's rules.

A stage that never had an HTTP API and does not want one pays no read. A recorded one is
trusted from the record on a plain `up` (as the WebSocket API's integration and stage are);
with `full` (`up --refresh`, `status`), or when it is wanted and not recorded, it is read:
the API (by id, else by name and tags), its integrations, routes and $default stage, and the
function's statement for it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import record as rec
from .desired import HTTP_PERMISSION_ID, HTTP_ROUTE, HTTP_STAGE, StageNames, wants_http
from .observe import invokes_our_function
from .ownership import is_ours
from .seen import (SeenFunction, SeenHttpApi, SeenHttpIntegration, SeenHttpRoute, SeenPermission,
                   SeenStage)

if TYPE_CHECKING:
    from .aws import Aws


def observe_http(aws: "Aws", d: StageNames, record: dict | None, function: SeenFunction | None,
                 full: bool) -> dict:
    """The `Observed` fields http_api, http_integration, http_route, http_stage, http_permission."""
    recorded = rec.get(record, "http_api")
    if not recorded and not wants_http(d):
        return {}
    complete = all(rec.get(record, key) for key in ("http_integration", "http_route", "http_stage"))
    if recorded and complete and not full:   # a run stopped half-way is read, not trusted
        return _trusted(record, function)
    api = _api(aws, d, recorded)
    fields: dict = {"http_api": api, "http_permission": _permission(aws, d, record, function)}
    if api is None:
        return fields
    trusted = api.recorded
    mine = rec.get(record, "http_integration") if trusted else None
    found = [i for i in aws.get_http_integrations(api.id) if invokes_our_function(i.uri, d)]
    route = next((r for r in aws.get_routes(api.id) if r.key == HTTP_ROUTE), None)
    # the recorded one, else the one the route targets, else the first; any other invoking our
    # function is a duplicate (a create whose answer was lost), deleted by the planner
    keep = (next((i for i in found if mine and i.id == mine["id"]), None)
            or next((i for i in found if route and route.target == f"integrations/{i.id}"), None)
            or (found[0] if found else None))
    if keep is not None:
        fields["http_integration"] = SeenHttpIntegration(
            keep.id, keep.uri, keep.payload_version, bool(mine) and mine["id"] == keep.id)
        fields["http_extra_integrations"] = tuple(sorted(i.id for i in found if i.id != keep.id))
    if route is not None:
        mine_route = rec.get(record, "http_route") if trusted else None
        fields["http_route"] = SeenHttpRoute(route.id, route.target,
                                             bool(mine_route) and mine_route["id"] == route.id)
    stage = aws.get_stage(api.id, HTTP_STAGE)
    if stage is not None:
        fields["http_stage"] = SeenStage(stage.auto_deploy,
                                         trusted and rec.get(record, "http_stage") is not None)
    return fields


def _trusted(record: dict | None, function: SeenFunction | None) -> dict:
    """Everything as recorded: no read."""
    get = lambda key: rec.get(record, key)  # noqa: E731
    api, integration, route = get("http_api"), get("http_integration"), get("http_route")
    permission = get("http_permission")
    return {
        "http_api": SeenHttpApi(api["id"], True),
        "http_integration": (SeenHttpIntegration(integration["id"], integration["uri"],
                                                 integration.get("payload_version"), True)
                             if integration else None),
        "http_route": SeenHttpRoute(route["id"], route["target"], True) if route else None,
        "http_stage": SeenStage(None, True) if get("http_stage") else None,
        "http_permission": (SeenPermission(permission["source_arn"], True)
                            if permission and function is not None and function.recorded else None),
    }


def _api(aws: "Aws", d: StageNames, recorded: dict | None) -> SeenHttpApi | None:
    if recorded:
        live = aws.get_api(recorded["id"])
        if live is not None:
            return SeenHttpApi(live.id, True)
    if not wants_http(d):
        return None
    ours = [a for a in aws.find_http_apis(d.http_api_name) if is_ours(a.tags, d)]
    if not ours:
        return None
    return SeenHttpApi(max(ours, key=lambda a: (a.created, a.id)).id, False)


def _permission(aws: "Aws", d: StageNames, record: dict | None,
                function: SeenFunction | None) -> SeenPermission | None:
    if function is None:
        return None
    source = aws.get_permission_source(d.name, HTTP_PERMISSION_ID)
    return SeenPermission(source, rec.get(record, "http_permission") is not None) if source else None
