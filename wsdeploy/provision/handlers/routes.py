"""The API's routes and the "$default" route responses of reply routes."""

from __future__ import annotations

from .. import record as rec
from ..errors import AlreadyExists
from ..run import Run
from ..steps import Action, Step


def _target(run: Run) -> str:
    return f"integrations/{rec.get(run.record, 'integration')['id']}"


def _routes(run: Run) -> dict[str, dict]:
    return rec.resources(run.record).setdefault("routes", {})


def _authorization(run: Run, key: str) -> tuple[str, str | None] | None:
    """$connect's (AuthorizationType, AuthorizerId); None for every other route."""
    if key != "$connect":
        return None
    kind = getattr(run.d, "connect_auth", "NONE")
    authorizer = rec.get(run.record, "authorizer") if kind == "CUSTOM" else None
    return kind, authorizer["id"] if authorizer else None


def _note_authorization(entry: dict, authorization: tuple[str, str | None] | None) -> None:
    """$connect's entry names its authorization when it is not NONE (status compares it)."""
    entry.pop("authorization", None)
    if authorization and authorization[0] != "NONE":
        entry["authorization"] = authorization[0]


def create_route(run: Run, step: Step) -> None:
    reply = run.d.route(step.name).reply
    authorization = _authorization(run, step.name)
    on_create = authorization if authorization and authorization[0] != "NONE" else None
    try:
        made = run.aws.create_route(run.api_id, step.name, _target(run), reply, on_create)
    except AlreadyExists:   # made by a run whose answer was lost: adopted, and put right
        made = next((r for r in run.aws.get_routes(run.api_id) if r.key == step.name), None)
        if made is None:
            raise
        if ((made.target, made.reply) != (_target(run), reply)
                or (authorization and (made.authorization, made.authorizer_id) != authorization)):
            run.aws.update_route(run.api_id, made.id, _target(run), reply, authorization)
    entry = {"id": made.id, "target": _target(run), "reply": reply, "response_id": None}
    _note_authorization(entry, authorization)
    _routes(run)[step.name] = entry


def update_route(run: Run, step: Step) -> None:
    entry = _routes(run)[step.name]
    reply = run.d.route(step.name).reply
    authorization = _authorization(run, step.name)
    run.aws.update_route(run.api_id, entry["id"], _target(run), reply, authorization)
    entry.update(target=_target(run), reply=reply)
    _note_authorization(entry, authorization)


def delete_route(run: Run, step: Step) -> None:
    run.aws.delete_route(run.api_id, run.observed.route(step.name).id)


def adopt_route(run: Run, step: Step) -> None:
    seen = run.observed.route(step.name)
    entry = {"id": seen.id, "target": seen.target, "reply": seen.reply,
             "response_id": seen.response_id}
    _note_authorization(entry, (seen.authorization, seen.authorizer_id))
    _routes(run)[step.name] = entry


def create_route_response(run: Run, step: Step) -> None:
    entry = _routes(run)[step.name]
    entry["response_id"] = run.aws.create_route_response(run.api_id, entry["id"])


def delete_route_response(run: Run, step: Step) -> None:
    entry = _routes(run)[step.name]
    run.aws.delete_route_response(run.api_id, entry["id"], entry["response_id"])


ROUTE = {Action.CREATE: create_route, Action.UPDATE: update_route, Action.ADOPT: adopt_route,
         Action.DELETE: delete_route}
ROUTE_RESPONSE = {Action.CREATE: create_route_response, Action.DELETE: delete_route_response}
