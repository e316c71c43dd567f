"""The state file is replaced atomically, refuses what it cannot read, and the stage lock
keeps a second run out while taking over one left by a dead process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from wsdeploy.errors import UserError
from wsdeploy.state import SCHEMA_VERSION, StateFile, pid_alive


@pytest.fixture
def store(tmp_path):
    return StateFile(tmp_path / ".wsdeploy", "dev")


def test_save_then_load_gives_the_data_back_with_schema_and_time(store):
    store.save({"app": "chat", "resources": {"role": {"name": "chat-dev-ws"}}})
    loaded = store.load()
    assert loaded["resources"] == {"role": {"name": "chat-dev-ws"}}
    assert loaded["schema"] == SCHEMA_VERSION
    assert loaded["updated_at"].endswith("+00:00")
    assert store.path.name == "dev.json" and store.path.parent.name == ".wsdeploy"


def test_no_file_loads_as_none(store):
    assert store.load() is None
    assert not store.exists()


def test_a_failed_write_leaves_the_previous_record_whole(store, monkeypatch):
    store.save({"app": "chat", "n": 1})

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        store.save({"app": "chat", "n": 2})
    monkeypatch.undo()
    assert store.load()["n"] == 1


def test_the_write_goes_through_a_temporary_file_renamed_over_the_old(store, monkeypatch):
    renames = []
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: (renames.append((str(a), str(b))), real_replace(a, b)))
    store.save({"app": "chat"})
    assert len(renames) == 1
    source, target = renames[0]
    assert target == str(store.path) and source != target and source.endswith(".tmp")
    assert [p.name for p in store.dir.iterdir()] == ["dev.json"]


def test_remove_deletes_the_file_and_tolerates_its_absence(store):
    store.save({"app": "chat"})
    store.remove()
    store.remove()
    assert not store.exists()


def test_unreadable_json_is_a_user_error_that_says_how_to_recover(store):
    store.dir.mkdir(parents=True)
    store.path.write_text("{not json")
    with pytest.raises(UserError, match="not valid JSON.*finds the resources by name and tags"):
        store.load()


def test_a_file_that_is_not_utf8_is_a_user_error_naming_the_byte(store):
    store.dir.mkdir(parents=True)
    store.path.write_bytes(b'{"schema": 1, "app": "ch\xe9t"}')
    with pytest.raises(UserError) as caught:
        store.load()
    assert str(caught.value).startswith(f"{store.path} is not UTF-8 text (byte 24 is 0xe9). "
                                        "It is wsdeploy's record of what exists in AWS")


def test_a_state_path_that_cannot_be_read_is_a_user_error(store):
    store.path.mkdir(parents=True)   # a folder where the file should be
    with pytest.raises(UserError, match="dev.json cannot be read: Is a directory"):
        store.load()


@pytest.mark.parametrize("change, message", [
    ({"resources": []}, "resources must be an object, not a list"),
    ({"region": 5}, "region must be a string or null, not a number"),
    ({"partition": {"a": 1}}, "partition must be a string or null, not an object"),
    ({"resources": {"api": "abc"}}, "resources.api must be an object, not a string"),
    ({"resources": {"api": {"id": 7}}}, "resources.api.id must be a string or null, not a number"),
    ({"resources": {"role": {"arn": ["x"]}}}, "resources.role.arn must be a string or null, not a list"),
    ({"resources": {"log_group": {"retention_days": "14"}}},
     "resources.log_group.retention_days must be a whole number or null, not a string"),
    ({"resources": {"function": {"settings": 3}}},
     "resources.function.settings must be an object, not a number"),
    ({"resources": {"routes": [1]}}, "resources.routes must be an object, not a list"),
    ({"resources": {"routes": {"$connect": "x"}}},
     "resources.routes.$connect must be an object, not a string"),
    ({"resources": {"routes": {"$default": {"id": "r1", "reply": "yes"}}}},
     "resources.routes.$default.reply must be true or false, not a string"),
])
def test_a_field_of_the_wrong_type_is_a_user_error_naming_it(store, change, message):
    store.dir.mkdir(parents=True)
    record = {"schema": SCHEMA_VERSION, "app": "chat", "region": "eu-west-1",
              "resources": {"api": {"id": "abc", "name": "chat-dev-ws"}}, **change}
    store.path.write_text(json.dumps(record))
    with pytest.raises(UserError) as caught:
        store.load()
    assert str(caught.value).startswith(f"{store.path} is damaged: {message}. It is wsdeploy's record")


def test_null_resources_and_fields_it_does_not_know_are_accepted(store):
    store.save({"app": "chat", "url": None, "future": 3,
                "resources": {"table": None, "api": {"id": "abc", "later": [1]}, "routes": {}}})
    assert store.load()["resources"]["api"]["later"] == [1]


def test_a_newer_schema_is_refused(store):
    store.dir.mkdir(parents=True)
    store.path.write_text(json.dumps({"schema": SCHEMA_VERSION + 1}))
    with pytest.raises(UserError, match=f"schema version {SCHEMA_VERSION + 1}"):
        store.load()


def test_the_lock_is_held_inside_the_block_and_released_after(store):
    with store.locked("up"):
        holder = json.loads(store.lock_path.read_text())
        assert holder["pid"] == os.getpid() and holder["command"] == "up"
        assert holder["host"] == socket.gethostname()
    assert not store.lock_path.exists()


def test_a_live_holder_keeps_a_second_run_out_and_is_named(store):
    with store.locked("up"):
        lock_id = json.loads(store.lock_path.read_text())["id"]
        with pytest.raises(UserError) as raised:
            with store.locked("down"):
                pass
    message = str(raised.value)
    assert f"process {os.getpid()}" in message and "`wsdeploy up`" in message
    assert f"lock id {lock_id}" in message and f"`wsdeploy unlock dev {lock_id}`" in message


def test_unlock_removes_the_lock_of_the_id_given_and_only_that(store):
    store.lock_path.parent.mkdir()
    holder = {"id": "abc", "pid": 1, "host": "elsewhere", "command": "up", "started": "t"}
    store.lock_path.write_text(json.dumps(holder))
    with pytest.raises(UserError) as raised:
        store.unlock("other")
    assert "has id abc, not other" in str(raised.value) and store.lock_path.exists()
    assert store.unlock("abc") == holder and not store.lock_path.exists()
    assert store.unlock("abc") is None


def test_the_lock_is_released_when_the_block_raises(store):
    with pytest.raises(RuntimeError):
        with store.locked("up"):
            raise RuntimeError("boom")
    with store.locked("up"):
        pass


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_lock_left_by_a_dead_process_on_this_host_is_taken_over_with_a_notice(store):
    store.dir.mkdir(parents=True)
    dead = _dead_pid()
    store.lock_path.write_text(json.dumps({"pid": dead, "host": socket.gethostname(),
                                           "command": "up", "started": "earlier"}))
    notices = []
    with store.locked("up", notices.append):
        assert json.loads(store.lock_path.read_text())["pid"] == os.getpid()
    assert len(notices) == 1 and str(dead) in notices[0] and "no longer running" in notices[0]
    assert not list(store.dir.glob("*.stale.*"))


def test_a_lock_from_another_host_is_never_taken_over(store):
    store.dir.mkdir(parents=True)
    store.lock_path.write_text(json.dumps({"pid": _dead_pid(), "host": "elsewhere.invalid",
                                           "command": "up", "started": "earlier"}))
    with pytest.raises(UserError, match="elsewhere.invalid"):
        with store.locked("up"):
            pass
    assert store.lock_path.exists()


def test_a_fresh_empty_lock_file_is_reported_with_what_to_do(store):
    """Empty for a moment: another run is writing it (or was killed a moment ago)."""
    store.dir.mkdir(parents=True)
    store.lock_path.write_text("")
    with pytest.raises(UserError, match="empty or unreadable.*delete it"):
        with store.locked("up"):
            pass
    assert store.lock_path.exists()


@pytest.mark.parametrize("content", ["", '{"pid": 12', "not json"], ids=["empty", "half", "garbage"])
def test_an_old_empty_or_unreadable_lock_is_taken_over_with_a_notice(store, content):
    """A run killed between creating the lock and writing it leaves it so: nobody would
    write it after EMPTY_LOCK_SECONDS, so it needs no manual deletion."""
    from wsdeploy.state import EMPTY_LOCK_SECONDS
    store.dir.mkdir(parents=True)
    store.lock_path.write_text(content)
    old = store.lock_path.stat().st_mtime - EMPTY_LOCK_SECONDS - 10
    os.utime(store.lock_path, (old, old))
    notices = []
    with store.locked("up", notices.append):
        assert json.loads(store.lock_path.read_text())["pid"] == os.getpid()
    assert len(notices) == 1 and "empty or unreadable" in notices[0] and "killed" in notices[0]
    assert not store.lock_path.exists() and not list(store.dir.glob("*.stale.*"))


def test_pid_alive_knows_itself_and_the_dead():
    assert pid_alive(os.getpid())
    assert not pid_alive(_dead_pid())
    assert not pid_alive(None) and not pid_alive(-1)
