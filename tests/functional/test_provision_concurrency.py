"""reserved_concurrency against moto (strict): set, changed and removed with one call each,
seen in GetFunction's answer (no read of its own), drift in status, one set by hand left alone."""

from __future__ import annotations

from dataclasses import replace

from tests.support.aws_fixtures import STRICT_FIXTURES, aws, calls, desired, life, moto_session, session, store
from tests.support.aws_inventory import record_matches_aws
from wsdeploy.provision.deploy import up
from wsdeploy.provision.status import stage_status

__all__ = STRICT_FIXTURES

RESERVED = desired(reserved_concurrency=50)
PLAIN = desired()


def reserved(session) -> int | None:
    answer = session.client("lambda").get_function(FunctionName="chat-dev-ws")
    return (answer.get("Concurrency") or {}).get("ReservedConcurrentExecutions")


def test_set_changed_and_removed_with_one_call_each_and_no_read(session, aws, store, calls):
    plan, _ = up(aws, RESERVED, store)
    assert reserved(session) == 50
    assert [(s.action.value, s.changes) for s in plan.steps if s.kind.value == "concurrency"] == [
        ("create", ("reserved 50",))]
    assert "GetFunctionConcurrency" not in calls.operations
    calls.clear()
    assert up(aws, RESERVED, store)[0].steps == () and calls.writes == []
    calls.clear()
    up(aws, replace(RESERVED, reserved_concurrency=10), store)
    assert reserved(session) == 10 and calls.writes == ["PutFunctionConcurrency"]
    calls.clear()
    up(aws, PLAIN, store)
    assert reserved(session) is None and calls.writes == ["DeleteFunctionConcurrency"]
    assert "concurrency" not in store.load()["resources"]
    assert record_matches_aws(session, store.load()) == []


def test_status_shows_a_change_by_hand_and_up_puts_it_back(session, aws, store):
    up(aws, RESERVED, store)
    session.client("lambda").put_function_concurrency(FunctionName="chat-dev-ws", ReservedConcurrentExecutions=7)
    drift = stage_status(aws, RESERVED, store.load(), None).drift
    assert [(r.type, r.status, r.fields) for r in drift] == [("concurrency", "drifted", ("reserved",))]
    assert [s.action.value for s in up(aws, RESERVED, store)[0].steps] == ["update"]
    assert reserved(session) == 50


def test_one_set_by_hand_is_left_alone(session, aws, store):
    up(aws, PLAIN, store)
    session.client("lambda").put_function_concurrency(FunctionName="chat-dev-ws", ReservedConcurrentExecutions=7)
    assert up(aws, PLAIN, store)[0].steps == ()
    assert reserved(session) == 7
