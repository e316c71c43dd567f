"""The function's reserved concurrency (`reserved_concurrency`)."""

from __future__ import annotations

from ..run import Run
from ..steps import Action, Step


def put_concurrency(run: Run, step: Step) -> None:
    run.function_ready()
    run.aws.put_function_concurrency(run.d.name, run.d.reserved_concurrency)
    run.put("concurrency", {"reserved": run.d.reserved_concurrency})


def adopt_concurrency(run: Run, step: Step) -> None:
    run.put("concurrency", {"reserved": run.observed.concurrency.reserved})


def delete_concurrency(run: Run, step: Step) -> None:
    run.function_ready()
    run.aws.delete_function_concurrency(run.d.name)


CONCURRENCY = {Action.CREATE: put_concurrency, Action.UPDATE: put_concurrency,
               Action.ADOPT: adopt_concurrency, Action.DELETE: delete_concurrency}
