"""Remote state (issue 12) against moto: the record as one S3 object written only if it is
still the one this run read, the lock object created only if absent, what each call asks of
S3, and what users see when the bucket is missing, someone else's, or locked."""

from __future__ import annotations

import json

import pytest

from tests.support.aws_faults import Faults
from tests.support.aws_fixtures import (ACCOUNT, STRICT_FIXTURES, CallLog, aws, calls, desired, down,
                                        life, moto_session, session, store)
from tests.support.aws_inventory import EMPTY, expected_inventory, inventory, record_matches_aws
from tests.support.remote_state import BUCKET, OTHER_ACCOUNT, make_bucket, s3_store
from wsdeploy.errors import DeployError, UserError
from wsdeploy.provision.deploy import up
from wsdeploy.remote_state import S3Location, location_problem, parse_location, push
from wsdeploy.state import StateFile

__all__ = STRICT_FIXTURES
RECORD = {"app": "chat", "stage": "dev", "resources": {}}


@pytest.fixture
def bucket(session):
    make_bucket(session)
    return session.client("s3")


@pytest.fixture
def remote(aws, bucket, tmp_path):
    return s3_store(aws, tmp_path / "one")


def stored(client, key="chat/dev.json") -> dict:
    return json.loads(client.get_object(Bucket=BUCKET, Key=key)["Body"].read())


# -- S3 as AWS answers it -----------------------------------------------------------------------
def test_moto_refuses_a_second_create_and_a_stale_etag_as_s3_does(bucket):
    """The store relies on S3's conditional writes; moto 5 enforces them (no strict layer
    needed), and this fails should a moto release stop doing so."""
    made = bucket.put_object(Bucket=BUCKET, Key="k", Body=b"1", IfNoneMatch="*")["ETag"]
    bucket.put_object(Bucket=BUCKET, Key="k", Body=b"2", IfMatch=made)
    for condition in ({"IfNoneMatch": "*"}, {"IfMatch": made}):
        with pytest.raises(bucket.exceptions.ClientError) as refused:
            bucket.put_object(Bucket=BUCKET, Key="k", Body=b"3", **condition)
        assert refused.value.response["Error"]["Code"] == "PreconditionFailed"
    with pytest.raises(bucket.exceptions.ClientError) as refused:
        bucket.delete_object(Bucket=BUCKET, Key="k", IfMatch=made)
    assert refused.value.response["Error"]["Code"] == "PreconditionFailed"


# -- the record --------------------------------------------------------------------------------
def test_the_record_is_written_encrypted_conditional_and_for_the_owner_only(remote, bucket, calls):
    assert remote.load() is None
    remote.save(RECORD)
    remote.save({**RECORD, "url": "wss://x"})
    assert remote.load()["url"] == "wss://x" and stored(bucket)["schema"] == 1
    assert remote.where == f"s3://{BUCKET}/chat/dev.json"
    head = bucket.head_object(Bucket=BUCKET, Key="chat/dev.json")
    assert head["ServerSideEncryption"] == "AES256"
    s3_calls = [op for service, op in calls.calls if service == "s3"]
    # the last load reads what this run wrote itself (it holds the lock): no second GET
    assert s3_calls == ["GetObject", "PutObject", "PutObject"]


def test_every_call_names_the_accounts_bucket_and_the_writes_their_condition(remote, session):
    seen = []
    session.events.register("before-parameter-build.s3.*",
                            lambda params, model, **_: seen.append((model.name, dict(params))))
    remote.load()
    remote.save(RECORD)
    remote.save(RECORD)
    remote.remove()
    assert [name for name, _ in seen] == ["GetObject", "PutObject", "PutObject", "DeleteObject"]
    assert all(params["ExpectedBucketOwner"] == ACCOUNT for _, params in seen)
    assert seen[1][1]["IfNoneMatch"] == "*" and "IfMatch" not in seen[1][1]
    assert seen[2][1]["IfMatch"] and seen[3][1]["IfMatch"] == seen[2][1]["IfMatch"] != "*"
    assert seen[1][1]["ServerSideEncryption"] == seen[2][1]["ServerSideEncryption"] == "AES256"


def test_a_second_writer_is_refused_never_overwrites(aws, bucket, tmp_path):
    one, two = s3_store(aws, tmp_path / "one"), s3_store(aws, tmp_path / "two")
    one.load(), two.load()
    one.save({**RECORD, "url": "one"})
    with pytest.raises(DeployError, match="changed by another run while this one was working"):
        two.save({**RECORD, "url": "two"})
    assert stored(bucket)["url"] == "one"
    two.load()
    two.save({**RECORD, "url": "two"})     # having read the new record, it may write
    with pytest.raises(DeployError, match="changed by another run"):
        one.save({**RECORD, "url": "one again"})
    assert stored(bucket)["url"] == "two"


def test_a_write_whose_answer_was_lost_is_recognised_by_its_bytes(remote, session, bucket):
    """botocore sends the write again after a lost answer; S3 refuses the copy (412) since the
    first one landed: the store reads the object back and finds its own bytes."""
    faults = Faults().attach(session)
    remote.load()
    faults.arm(1, "lost")
    remote.save({**RECORD, "url": "first"})
    assert faults.failed == ("s3", "PutObject") and faults.sends.count("PutObject") == 2
    faults.arm(None)
    remote.save({**RECORD, "url": "second"})    # the ETag it holds is the object's
    assert stored(bucket)["url"] == "second"


def test_remove_deletes_only_the_record_this_run_read(aws, bucket, tmp_path):
    one, two = s3_store(aws, tmp_path / "one"), s3_store(aws, tmp_path / "two")
    one.save(RECORD)
    two.load()
    one.save({**RECORD, "url": "newer"})
    with pytest.raises(DeployError, match="left in place"):
        two.remove()
    one.remove()
    assert "Contents" not in bucket.list_objects_v2(Bucket=BUCKET)
    one.remove()     # nothing left: nothing to do


def test_a_local_record_is_never_silently_ignored(remote, tmp_path):
    StateFile(tmp_path / "one" / ".wsdeploy", "dev").save(RECORD)
    with pytest.raises(UserError, match="run `wsdeploy state push dev` to move it there first"):
        remote.load()


def test_a_damaged_remote_record_is_refused_naming_the_object(remote, bucket):
    bucket.put_object(Bucket=BUCKET, Key="chat/dev.json", Body=b"{not json")
    with pytest.raises(UserError, match=f"s3://{BUCKET}/chat/dev.json is not valid JSON"):
        remote.load()


# -- the bucket is the user's -----------------------------------------------------------------
def test_a_missing_bucket_is_one_sentence_before_any_other_call(aws, tmp_path, calls):
    store = s3_store(aws, tmp_path, state="s3://no-such-bucket-here/chat")
    with pytest.raises(UserError) as refused:
        store.load()
    message = str(refused.value)
    assert message.startswith("the state bucket no-such-bucket-here does not exist")
    assert "\n" not in message and message.count(". ") == 0
    assert calls.operations == ["GetCallerIdentity", "GetObject"]


def test_a_bucket_of_another_account_is_refused_by_its_owner(aws, session, tmp_path):
    make_bucket(session, "someone-elses-state", account=OTHER_ACCOUNT)
    store = s3_store(aws, tmp_path, state="s3://someone-elses-state/chat")
    for attempt in (store.load, lambda: store.locked("up").__enter__()):
        with pytest.raises(UserError) as refused:
            attempt()
        assert f"or it belongs to another account than {ACCOUNT}" in str(refused.value)


# -- the lock ------------------------------------------------------------------------------------
def test_the_lock_keeps_a_second_run_out_naming_its_holder_and_id(aws, bucket, tmp_path):
    one, two = s3_store(aws, tmp_path / "one"), s3_store(aws, tmp_path / "two")
    with one.locked("up"):
        holder = stored(bucket, "chat/dev.lock")
        assert {"id", "who", "user", "host", "pid", "command", "started"} <= set(holder)
        assert holder["who"].startswith(f"arn:aws:sts::{ACCOUNT}:") and holder["command"] == "up"
        with pytest.raises(UserError) as refused:
            with two.locked("down"):
                pass
    message = str(refused.value)
    assert message.startswith("stage dev is locked by `wsdeploy up` of arn:aws:sts::")
    assert f"lock id {holder['id']}" in message
    assert f"`wsdeploy unlock dev {holder['id']}`" in message
    assert "Contents" not in bucket.list_objects_v2(Bucket=BUCKET)      # released
    with two.locked("down"):                                           # free again
        pass


@pytest.mark.parametrize("raised", [RuntimeError, KeyboardInterrupt])
def test_the_lock_is_released_on_errors_and_ctrl_c(remote, bucket, raised):
    with pytest.raises(raised):
        with remote.locked("up"):
            raise raised()
    assert "Contents" not in bucket.list_objects_v2(Bucket=BUCKET)


def test_unlock_needs_the_locks_own_id(remote, aws, bucket, tmp_path):
    with remote.locked("up"):
        lock_id = stored(bucket, "chat/dev.lock")["id"]
        other = s3_store(aws, tmp_path / "two")
        with pytest.raises(UserError, match=f"has id {lock_id}, not wrong-id"):
            other.unlock("wrong-id")
        assert other.unlock(lock_id)["id"] == lock_id
        with other.locked("up"):        # the stage is free: another run may take it
            pass
    assert other.unlock(lock_id) is None


def test_a_run_whose_lock_was_removed_says_so_when_it_ends(remote, aws, bucket, tmp_path):
    notices = []
    with remote.locked("up", notices.append):
        lock_id = stored(bucket, "chat/dev.lock")["id"]
        s3_store(aws, tmp_path / "two").unlock(lock_id)
    assert "had already been removed" in notices[0]


# -- moving a local record --------------------------------------------------------------------
def test_push_moves_a_local_record_and_refuses_to_replace_another(remote, aws, bucket, tmp_path):
    local = StateFile(tmp_path / "one" / ".wsdeploy", "dev")
    with pytest.raises(UserError, match="no local record to push"):
        push(local, remote)
    local.save(RECORD)
    assert "pushed" in push(local, remote) and not local.exists()
    assert stored(bucket)["app"] == "chat" and remote.load()["app"] == "chat"
    local.save(RECORD)                   # the same record again: nothing to do but tidy up
    assert "already holds this record" in push(local, remote) and not local.exists()
    local.save({**RECORD, "url": "elsewhere"})
    with pytest.raises(UserError, match="already holds a different record"):
        push(local, s3_store(aws, tmp_path / "one"))
    assert local.exists() and "url" not in stored(bucket)


# -- a whole deploy ------------------------------------------------------------------------------
def test_up_and_down_keep_their_record_in_s3(aws, session, remote, bucket, calls):
    d = desired()
    up(aws, d, remote)
    assert record_matches_aws(session, remote.load()) == []
    assert inventory(session) == expected_inventory(["$connect", "$default", "$disconnect"])
    calls.clear()
    with remote.locked("up"):      # as the CLI runs it: a new run reads the record afresh
        plan, _ = up(aws, d, remote)
    assert plan.steps == ()
    # the lock taken, the record read once, the lock released: the record is not written
    assert [op for s, op in calls.calls if s == "s3"] == ["PutObject", "GetObject", "DeleteObject"]
    down(aws, d, remote)
    assert inventory(session) == EMPTY
    assert "Contents" not in bucket.list_objects_v2(Bucket=BUCKET)


# -- the setting ---------------------------------------------------------------------------------
def test_the_location_is_parsed_as_written():
    assert parse_location("local") is None and parse_location(None) is None
    assert parse_location("s3://b-1/team/chat/") == S3Location("b-1", "team/chat")
    assert S3Location("b-1", "team/chat").key("dev", ".lock") == "team/chat/dev.lock"
    assert S3Location("b-1").key("dev", ".json") == "dev.json"
    assert location_problem("s3://b-1") is None and location_problem("s3://b-1/") is None
