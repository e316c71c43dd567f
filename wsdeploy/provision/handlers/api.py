"""The WebSocket API.

Two `up`s of one stage from two folders (no shared state) each find no API and each create
one. So a new API is checked against the others tagged as this stage's: every run keeps the
one created first (by CreatedDate, then by id, so all runs agree) and a run that made a later
one deletes its own and carries on with the first. API Gateway gives CreatedDate in whole
seconds, so the look is made once that second is surely over (SETTLE_SECONDS after the create
answered): an API made in the same second by another run is then listed too, and every run
judges by the same list.
"""

from __future__ import annotations

from ..ownership import is_ours
from ..run import Run
from ..steps import Action, Step

SETTLE_SECONDS = 1.25   # a whole second of CreatedDate, and a margin for the listing to show it


def _record(run: Run, api_id: str, route_selection: str) -> None:
    run.put("api", {"id": api_id, "name": run.d.name, "route_selection": route_selection})


def create_api(run: Run, step: Step) -> None:
    made = run.aws.create_api(run.d.name, run.d.route_selection, run.d.tags)
    _record(run, made.id, made.route_selection)
    run.aws.sleep(SETTLE_SECONDS)
    listed = {api.id: api for api in run.aws.find_apis(run.d.name) if is_ours(api.tags, run.d)}
    listed.setdefault(made.id, made)
    first = min(listed.values(), key=lambda api: (api.created, api.id))
    if first.id == made.id:
        return
    _record(run, first.id, first.route_selection)   # recorded first: ours is a duplicate now
    run.aws.delete_api(made.id)
    run.notice(f"another run created an API for this stage first ({first.id}), at the same time as "
               f"this one: this run deleted its own ({made.id}) and goes on with that one")


def update_api(run: Run, step: Step) -> None:
    run.aws.update_api(run.api_id, run.d.route_selection)
    _record(run, run.api_id, run.d.route_selection)


def adopt_api(run: Run, step: Step) -> None:
    seen = run.observed.api
    _record(run, seen.id, seen.route_selection)


def delete_api(run: Run, step: Step) -> None:
    """The API whose id is step.name (the stage's, or a duplicate of it), with its routes,
    integrations and stages."""
    run.aws.delete_api(step.name)


API = {Action.CREATE: create_api, Action.UPDATE: update_api, Action.ADOPT: adopt_api,
       Action.DELETE: delete_api}
