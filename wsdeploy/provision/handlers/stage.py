"""The API's stage, which deploys route changes by itself (auto-deploy)."""

from __future__ import annotations

from ..errors import AlreadyExists
from ..run import Run
from ..steps import Action, Step


def create_stage(run: Run, step: Step) -> None:
    try:
        run.aws.create_stage(run.api_id, run.d.stage, run.d.tags)
    except AlreadyExists:   # made by a run whose answer was lost: adopted, auto-deploy on
        stage = run.aws.get_stage(run.api_id, run.d.stage)
        if stage is None:
            raise
        if not stage.auto_deploy:
            run.aws.turn_on_auto_deploy(run.api_id, run.d.stage)
    run.put("stage", {"name": run.d.stage})


def update_stage(run: Run, step: Step) -> None:
    """Auto-deploy back on (turned off by hand): route changes go live again by themselves."""
    run.aws.turn_on_auto_deploy(run.api_id, run.d.stage)
    run.put("stage", {"name": run.d.stage})


def adopt_stage(run: Run, step: Step) -> None:
    run.put("stage", {"name": run.d.stage})


STAGE = {Action.CREATE: create_stage, Action.UPDATE: update_stage, Action.ADOPT: adopt_stage}
