"""The one executor: runs steps, `up`'s and `down`'s alike, recording each result at once.

Why at once: a run killed between two steps leaves a record that is true, and one killed
between a call and its record leaves a resource the next run finds by name and tags and
adopts. Each step's handler comes from the registry (`kinds.py`); after a delete, the
registry says what the record forgets. A step that fails stops the run with one message:
which step, what AWS said, what the record holds, and how to go on.

A create that AWS answers "already exists" (`errors.AlreadyExists`: a run whose answer was
lost, or a concurrent one, made it) adopts what exists when it is ours by name and tags, and
brings it to what is desired, as the next run would have (that is the create handlers' job).
"""

from __future__ import annotations

from typing import Protocol, Sequence

from ..errors import DeployError
from .errors import AwsCallError
from .kinds import REGISTRY, spec
from .run import Run
from .steps import Action, Step

# How to go on after a failed step, per command.
UP_RECOVERY = ("`wsdeploy up` resumes from here (what exists is found and kept), or "
               "`wsdeploy down` removes everything created so far")
DOWN_RECOVERY = ("run `wsdeploy down` again to remove the rest (what is gone already is fine), "
                 "or `wsdeploy up` to deploy again")


class Reporter(Protocol):
    """What the CLI shows while steps run; provision never imports Rich itself."""

    def step_started(self, index: int, total: int, step: Step) -> None: ...
    def step_done(self, index: int, total: int, step: Step) -> None: ...
    def notice(self, message: str) -> None: ...


class QuietReporter:
    def step_started(self, index: int, total: int, step: Step) -> None: pass
    def step_done(self, index: int, total: int, step: Step) -> None: pass
    def notice(self, message: str) -> None: pass


def execute(run: Run, steps: Sequence[Step], reporter: Reporter, where: str, recovery: str) -> None:
    """Runs every step in order, saving the record after each; a failed step raises
    DeployError. `where` names the state file, `recovery` says how to go on."""
    total = len(steps)
    for index, step in enumerate(steps, 1):
        reporter.step_started(index, total, step)
        kind = spec(step.kind)
        try:
            kind.handlers[step.action](run, step)
        except AwsCallError as error:
            raise DeployError(failure_message(step, index, total, error, run.record, where,
                                              recovery)) from error
        if step.action == Action.DELETE:
            kind.forget(run.record, step)
        run.save(run.record)
        reporter.step_done(index, total, step)


def failure_message(step: Step, index: int, total: int, error: AwsCallError, record: dict | None,
                    where: str, recovery: str) -> str:
    return (f"step {index} of {total} failed: {step.describe()}\n"
            f"  AWS said: {error.code}: {error.message}\n"
            f"  {where} records: {recorded_summary(record) or 'nothing yet'}\n"
            f"  To go on: {recovery}")


def recorded_summary(record: dict | None) -> str:
    """What the record names, in the registry's order: "role chat-dev-ws; api abc123; ..."."""
    resources = (record or {}).get("resources", {})
    parts = []
    for kind in REGISTRY:
        value = resources.get(kind.record_key) if kind.record_key else None
        if kind.record_key == "routes" and value:
            parts.append(f"routes {', '.join(sorted(value))}")
        elif value:
            parts.append(f"{kind.label} {value.get('id') or value.get('name') or ''}".strip())
    return "; ".join(parts)
