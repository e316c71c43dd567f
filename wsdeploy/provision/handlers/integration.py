"""The API's AWS_PROXY integration with the function."""

from __future__ import annotations

from .. import record as rec
from ..run import Run
from ..steps import Action, Step


def create_integration(run: Run, step: Step) -> None:
    made = run.aws.create_integration(run.api_id, run.integration_uri)
    run.put("integration", {"id": made.id, "uri": run.integration_uri})


def update_integration(run: Run, step: Step) -> None:
    integration_id = rec.get(run.record, "integration")["id"]
    run.aws.update_integration(run.api_id, integration_id, run.integration_uri)
    run.put("integration", {"id": integration_id, "uri": run.integration_uri})


def delete_integration(run: Run, step: Step) -> None:
    """The integration whose id is step.name (a duplicate: no route targets it any more)."""
    run.aws.delete_integration(run.api_id, step.name)


def adopt_integration(run: Run, step: Step) -> None:
    seen = run.observed.integration
    run.put("integration", {"id": seen.id, "uri": seen.uri})


INTEGRATION = {Action.CREATE: create_integration, Action.UPDATE: update_integration,
               Action.ADOPT: adopt_integration, Action.DELETE: delete_integration}
