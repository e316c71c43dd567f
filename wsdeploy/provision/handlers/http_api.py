"""The HTTP API of `http_app` (issue 17): the API, its AWS_PROXY integration to the one
function (payload format 2.0), the `$default` route, the `$default` stage (auto-deploy), and
the function's statement letting this API invoke it.

Each handler records what it made at once, so an interrupted run leaves a true record."""

from __future__ import annotations

from .. import record as rec
from ..desired import (HTTP_PAYLOAD_VERSION, HTTP_PERMISSION_ID, HTTP_ROUTE, HTTP_STAGE,
                       permission_source_arn)
from ..errors import AlreadyExists
from ..run import Run
from ..steps import Action, Step


def _api_id(run: Run) -> str:
    return rec.get(run.record, "http_api")["id"]


def _target(run: Run) -> str:
    return f"integrations/{rec.get(run.record, 'http_integration')['id']}"


# -- the API ----------------------------------------------------------------------------------
def create_http_api(run: Run, step: Step) -> None:
    made = run.aws.create_http_api(run.d.http_api_name, run.d.tags)
    run.put("http_api", {"id": made.id, "name": run.d.http_api_name})


def adopt_http_api(run: Run, step: Step) -> None:
    run.put("http_api", {"id": run.observed.http_api.id, "name": run.d.http_api_name})


def delete_http_api(run: Run, step: Step) -> None:
    """The HTTP API whose id is step.name, with its integration, route and stage."""
    run.aws.delete_api(step.name)


# -- its integration --------------------------------------------------------------------------
def _record_integration(run: Run, integration_id: str) -> None:
    run.put("http_integration", {"id": integration_id, "uri": run.function_arn,
                                 "payload_version": HTTP_PAYLOAD_VERSION})


def create_http_integration(run: Run, step: Step) -> None:
    made = run.aws.create_http_integration(_api_id(run), run.function_arn)
    _record_integration(run, made.id)


def update_http_integration(run: Run, step: Step) -> None:
    integration_id = rec.get(run.record, "http_integration")["id"]
    run.aws.update_http_integration(_api_id(run), integration_id, run.function_arn)
    _record_integration(run, integration_id)


def adopt_http_integration(run: Run, step: Step) -> None:
    seen = run.observed.http_integration
    run.put("http_integration", {"id": seen.id, "uri": seen.uri, "payload_version": seen.payload_version})


def delete_http_integration(run: Run, step: Step) -> None:
    """The integration whose id is step.name (a duplicate: the route targets the kept one)."""
    run.aws.delete_integration(_api_id(run), step.name)


# -- its $default route -----------------------------------------------------------------------
def create_http_route(run: Run, step: Step) -> None:
    try:
        made = run.aws.create_http_route(_api_id(run), HTTP_ROUTE, _target(run))
    except AlreadyExists:   # made by a run whose answer was lost: pointed at ours
        found = next((r for r in run.aws.get_routes(_api_id(run)) if r.key == HTTP_ROUTE), None)
        if found is None:
            raise
        run.aws.update_http_route(_api_id(run), found.id, _target(run))
        made = found
    run.put("http_route", {"id": made.id, "key": HTTP_ROUTE, "target": _target(run)})


def update_http_route(run: Run, step: Step) -> None:
    route_id = rec.get(run.record, "http_route")["id"]
    run.aws.update_http_route(_api_id(run), route_id, _target(run))
    run.put("http_route", {"id": route_id, "key": HTTP_ROUTE, "target": _target(run)})


def adopt_http_route(run: Run, step: Step) -> None:
    seen = run.observed.http_route
    run.put("http_route", {"id": seen.id, "key": HTTP_ROUTE, "target": seen.target})


# -- its $default stage -----------------------------------------------------------------------
def create_http_stage(run: Run, step: Step) -> None:
    try:
        run.aws.create_stage(_api_id(run), HTTP_STAGE, run.d.tags)
    except AlreadyExists:
        stage = run.aws.get_stage(_api_id(run), HTTP_STAGE)
        if stage is None:
            raise
        if not stage.auto_deploy:
            run.aws.turn_on_auto_deploy(_api_id(run), HTTP_STAGE)
    run.put("http_stage", {"name": HTTP_STAGE})


def update_http_stage(run: Run, step: Step) -> None:
    run.aws.turn_on_auto_deploy(_api_id(run), HTTP_STAGE)
    run.put("http_stage", {"name": HTTP_STAGE})


def adopt_http_stage(run: Run, step: Step) -> None:
    run.put("http_stage", {"name": HTTP_STAGE})


# -- the function's statement for it ----------------------------------------------------------
def _source(run: Run) -> str:
    return permission_source_arn(run.d, run.partition, run.account, _api_id(run))


def _record_permission(run: Run, source: str) -> None:
    run.put("http_permission", {"statement_id": HTTP_PERMISSION_ID, "source_arn": source})


def create_http_permission(run: Run, step: Step) -> None:
    run.function_ready()
    source = _source(run)
    try:
        run.aws.add_permission(run.d.name, HTTP_PERMISSION_ID, source)
    except AlreadyExists:
        if run.aws.get_permission_source(run.d.name, HTTP_PERMISSION_ID) != source:
            replace_http_permission(run, step)
            return
    _record_permission(run, source)


def replace_http_permission(run: Run, step: Step) -> None:
    """A statement cannot be edited: removed and added again."""
    run.function_ready()
    source = _source(run)
    run.aws.remove_permission(run.d.name, HTTP_PERMISSION_ID)
    run.aws.add_permission(run.d.name, HTTP_PERMISSION_ID, source)
    _record_permission(run, source)


def adopt_http_permission(run: Run, step: Step) -> None:
    _record_permission(run, run.observed.http_permission.source_arn)


def delete_http_permission(run: Run, step: Step) -> None:
    """http_app is gone: the function no longer lets the (deleted) HTTP API invoke it."""
    run.function_ready()
    run.aws.remove_permission(run.d.name, HTTP_PERMISSION_ID)


HTTP_API = {Action.CREATE: create_http_api, Action.ADOPT: adopt_http_api,
            Action.DELETE: delete_http_api}
HTTP_INTEGRATION = {Action.CREATE: create_http_integration, Action.UPDATE: update_http_integration,
                    Action.ADOPT: adopt_http_integration, Action.DELETE: delete_http_integration}
HTTP_ROUTE_STEPS = {Action.CREATE: create_http_route, Action.UPDATE: update_http_route,
                    Action.ADOPT: adopt_http_route}
HTTP_STAGE_STEPS = {Action.CREATE: create_http_stage, Action.UPDATE: update_http_stage,
                    Action.ADOPT: adopt_http_stage}
HTTP_PERMISSION = {Action.CREATE: create_http_permission, Action.UPDATE: replace_http_permission,
                   Action.ADOPT: adopt_http_permission, Action.DELETE: delete_http_permission}
