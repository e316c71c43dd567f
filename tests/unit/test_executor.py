"""The one executor and the registry of kinds, without AWS: a stub stands in for the calls.

What is checked here is the executor's own decisions: which handler a step gets, what the
record forgets after a delete (and what it keeps when a duplicate goes), that the record is
saved after every step, the one failure message for up and down, and what `up` drops from a
record before it starts. The handlers' AWS calls are tested against moto elsewhere.
"""

from __future__ import annotations

import copy

import pytest

from tests.support.aws_fixtures import desired
from wsdeploy.errors import DeployError
from wsdeploy.provision.deploy import forget_what_is_gone
from wsdeploy.provision.errors import AwsCallError
from wsdeploy.provision.executor import (DOWN_RECOVERY, UP_RECOVERY, QuietReporter, execute,
                                         recorded_summary)
from wsdeploy.provision.kinds import REGISTRY, record_keys
from wsdeploy.provision.run import Run
from wsdeploy.provision.seen import Observed, SeenRoute
from wsdeploy.provision.steps import Action, Kind, Step

D = desired()


class StubAws:
    """Records each call by name; a call named in `fail` raises AwsCallError as AWS would."""

    def __init__(self, fail: str | None = None) -> None:
        self.calls: list[tuple] = []
        self.fail = fail

    def __getattr__(self, name: str):
        def call(*args, **kwargs):
            self.calls.append((name, *args))
            if name == self.fail:
                raise AwsCallError(name, "InternalFailure", "injected")
        return call


def full_record() -> dict:
    return {"app": "chat", "stage": "dev", "region": D.region, "name": D.name, "resources": {
        "role": {"name": D.name, "arn": "arn:aws:iam::1:role/chat-dev-ws", "trust_sha256": "t"},
        "role_policy": {"name": "wsdeploy", "sha256": "p"},
        "log_group": {"name": D.log_group, "retention_days": 14},
        "table": {"name": D.connections_table, "arn": "arn:table", "billing_mode": "x", "ttl": "ttl"},
        "api": {"id": "api1", "name": D.name, "route_selection": "$request.body.action"},
        "function": {"name": D.name, "arn": "arn:fn", "settings": {}},
        "permission": {"statement_id": "s", "source_arn": "arn:src"},
        "integration": {"id": "int1", "uri": "uri"},
        "routes": {"$connect": {"id": "r1", "target": "integrations/int1", "reply": False,
                                "response_id": None},
                   "join": {"id": "r2", "target": "integrations/int1", "reply": True,
                            "response_id": "resp2"}},
        "stage": {"name": "dev"}}}


def run_steps(steps, record, aws=None, recovery=DOWN_RECOVERY):
    saved = []
    run = Run(aws=aws or StubAws(), d=D, record=record, save=lambda r: saved.append(copy.deepcopy(r)))
    execute(run, steps, QuietReporter(), ".wsdeploy/dev.json", recovery)
    return run, saved


# -- the registry --------------------------------------------------------------------------------
def test_every_kind_has_one_entry_and_a_handler_for_each_action_it_is_planned_with():
    assert [s.kind for s in REGISTRY] == list(Kind)
    assert Kind.FUNCTION_CODE.resource is Kind.FUNCTION and Kind.ROLE.resource is Kind.ROLE
    deletable = {s.kind for s in REGISTRY if Action.DELETE in s.handlers}
    assert deletable >= {Kind.API, Kind.FUNCTION, Kind.TABLE, Kind.ROLE_POLICY, Kind.ROLE,
                         Kind.LOG_GROUP, Kind.INTEGRATION, Kind.ROUTE, Kind.ROUTE_RESPONSE}


def test_the_record_keys_are_the_state_files_layout_in_order():
    assert record_keys() == ("role", "role_policy", "log_group", "table", "api", "function",
                             "permission", "integration", "routes", "stage", "domain_name",
                             "api_mapping", "dns_records", "authorizer", "authorizer_permission",
                             "http_api", "http_integration", "http_route", "http_stage",
                             "http_permission", "app_policy", "managed_policies", "concurrency")


def test_a_step_written_with_strings_is_typed():
    step = Step("role_policy", "delete", "x")
    assert step.kind is Kind.ROLE_POLICY and step.action is Action.DELETE
    assert step.describe() == "delete role policy x"
    with pytest.raises(ValueError):
        Step("no_such_kind", "create", "x")


# -- what the record forgets -----------------------------------------------------------------------
def test_deleting_the_api_forgets_what_went_with_it_and_saves_after_each_step():
    record = full_record()
    steps = [Step(Kind.API, Action.DELETE, "api1"), Step(Kind.FUNCTION, Action.DELETE, D.name)]
    run, saved = run_steps(steps, record)
    assert [c[0] for c in run.aws.calls] == ["delete_api", "delete_function"]
    assert set(saved[0]["resources"]) == {"role", "role_policy", "log_group", "table", "function",
                                          "permission"}
    assert set(saved[1]["resources"]) == {"role", "role_policy", "log_group", "table"}


def test_deleting_a_duplicate_api_or_integration_forgets_nothing_recorded():
    record = full_record()
    steps = [Step(Kind.INTEGRATION, Action.DELETE, "int9"), Step(Kind.API, Action.DELETE, "api9")]
    _, saved = run_steps(steps, record, recovery=UP_RECOVERY)
    assert saved[-1]["resources"] == full_record()["resources"]


def test_deleting_a_route_or_its_response_updates_only_its_entry(monkeypatch):
    record = full_record()
    observed = Observed(identity=None, routes=(SeenRoute("join", "r2", "t", True, True, "resp2"),))
    run = Run(aws=StubAws(), d=D, record=record, save=lambda r: None, observed=observed)
    steps = [Step(Kind.ROUTE_RESPONSE, Action.DELETE, "join"), Step(Kind.ROUTE, Action.DELETE, "join")]
    execute(run, steps[:1], QuietReporter(), "x", UP_RECOVERY)
    assert record["resources"]["routes"]["join"]["response_id"] is None
    execute(run, steps[1:], QuietReporter(), "x", UP_RECOVERY)
    assert set(record["resources"]["routes"]) == {"$connect"}
    assert [c[0] for c in run.aws.calls] == ["delete_route_response", "delete_route"]


def test_down_without_a_record_deletes_and_saves_nothing():
    run, saved = run_steps([Step(Kind.LOG_GROUP, Action.DELETE, D.log_group)], {})
    assert run.aws.calls == [("delete_log_group", D.log_group)]
    assert saved == [{}]     # the caller's save is a no-op without a state file


# -- one failure message ------------------------------------------------------------------------
@pytest.mark.parametrize("recovery", [UP_RECOVERY, DOWN_RECOVERY])
def test_a_failed_step_stops_the_run_with_one_message_and_keeps_what_was_recorded(recovery):
    record = full_record()
    steps = [Step(Kind.TABLE, Action.DELETE, D.connections_table),
             Step(Kind.FUNCTION, Action.DELETE, D.name), Step(Kind.ROLE, Action.DELETE, D.name)]
    with pytest.raises(DeployError) as raised:
        run_steps(steps, record, aws=StubAws(fail="delete_function"), recovery=recovery)
    message = str(raised.value)
    assert message.startswith(f"step 2 of 3 failed: delete function {D.name}\n")
    assert "AWS said: InternalFailure: injected" in message
    assert f"To go on: {recovery}" in message
    assert "table" not in record["resources"] and "function" in record["resources"]
    assert f"records: role {D.name}; role policy wsdeploy; log group {D.log_group}; api api1" in message


def test_a_role_that_cannot_be_deleted_says_what_to_detach():
    class Conflict(StubAws):
        def __getattr__(self, name):
            if name == "delete_role":
                def refuse(*args):
                    raise AwsCallError("DeleteRole", "DeleteConflict", "must detach all policies first")
                return refuse
            return super().__getattr__(name)

    with pytest.raises(DeployError, match="attached to the role by hand"):
        run_steps([Step(Kind.ROLE, Action.DELETE, D.name)], full_record(), aws=Conflict())


def test_the_summary_names_what_is_recorded_in_the_registrys_order():
    assert recorded_summary(None) == ""
    assert recorded_summary({"resources": {"stage": {"name": "dev"}, "role": {"name": "r"},
                                           "routes": {"b": {}, "a": {}}}}) == "role r; routes a, b; stage dev"


# -- up forgets what is gone before it starts ------------------------------------------------------
def test_up_forgets_what_the_look_ups_found_gone():
    record = full_record()
    observed = Observed(identity=None, routes=(SeenRoute("$connect", "r1", "t", False, True),
                                               SeenRoute("join", "r2-new", "t", True, False)))
    assert forget_what_is_gone(record, observed)
    assert record["resources"] == {"routes": {"$connect": full_record()["resources"]["routes"]["$connect"]}}
    assert not forget_what_is_gone(record, observed)
