"""Fault injection: every AWS call of a fresh `up`, of an updating `up` and of `down` fails in
turn, either before it reaches AWS or after AWS did the work (the answer lost, after
botocore's retries: "after"; or the answer to the first attempt lost, through botocore's
retry handler, which re-sends what it may: "lost"). Running the command again must converge
to exactly one of each resource, with a state file that matches AWS, and a final `down` must
leave nothing. In "lost" mode a read, update or delete is re-sent by botocore and the command
may well succeed; a create is never re-sent (a second CreateApi would be a second API).

FIRST tracks connections, so the fresh up and down include the table's calls (DescribeTable,
CreateTable, the polls until ACTIVE, UpdateTimeToLive, DeleteTable); SECOND turns tracking
off (UpdateFunctionConfiguration, PutRolePolicy, DeleteTable), and `turning_tracking_on` the
other way (CreateTable, PutRolePolicy, UpdateTimeToLive, UpdateFunctionConfiguration).

moto is made strict (tests/support/aws.py) so that it answers as AWS does where it is lenient:
among others, a new table is CREATING at first and refuses TTL until ACTIVE, a deleted one is
DELETING for a while, and TTL cannot be turned on twice.
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
from wsdeploy.provision.desired import DesiredConnections
from wsdeploy.provision.teardown import apply_down, prepare_down
from wsdeploy.state import StateFile

TRACKING = DesiredConnections(ttl_hours=2, track=True)
FIRST = desired("v = 1\n", routes=(("join", True), ("leave", False)), connections=TRACKING)
SECOND = replace(desired("v = 2\n", routes=(("join", False), ("shout", True))),
                 memory=512, retention_days=30, route_selection="$request.body.type")
UNTRACKED = replace(FIRST, connections=None)


def down(aws, d, store):
    apply_down(aws, d, store, prepare_down(aws, d, store))


def assert_converged(aws, store, d):
    session = aws.session
    assert inventory(session) == expected_inventory(route_keys_of(d), reply_keys_of(d),
                                                    tables=1 if d.connections else 0)
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
        try:
            command()
        except DeployError as raised:
            message = str(raised)
            assert "injected" in message
            assert "`wsdeploy up`" in message or "`wsdeploy down`" in message or "again" in message
        else:
            assert mode == "lost", f"call {n} ({faults.failed}) failed, and the command did not"
        failed.append(faults.failed)
        faults.arm(None)

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


def turning_tracking_on(attach, faulty):
    with world(attach) as (aws, store):
        up(aws, UNTRACKED, store)
        faulty(lambda: up(aws, FIRST, store))
        recover(aws, store, FIRST)


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


@pytest.mark.parametrize("mode", ["before", "after", "lost"])
@pytest.mark.parametrize("scenario", [fresh_up, updating_up, turning_tracking_on, failing_down],
                         ids=lambda f: f.__name__)
def test_a_failure_at_any_call_is_recovered_by_running_again(scenario, mode):
    total = count_calls(scenario)
    assert total >= 6
    failed = []
    for n in range(1, total + 1):
        failed.append(run_with_fault(scenario, n, mode))
    assert all(failed), "every call was made to fail once"
    assert len(failed) == total


TABLE_CALLS = {
    fresh_up: {"DescribeTable", "CreateTable", "UpdateTimeToLive"},
    updating_up: {"DeleteTable", "PutRolePolicy", "UpdateFunctionConfiguration"},
    turning_tracking_on: {"DescribeTable", "CreateTable", "PutRolePolicy", "UpdateTimeToLive",
                          "UpdateFunctionConfiguration"},
    failing_down: {"DeleteTable"},
}


@pytest.mark.parametrize("scenario", list(TABLE_CALLS), ids=lambda f: f.__name__)
def test_the_scenarios_include_the_tables_calls(scenario):
    """Keeps the scenarios honest: the calls they break include every call of the table."""
    log, made = CallLog(), []

    def faulty(command):
        log.clear()
        command()
        made.extend(log.operations)

    scenario(log.attach, faulty)
    assert TABLE_CALLS[scenario] <= set(made), made
    if scenario in (fresh_up, turning_tracking_on):
        polls = [i for i, op in enumerate(made) if op == "DescribeTable"]
        assert made.index("CreateTable") < polls[-1] < made.index("UpdateTimeToLive")
