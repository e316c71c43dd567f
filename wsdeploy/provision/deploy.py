"""`up` as three parts the CLI can show between: prepare (reads only), then apply."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..errors import DeployError
from ..state import StateFile
from . import record as rec
from .aws import Aws, AwsCallError
from .desired import Desired
from .executor import QuietReporter, Reporter, Run, execute
from .observe import Observed, observe
from .planner import Plan, plan


@dataclass(frozen=True)
class Prepared:
    record: dict | None
    observed: Observed
    plan: Plan


def shown(path: Path) -> str:
    """A path as the user would type it: relative to the current folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def prepare_up(aws: Aws, d: Desired, store: StateFile, refresh: bool = False) -> Prepared:
    """Loads the record, checks it fits, reads what exists and plans. Makes read calls only."""
    record = store.load()
    rec.check_matches(record, d, shown(store.path))
    aws.hide(value for _, value in d.user_environment)   # never in an error message
    with reading():
        observed = observe(aws, d, record, full=refresh)
    return Prepared(record, observed, plan(d, observed))


@contextmanager
def reading() -> Iterator[None]:
    """A failed look-up has changed nothing: say so, instead of the steps' recovery advice."""
    try:
        yield
    except AwsCallError as error:
        raise DeployError(f"looking up what exists failed, so nothing was changed: {error}\n"
                          "  Run the command again; if it keeps failing, check your network, "
                          "the region and the credentials' permissions") from error


def apply_up(aws: Aws, d: Desired, store: StateFile, prepared: Prepared,
             reporter: Reporter | None = None) -> str:
    """Runs the plan, recording each step; returns the wss:// URL."""
    aws.hide(value for _, value in d.user_environment)
    record = prepared.record or rec.new_record(d)
    run = Run(aws=aws, d=d, observed=prepared.observed, record=record, save=store.save)
    return execute(run, prepared.plan, reporter or QuietReporter(), shown(store.path))


def up(aws: Aws, d: Desired, store: StateFile, reporter: Reporter | None = None,
       refresh: bool = False) -> tuple[Plan, str]:
    """Prepare and apply in one go (tests and the benchmark); the CLI adds the lock."""
    prepared = prepare_up(aws, d, store, refresh)
    return prepared.plan, apply_up(aws, d, store, prepared, reporter)
