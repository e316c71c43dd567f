"""The statement of the function's resource policy that lets API Gateway invoke it."""

from __future__ import annotations

from ..desired import PERMISSION_ID, permission_source_arn
from ..errors import AlreadyExists
from ..run import Run
from ..steps import Action, Step


def add_statement(run: Run, record_key: str, statement_id: str, source: str) -> None:
    """Adds the statement, or puts right one that exists with another source; records it."""
    run.function_ready()
    try:
        run.aws.add_permission(run.d.name, statement_id, source)
    except AlreadyExists:   # the statement id exists (an update in progress is waited out in aws)
        if run.aws.get_permission_source(run.d.name, statement_id) != source:
            replace_statement(run, record_key, statement_id, source)
            return
    run.put(record_key, {"statement_id": statement_id, "source_arn": source})


def replace_statement(run: Run, record_key: str, statement_id: str, source: str) -> None:
    """A statement cannot be edited: remove it and add it again (a moment without it)."""
    run.function_ready()
    run.aws.remove_permission(run.d.name, statement_id)
    run.aws.add_permission(run.d.name, statement_id, source)
    run.put(record_key, {"statement_id": statement_id, "source_arn": source})


def _source(run: Run) -> str:
    return permission_source_arn(run.d, run.partition, run.account, run.api_id)


def create_permission(run: Run, step: Step) -> None:
    add_statement(run, "permission", PERMISSION_ID, _source(run))


def replace_permission(run: Run, step: Step) -> None:
    replace_statement(run, "permission", PERMISSION_ID, _source(run))


def adopt_permission(run: Run, step: Step) -> None:
    run.put("permission", {"statement_id": PERMISSION_ID,
                           "source_arn": run.observed.permission.source_arn})


PERMISSION = {Action.CREATE: create_permission, Action.UPDATE: replace_permission,
              Action.ADOPT: adopt_permission}
