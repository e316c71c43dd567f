"""The Lambda function: its settings and its code."""

from __future__ import annotations

from ..errors import AlreadyExists, AwsCallError
from ..live import Function
from ..ownership import require_tags
from ..desired import function_changes
from ..run import Run
from ..steps import Action, Step


def _function_record(function: Function) -> dict:
    return {"name": function.name, "arn": function.arn, "settings": {
        "role": function.role, "handler": function.handler, "runtime": function.runtime,
        "memory": function.memory, "timeout": function.timeout,
        "architecture": function.architecture,
        "environment_names": sorted(function.environment),   # names only: values may be secret
        **({"vpc": [list(function.vpc[0]), list(function.vpc[1])]} if function.vpc != ((), ()) else {})}}


def _saw_function(run: Run, function: Function) -> None:
    run.function_busy = function.busy
    run.put("function", _function_record(function))


def create_function(run: Run, step: Step) -> None:
    run.table_ready()
    try:
        _saw_function(run, run.aws.create_function(run.d.name, run.d.code, run.settings(), run.d.tags))
    except AlreadyExists:
        _adopt_existing_function(run)
    run.function_ready()   # the permission comes next, and Lambda wants it Active first


def _adopt_existing_function(run: Run) -> None:
    """A function of our name exists: ours by its tags, it gets our settings and code."""
    live = run.aws.get_function(run.d.name)
    if live is None:
        raise AwsCallError("GetFunction", "ResourceNotFoundException",
                           f"the function {run.d.name} existed, then vanished: run again")
    require_tags("Lambda function", run.d.name, live.tags, run.d)
    run.learn_identity(live.arn)
    _saw_function(run, live)
    settings = run.settings()
    changed, code_changes = function_changes(run.d, live, settings)
    if changed or live.failed:
        run.function_ready()
        _saw_function(run, run.aws.update_function_configuration(run.d.name, settings))
    if code_changes:
        run.function_ready()
        _saw_function(run, run.aws.update_function_code(run.d.name, run.d.code, run.d.architecture))


def update_function(run: Run, step: Step) -> None:
    run.table_ready()
    run.function_ready()
    _saw_function(run, run.aws.update_function_configuration(run.d.name, run.settings()))


def update_function_code(run: Run, step: Step) -> None:
    run.function_ready()
    _saw_function(run, run.aws.update_function_code(run.d.name, run.d.code, run.d.architecture))


def adopt_function(run: Run, step: Step) -> None:
    run.learn_identity(run.observed.function.live.arn)
    run.put("function", _function_record(run.observed.function.live))


def delete_function(run: Run, step: Step) -> None:
    """With its resource policy (the permission) and versions."""
    run.aws.delete_function(run.d.name)


FUNCTION = {Action.CREATE: create_function, Action.UPDATE: update_function,
            Action.ADOPT: adopt_function, Action.DELETE: delete_function}
FUNCTION_CODE = {Action.UPDATE: update_function_code}
