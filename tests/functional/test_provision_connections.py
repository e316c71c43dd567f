"""Connection tracking's DynamoDB table against moto in-process (made strict, so tables go
through CREATING and DELETING as on AWS): what `up` creates, grants and sets, turning it off
and on again, `down`, dry-run, status drift, adoption, refusals and waits."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from tests.support.aws_fixtures import (ACCOUNT, REGION, STRICT_FIXTURES, FakeClock, aws, calls,
                                        desired, down, life, make_aws, moto_session, session,
                                        store)
from tests.support.aws_inventory import (EMPTY, expected_inventory, inventory, record_matches_aws,
                                         route_keys_of)
from tests.support.aws_strict import _error
from wsdeploy.errors import DeployError, UserError
from wsdeploy.provision.handlers.api import SETTLE_SECONDS
from wsdeploy.provision.deploy import prepare_up, up
from wsdeploy.provision.desired import DesiredConnections
from wsdeploy.provision.status import stage_status
from wsdeploy.provision.teardown import apply_down, prepare_down

__all__ = STRICT_FIXTURES   # the fixtures, imported for pytest

TABLE = "chat-dev-ws-connections"
TABLE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TABLE}"
TRACKED = desired(connections=DesiredConnections(ttl_hours=2, track=True))
PLAIN = desired()
# A fresh up of PLAIN makes 17 calls (the new API's look for a twin among them) and 12
# writes; the table adds its look-up, CreateTable, the polls until it is ACTIVE (two here:
# the strict layer answers CREATING once) and UpdateTimeToLive.
CALL_GOAL_FRESH_TRACKED, WRITES_FRESH_TRACKED = 22, 14


def policy_of(session) -> dict:
    return session.client("iam").get_role_policy(RoleName="chat-dev-ws", PolicyName="wsdeploy")["PolicyDocument"]


def environment_of(session) -> dict:
    config = session.client("lambda").get_function(FunctionName="chat-dev-ws")["Configuration"]
    return config["Environment"]["Variables"]


def table_grants(session) -> list[dict]:
    return [s for s in policy_of(session)["Statement"] if "dynamodb" in json.dumps(s)]


# -- a fresh up ---------------------------------------------------------------------------------
def test_the_table_is_created_on_demand_with_the_runtimes_keys_ttl_and_tags(session, aws, store):
    up(aws, TRACKED, store)
    ddb = session.client("dynamodb")
    table = ddb.describe_table(TableName=TABLE)["Table"]
    assert table["TableStatus"] == "ACTIVE" and table["TableArn"] == TABLE_ARN
    assert table["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"},
                                  {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert sorted((a["AttributeName"], a["AttributeType"]) for a in table["AttributeDefinitions"]) == [
        ("pk", "S"), ("sk", "S")]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert not table.get("GlobalSecondaryIndexes") and not table.get("LocalSecondaryIndexes")
    assert ddb.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "ttl"}
    tags = {t["Key"]: t["Value"] for t in ddb.list_tags_of_resource(ResourceArn=TABLE_ARN)["Tags"]}
    assert tags == {"wsdeploy:app": "chat", "wsdeploy:stage": "dev"}
    assert inventory(session) == expected_inventory(route_keys_of(TRACKED), tables=1)
    record = store.load()
    assert record["resources"]["table"] == {"name": TABLE, "arn": TABLE_ARN,
                                            "billing_mode": "PAY_PER_REQUEST", "ttl": "ttl"}
    assert record_matches_aws(session, record) == []


def test_the_role_may_make_exactly_the_runtimes_four_item_calls_on_that_table_only(session, aws, store):
    up(aws, TRACKED, store)
    assert table_grants(session) == [{
        "Sid": "ConnectionsTable", "Effect": "Allow",
        "Action": ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:GetItem", "dynamodb:Query"],
        "Resource": TABLE_ARN}]
    statements = policy_of(session)["Statement"]
    assert len(statements) == 3 and "*" not in json.dumps([s["Action"] for s in statements])
    assert session.client("iam").list_attached_role_policies(RoleName="chat-dev-ws")["AttachedPolicies"] == []


def test_the_function_is_told_the_table_the_ttl_and_to_track(session, aws, store):
    up(aws, TRACKED, store)
    env = environment_of(session)
    assert {k: v for k, v in env.items() if k.startswith("WSDEPLOY_CONNECTIONS")} == {
        "WSDEPLOY_CONNECTIONS_TABLE": TABLE, "WSDEPLOY_CONNECTIONS_TTL_HOURS": "2",
        "WSDEPLOY_CONNECTIONS_TRACK": "1"}
    assert env["LOG_LEVEL"] == "info" and env["WSDEPLOY_HANDLER_MODULE"] == "app"


def test_without_track_the_variable_is_absent_and_ttl_hours_keep_their_fraction(session, aws, store):
    up(aws, desired(connections=DesiredConnections(ttl_hours=1.5, track=False)), store)
    env = environment_of(session)
    assert env["WSDEPLOY_CONNECTIONS_TTL_HOURS"] == "1.5" and "WSDEPLOY_CONNECTIONS_TRACK" not in env


def test_a_fresh_up_writes_each_thing_once_and_waits_for_the_table_before_ttl_and_function(aws, calls, store):
    up(aws, TRACKED, store)
    ops = calls.operations
    assert len(ops) <= CALL_GOAL_FRESH_TRACKED
    assert len(calls.writes) == WRITES_FRESH_TRACKED
    assert not {"UpdateFunctionConfiguration", "UpdateTable"} & set(ops)
    assert calls.writes.count("PutRolePolicy") == 1 and calls.writes.count("UpdateTimeToLive") == 1
    last_poll = len(ops) - 1 - ops[::-1].index("DescribeTable")
    assert ops.index("CreateTable") < last_poll < ops.index("UpdateTimeToLive") < ops.index("CreateFunction")
    # the table's seconds of creation pass while the role policy and the API are made
    assert ops.index("CreateTable") < ops.index("CreateApi") < ops.index("PutRolePolicy") < last_poll


def test_a_no_op_up_reads_nothing_for_the_table(aws, calls, store):
    up(aws, TRACKED, store)
    calls.clear()
    plan, _ = up(aws, TRACKED, store)
    assert plan.steps == () and calls.writes == []
    assert calls.operations == ["GetFunction", "GetApi", "GetRoutes", "GetRolePolicy"]


def test_a_code_only_up_writes_the_code_only(aws, calls, store):
    up(aws, TRACKED, store)
    calls.clear()
    up(aws, replace(TRACKED, **{k: getattr(desired("changed = 1\n"), k) for k in ("code", "code_sha256")}), store)
    assert calls.writes == ["UpdateFunctionCode"] and "DescribeTable" not in calls.operations


# -- turning it on and off --------------------------------------------------------------------
def test_turning_it_on_creates_table_grant_ttl_and_variables_once_each(session, aws, calls, store):
    up(aws, PLAIN, store)
    assert table_grants(session) == []
    calls.clear()
    up(aws, TRACKED, store)
    assert calls.writes == ["CreateTable", "PutRolePolicy", "UpdateTimeToLive", "UpdateFunctionConfiguration"]
    assert len(table_grants(session)) == 1
    assert environment_of(session)["WSDEPLOY_CONNECTIONS_TABLE"] == TABLE
    assert inventory(session) == expected_inventory(route_keys_of(TRACKED), tables=1)
    assert record_matches_aws(session, store.load()) == []


def test_turning_it_off_removes_variables_grant_and_table_and_the_plan_says_the_data_goes(session, aws, calls, store):
    up(aws, TRACKED, store)
    calls.clear()
    prepared = prepare_up(aws, PLAIN, store)
    assert calls.writes == []
    assert [s.describe() for s in prepared.plan.steps][-1] == (
        f"delete table {TABLE}: connection tracking is off; this deletes every item in it")
    assert any("every connection and room membership" in note for note in prepared.plan.notes)
    calls.clear()
    up(aws, PLAIN, store)
    assert calls.writes == ["UpdateFunctionConfiguration", "PutRolePolicy", "DeleteTable"]
    assert not any(k.startswith("WSDEPLOY_CONNECTIONS") for k in environment_of(session))
    assert table_grants(session) == [] and len(policy_of(session)["Statement"]) == 2
    assert inventory(session) == expected_inventory(route_keys_of(PLAIN))
    assert "table" not in store.load()["resources"]
    calls.clear()
    assert up(aws, PLAIN, store)[0].steps == () and calls.writes == []


def test_turning_it_on_again_at_once_waits_for_the_old_tables_deletion(session, store):
    clock = FakeClock()
    aws = make_aws(session, clock)
    up(aws, TRACKED, store)
    up(aws, PLAIN, store)                   # the table is DELETING for a while, as on AWS
    plan, _ = up(aws, TRACKED, store)
    assert plan.steps[0].describe().endswith("once the old one's deletion has finished")
    assert inventory(session) == expected_inventory(route_keys_of(TRACKED), tables=1)
    assert record_matches_aws(session, store.load()) == []


def test_changed_ttl_hours_or_track_only_update_the_function(session, aws, calls, store):
    up(aws, TRACKED, store)
    calls.clear()
    up(aws, desired(connections=DesiredConnections(ttl_hours=4, track=False)), store)
    assert calls.writes == ["UpdateFunctionConfiguration"]
    env = environment_of(session)
    assert env["WSDEPLOY_CONNECTIONS_TTL_HOURS"] == "4" and "WSDEPLOY_CONNECTIONS_TRACK" not in env


# -- down ---------------------------------------------------------------------------------------
def test_down_deletes_the_table_after_the_function_and_twice_is_harmless(session, aws, calls, store):
    up(aws, TRACKED, store)
    calls.clear()
    teardown = prepare_down(aws, TRACKED, store)
    assert [s.describe() for s in teardown.steps][2] == f"delete table {TABLE}: with every item in it"
    apply_down(aws, TRACKED, store, teardown)
    assert calls.writes == ["DeleteApi", "DeleteFunction", "DeleteTable", "DeleteRolePolicy",
                            "DeleteRole", "DeleteLogGroup"]
    assert inventory(session) == EMPTY and not store.exists()
    calls.clear()
    down(aws, TRACKED, store)
    assert calls.writes == []


def test_down_finds_the_table_by_name_and_tags_whatever_the_config_says_now(session, aws, store):
    up(aws, TRACKED, store)
    store.remove()
    down(aws, PLAIN, store)                 # a lost state file, and tracking since turned off
    assert inventory(session) == EMPTY


def test_down_of_a_table_still_being_created_waits_then_deletes_it(session, life, calls, store):
    clock = FakeClock()
    aws = make_aws(session, clock)

    def stop_before_ttl(model, **_):
        if model.name == "UpdateTimeToLive":
            return _error(model.name, "InternalFailure", "stopped here")
        return None

    session.events.register_first("before-call.dynamodb.UpdateTimeToLive", stop_before_ttl)
    with pytest.raises(DeployError, match="update table ttl"):
        up(aws, TRACKED, store)
    life.creating[TABLE] = 3                # still being created when down comes
    calls.clear()
    down(aws, TRACKED, store)
    assert calls.writes.count("DeleteTable") == 2     # refused while CREATING, then done
    first, second = [i for i, op in enumerate(calls.operations) if op == "DeleteTable"]
    assert "DescribeTable" in calls.operations[first:second]      # waited for it in between
    assert inventory(session) == EMPTY


# -- adoption and refusals -----------------------------------------------------------------------
def test_a_lost_state_file_adopts_the_table_without_a_write(session, aws, calls, store):
    up(aws, TRACKED, store)
    first = store.load()
    store.remove()
    calls.clear()
    plan, _ = up(aws, TRACKED, store)
    assert ("table", "adopt") in {(s.kind, s.action) for s in plan.steps}
    assert calls.writes == []
    assert {"DescribeTable", "ListTagsOfResource", "DescribeTimeToLive"} <= set(calls.reads)
    assert store.load()["resources"] == first["resources"]
    assert inventory(session) == expected_inventory(route_keys_of(TRACKED), tables=1)


def test_a_table_created_but_unrecorded_is_adopted_and_its_ttl_turned_on(session, aws, store):
    ddb = session.client("dynamodb")
    ddb.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                {"AttributeName": "sk", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "S"}],
                     Tags=[{"Key": "wsdeploy:app", "Value": "chat"}, {"Key": "wsdeploy:stage", "Value": "dev"}])
    plan, _ = up(aws, TRACKED, store)
    assert [(s.kind, s.action) for s in plan.steps if "table" in s.kind] == [
        ("table", "adopt"), ("table_ttl", "update")]
    assert ddb.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]["TimeToLiveStatus"] == "ENABLED"
    assert inventory(session)["tables"] == 1


def test_a_same_named_table_without_our_tags_is_never_taken_over_nor_deleted(session, aws, calls, store):
    session.client("dynamodb").create_table(
        TableName=TABLE, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    calls.clear()
    with pytest.raises(UserError, match=f"DynamoDB table named {TABLE} exists but is not tagged"):
        up(aws, TRACKED, store)
    assert calls.writes == []
    up(aws, PLAIN, store)                   # without tracking it is not even looked at
    teardown = prepare_down(aws, PLAIN, store)
    assert all(step.kind != "table" for step in teardown.steps)
    assert any(TABLE in notice and "left alone" in notice for notice in teardown.notices)
    apply_down(aws, PLAIN, store, teardown)
    assert inventory(session)["tables"] == 1


def test_a_tagged_table_with_other_keys_is_refused_before_any_write(session, aws, calls, store):
    session.client("dynamodb").create_table(
        TableName=TABLE, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        Tags=[{"Key": "wsdeploy:app", "Value": "chat"}, {"Key": "wsdeploy:stage", "Value": "dev"}])
    calls.clear()
    with pytest.raises(UserError, match="other keys"):
        up(aws, TRACKED, store)
    assert calls.writes == []


# -- dry run, status, refresh ----------------------------------------------------------------------
def test_dry_run_reads_only_and_lists_the_table(aws, calls, store):
    prepared = prepare_up(aws, TRACKED, store)
    assert calls.writes == [] and not store.dir.exists()
    described = [s.describe() for s in prepared.plan.steps]
    assert f"create table {TABLE} (on-demand, keys pk, sk)" in described
    assert f"update table ttl {TABLE} (on, attribute ttl): once the table is ACTIVE" in described
    up(aws, TRACKED, store)
    calls.clear()
    prepared = prepare_up(aws, TRACKED, store)
    assert prepared.plan.steps == () and ("table", TABLE) in prepared.plan.unchanged
    assert calls.writes == []


def test_status_shows_the_table_ok_then_drifted_when_changed_by_hand_and_refresh_repairs_it(session, aws, calls, store):
    up(aws, TRACKED, store)
    report = stage_status(aws, TRACKED, store.load(), TRACKED.code_sha256)
    assert report.drift == []
    assert ("table", TABLE, "ok") in {(r.type, r.id, r.status) for r in report.resources}
    ddb = session.client("dynamodb")
    ddb.update_time_to_live(TableName=TABLE, TimeToLiveSpecification={"Enabled": False, "AttributeName": "ttl"})
    ddb.update_table(TableName=TABLE, BillingMode="PROVISIONED",
                     ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
    as_json = stage_status(aws, TRACKED, store.load(), None).as_json()
    assert as_json["drift"] == [{"type": "table", "id": TABLE, "status": "drifted",
                                 "fields": ["billing_mode", "ttl"]}]
    assert up(aws, TRACKED, store)[0].steps == ()        # trusted from the record
    calls.clear()
    plan, _ = up(aws, TRACKED, store, refresh=True)
    assert calls.writes == ["UpdateTable", "UpdateTimeToLive"]
    assert stage_status(aws, TRACKED, store.load(), None).drift == []
    assert ddb.describe_table(TableName=TABLE)["Table"]["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_status_of_a_table_deleted_by_hand_is_missing_and_refresh_recreates_it(session, aws, store):
    up(aws, TRACKED, store)
    session.client("dynamodb").delete_table(TableName=TABLE)
    rows = {(r.type, r.id): r.status for r in stage_status(aws, TRACKED, store.load(), None).resources}
    assert rows[("table", TABLE)] == "missing"
    plan, _ = up(aws, TRACKED, store, refresh=True)
    assert [s.describe() for s in plan.steps][:2] == [
        f"create table {TABLE} (on-demand, keys pk, sk)",
        f"update table ttl {TABLE} (on, attribute ttl): once the table is ACTIVE"]
    assert record_matches_aws(session, store.load()) == []


def test_status_shows_an_unrecorded_table_of_this_stage_as_untracked(session, aws, store):
    up(aws, TRACKED, store)
    record = store.load()
    del record["resources"]["table"]
    rows = {(r.type, r.id): r.status for r in stage_status(aws, PLAIN, record, None).resources}
    assert rows[("table", TABLE)] == "untracked"


def test_ttl_on_another_attribute_is_a_note_not_a_failing_write(session, aws, calls, store):
    up(aws, TRACKED, store)
    ddb = session.client("dynamodb")
    ddb.update_time_to_live(TableName=TABLE, TimeToLiveSpecification={"Enabled": False, "AttributeName": "ttl"})
    ddb.update_time_to_live(TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    calls.clear()
    plan, _ = up(aws, TRACKED, store, refresh=True)
    assert calls.writes == [] and any("'expires'" in note for note in plan.notes)
    fields = {r.type: r.fields for r in stage_status(aws, TRACKED, store.load(), None).resources}
    assert fields["table"] == ("ttl",)


# -- waits -------------------------------------------------------------------------------------
def test_a_slow_table_is_polled_with_backoff_until_active(session, life, store):
    life.creating_polls = 4
    clock = FakeClock()
    up(make_aws(session, clock), TRACKED, store)
    assert clock.slept[0] == SETTLE_SECONDS and clock.slept[1:5] == [1.0, 2.0, 4.0, 5.0]
    assert inventory(session)["tables"] == 1


def test_a_table_that_never_becomes_active_fails_clearly_after_ten_minutes(session, life, store):
    life.creating_polls = 10_000
    clock = FakeClock()
    with pytest.raises(DeployError) as raised:
        up(make_aws(session, clock), TRACKED, store)
    assert 600 <= clock.now <= 610
    message = str(raised.value)
    assert "update table ttl" in message and "still CREATING after 600 s" in message
    assert f"table {TABLE}" in message and "`wsdeploy up` resumes" in message


def test_credentials_without_dynamodb_rights_still_status_and_down_a_stage_without_tracking(
        session, aws, calls, store):
    def denied(model, **_):
        return _error(model.name, "AccessDeniedException", "not authorized to perform: dynamodb:DescribeTable")

    session.events.register_first("before-call.dynamodb.DescribeTable", denied)
    up(aws, PLAIN, store)
    assert up(aws, PLAIN, store, refresh=True)[0].steps == ()
    assert stage_status(aws, PLAIN, store.load(), None).drift == []
    teardown = prepare_down(aws, PLAIN, store)
    assert any("could not look for an unrecorded DynamoDB table" in n for n in teardown.notices)
    apply_down(aws, PLAIN, store, teardown)
    assert inventory(session) == EMPTY
    with pytest.raises(DeployError, match="AccessDeniedException"):
        up(aws, TRACKED, store)                # with tracking on, the rights are needed
