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


def assert_converged(session, store, d):
    assert inventory(session) == expected_inventory(route_keys_of(d), reply_keys_of(d))
    assert record_matches_aws(session, store.load()) == []
    plan, _ = up(make_aws(session), d, store)
    assert plan.steps == (), [s.describe() for s in plan.steps]


def count_calls(scenario) -> int:
    """How many AWS calls the scenario's faulty command makes when nothing fails."""
    log = CallLog()
    scenario(log.attach, log.clear, check=False)
    return len(log.calls)


def run_with_fault(scenario, n: int, mode: str) -> tuple[str, str]:
    faults = Faults()
    scenario(lambda session: faults.attach(session), lambda: faults.arm(n, mode))
    return faults.failed


@contextmanager
def world(attach):
    """A fresh, strict moto with `attach` hooked in, and an empty project folder."""
    with mock_aws():
        session = boto3.Session(region_name=REGION)
        make_strict(session)
        attach(session)
        yield session, StateFile(Path(tempfile.mkdtemp(dir=_tmp_root[0])) / ".wsdeploy", "dev")


def fresh_up(attach, arm, check=True):
    with world(attach) as (session, store):
        arm()
        _expect_failure(lambda: up(make_aws(session), FIRST, store), check)
        if check:
            up(make_aws(session), FIRST, store)
            assert_converged(session, store, FIRST)
            down(make_aws(session), FIRST, store)
            assert inventory(session) == EMPTY and not store.exists()


def updating_up(attach, arm, check=True):
    with world(attach) as (session, store):
        up(make_aws(session), FIRST, store)
        arm()
        _expect_failure(lambda: up(make_aws(session), SECOND, store), check)
        if check:
            up(make_aws(session), SECOND, store)
            assert_converged(session, store, SECOND)
            down(make_aws(session), SECOND, store)
            assert inventory(session) == EMPTY


def failing_down(attach, arm, check=True):
    with world(attach) as (session, store):
        up(make_aws(session), FIRST, store)
        arm()
        _expect_failure(lambda: down(make_aws(session), FIRST, store), check)
        if check:
            down(make_aws(session), FIRST, store)
            assert inventory(session) == EMPTY and not store.exists()


_tmp_root: list[Path] = []


def _expect_failure(command, check: bool) -> None:
    if not check:
        command()
        return
    with pytest.raises(DeployError) as raised:
        command()
    message = str(raised.value)
    assert "injected" in message
    assert "`wsdeploy up`" in message or "`wsdeploy down`" in message or "again" in message


@pytest.fixture(autouse=True)
def _environment(monkeypatch, tmp_path):
    fake_aws_environment(monkeypatch)
    _tmp_root[:] = [tmp_path]


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
