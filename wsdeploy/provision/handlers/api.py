"""The WebSocket API."""

from __future__ import annotations

from ..run import Run
from ..steps import Action, Step


def create_api(run: Run, step: Step) -> None:
    api = run.aws.create_api(run.d.name, run.d.route_selection, run.d.tags)
    run.put("api", {"id": api.id, "name": run.d.name, "route_selection": api.route_selection})


def update_api(run: Run, step: Step) -> None:
    run.aws.update_api(run.api_id, run.d.route_selection)
    run.put("api", {"id": run.api_id, "name": run.d.name, "route_selection": run.d.route_selection})


def adopt_api(run: Run, step: Step) -> None:
    seen = run.observed.api
    run.put("api", {"id": seen.id, "name": run.d.name, "route_selection": seen.route_selection})


def delete_api(run: Run, step: Step) -> None:
    """The API whose id is step.name (the stage's, or a duplicate of it), with its routes,
    integrations and stages."""
    run.aws.delete_api(step.name)


API = {Action.CREATE: create_api, Action.UPDATE: update_api, Action.ADOPT: adopt_api,
       Action.DELETE: delete_api}
