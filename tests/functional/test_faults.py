"""Fault injection: every AWS call of a fresh `up`, of an updating `up` and of `down` fails in
turn, either before it reaches AWS or after AWS did the work (the answer lost). Running the
command again must converge to exactly one of each resource, with a state file that matches
AWS, and a final `down` must leave nothing.

moto is made strict (tests/support/aws.py) so that it answers as AWS does where it is lenient.
"""

from __future__ import annotations

import tempfile
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from tests.support.aws import (EMPTY, REGION, CallLog, Faults, desired, expected_inventory,
                               fake_aws_environment, inventory, make_aws, make_strict,
                               record_matches_aws, reply_keys_of, route_keys_of)
from wsdeploy.errors import DeployError
from wsdeploy.provision.deploy import up
from wsdeploy.provision.teardown import apply_down, prepare_down
from wsdeploy.state import StateFile

FIRST = desired("v = 1\n", routes=(("join", True), ("leave", False)))
SECOND = replace(desired("v = 2\n", routes=(("join", False), ("shout", True))),
                 memory=512, retention_days=30, route_selection="$request.body.type")


def down(aws, d, store):
    apply_down(aws, d, store, prepare_down(aws, d, store))


def assert_converged(aws, store, d):
    session = aws.session
    assert inventory(session) == expected_inventory(route_keys_of(d), reply_keys_of(d))
    assert record_matches_aws(session, store.load()) == []
    plan, _ = up(aws, d, store)
    assert plan.steps == (), [s.describe() for s in plan.steps]


def count_calls(scenario) -> int:
    """How many AWS calls the scenario's faulty command makes when nothing fails."""
    log, made = CallLog(), []

    def faulty(command):
        log.clear()
        command()
        made.append(len(log.calls))

    scenario(log.attach, faulty)
    return made[0]


def run_with_fault(scenario, n: int, mode: str) -> tuple[str, str]:
    """Runs the scenario with its faulty command's n-th call broken; which call that was."""
    faults, failed = Faults(), []

    def faulty(command):
        faults.arm(n, mode)
        with pytest.raises(DeployError) as raised:
            command()
        failed.append(faults.failed)
        faults.arm(None)
        message = str(raised.value)
        assert "injected" in message
        assert "`wsdeploy up`" in message or "`wsdeploy down`" in message or "again" in message

    scenario(faults.attach, faulty)
    return failed[0]


@contextmanager
def world(attach):
    """A strict moto session with `attach` hooked in, and an empty project folder. moto's
    in-process backends stay up for the whole test (starting them is what costs), so each
    scenario ends by checking it left nothing behind."""
    session = boto3.Session(region_name=REGION)
    make_strict(session)
    attach(session)
    yield make_aws(session), StateFile(Path(tempfile.mkdtemp(dir=_tmp_root[0])) / ".wsdeploy", "dev")
    assert inventory(session) == EMPTY


def recover(aws, store, d):
    """Run `up` again: exactly one of each, matching the record; then `down` leaves nothing."""
    up(aws, d, store)
    assert_converged(aws, store, d)
    down(aws, d, store)
    assert not store.exists()


def fresh_up(attach, faulty):
    with world(attach) as (aws, store):
        faulty(lambda: up(aws, FIRST, store))
        recover(aws, store, FIRST)


def updating_up(attach, faulty):
    with world(attach) as (aws, store):
        up(aws, FIRST, store)
        faulty(lambda: up(aws, SECOND, store))
        recover(aws, store, SECOND)


def failing_down(attach, faulty):
    with world(attach) as (aws, store):
        up(aws, FIRST, store)
        faulty(lambda: down(aws, FIRST, store))
        down(aws, FIRST, store)
        assert not store.exists()


_tmp_root: list[Path] = []


@pytest.fixture(autouse=True)
def _environment(monkeypatch, tmp_path):
    fake_aws_environment(monkeypatch)
    _tmp_root[:] = [tmp_path]
    with mock_aws():
        yield


@pytest.mark.parametrize("mode", ["before", "after"])
@pytest.mark.parametrize("scenario", [fresh_up, updating_up, failing_down], ids=lambda f: f.__name__)
def test_a_failure_at_any_call_is_recovered_by_running_again(scenario, mode):
    total = count_calls(scenario)
    assert total >= 6
    failed = []
    for n in range(1, total + 1):
        failed.append(run_with_fault(scenario, n, mode))
    assert all(failed), "every call was made to fail once"
    assert len(failed) == total
