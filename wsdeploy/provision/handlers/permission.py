"""The statement of the function's resource policy that lets API Gateway invoke it."""

from __future__ import annotations

from ..desired import PERMISSION_ID, permission_source_arn
from ..errors import AlreadyExists
from ..run import Run
from ..steps import Action, Step


def create_permission(run: Run, step: Step) -> None:
    run.function_ready()
    source = permission_source_arn(run.d, run.partition, run.account, run.api_id)
    try:
        run.aws.add_permission(run.d.name, PERMISSION_ID, source)
    except AlreadyExists:   # the statement id exists (an update in progress is waited out in aws)
        if run.aws.get_permission_source(run.d.name, PERMISSION_ID) != source:
            replace_permission(run, step)
            return
    run.put("permission", {"statement_id": PERMISSION_ID, "source_arn": source})


def replace_permission(run: Run, step: Step) -> None:
    """A statement cannot be edited: remove it and add it again (a moment without it)."""
    run.function_ready()
    source = permission_source_arn(run.d, run.partition, run.account, run.api_id)
    run.aws.remove_permission(run.d.name, PERMISSION_ID)
    run.aws.add_permission(run.d.name, PERMISSION_ID, source)
    run.put("permission", {"statement_id": PERMISSION_ID, "source_arn": source})


def adopt_permission(run: Run, step: Step) -> None:
    run.put("permission", {"statement_id": PERMISSION_ID,
                           "source_arn": run.observed.permission.source_arn})


PERMISSION = {Action.CREATE: create_permission, Action.UPDATE: replace_permission,
              Action.ADOPT: adopt_permission}
