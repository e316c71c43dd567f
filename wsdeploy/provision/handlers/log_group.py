"""The function's CloudWatch log group and its retention."""

from __future__ import annotations

from ..errors import AlreadyExists
from ..run import Run
from ..steps import Action, Step


def create_log_group(run: Run, step: Step) -> None:
    try:
        run.aws.create_log_group(run.d.log_group, run.d.tags)
    except AlreadyExists:
        pass    # the function's own group (Lambda makes it on first use): its retention is set next
    run.aws.put_retention(run.d.log_group, run.d.retention_days)
    run.put("log_group", {"name": run.d.log_group, "retention_days": run.d.retention_days})


def update_log_group(run: Run, step: Step) -> None:
    run.aws.put_retention(run.d.log_group, run.d.retention_days)
    run.put("log_group", {"name": run.d.log_group, "retention_days": run.d.retention_days})


def adopt_log_group(run: Run, step: Step) -> None:
    run.put("log_group", {"name": run.d.log_group,
                          "retention_days": run.observed.log_group.retention_days})


def delete_log_group(run: Run, step: Step) -> None:
    run.aws.delete_log_group(run.d.log_group)


LOG_GROUP = {Action.CREATE: create_log_group, Action.UPDATE: update_log_group,
             Action.ADOPT: adopt_log_group, Action.DELETE: delete_log_group}
