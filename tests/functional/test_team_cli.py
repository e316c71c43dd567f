"""Team and CI use of the CLI (issue 12), in-process against moto: state in S3 seen from two
project folders, its lock and `unlock`, `state push|pull`, `status` on a machine without the
record, `--exit-code` and `--json` for pipelines, and `wsdeploy policy`."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.functional.test_provision_cli import ROUTES, cli, hooks, project
from tests.support.aws_fixtures import ACCOUNT, REGION, CallLog, moto_session
from tests.support.aws_inventory import EMPTY, expected_inventory, inventory
from tests.support.package_project import MINIMAL_TOML
from tests.support.remote_state import BUCKET, STATE, make_bucket

__all__ = ["hooks", "moto_session", "project"]
REMOTE_TOML = MINIMAL_TOML.replace("[stages.dev]", f'state = "{STATE}"\n\n[stages.dev]')


@pytest.fixture
def remote(project, moto_session):
    """The project keeps its state in the team's bucket."""
    make_bucket(moto_session)
    (project / "wsdeploy.toml").write_text(REMOTE_TOML)
    return project


def s3_keys(session) -> list[str]:
    return [o["Key"] for o in session.client("s3").list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def elsewhere(project, monkeypatch, name="other"):
    """The same project checked out in a second folder (another machine), and there."""
    other = project.parent / f"{project.name}-{name}"
    shutil.copytree(project, other, ignore=shutil.ignore_patterns(".wsdeploy"))
    monkeypatch.chdir(other)
    return other


# -- remote state ------------------------------------------------------------------------------
def test_two_checkouts_share_the_record_in_s3(remote, moto_session, capsys, monkeypatch):
    code, url, err = cli(capsys, "up")
    assert code == 0, err
    assert f"recorded in s3://{BUCKET}/chat/dev.json" in err
    assert s3_keys(moto_session) == ["chat/dev.json"]            # the lock is gone
    assert not (remote / ".wsdeploy" / "dev.json").exists()
    elsewhere(remote, monkeypatch)
    code, again, err = cli(capsys, "up")
    assert code == 0 and again == url and "Up to date" in err
    code, out, err = cli(capsys, "status")
    assert code == 0 and url.strip() in out and "Not recorded here" not in err
    assert cli(capsys, "down", "--yes")[0] == 0
    assert inventory(moto_session) == EMPTY and s3_keys(moto_session) == []


def test_a_no_op_up_with_remote_state_costs_a_lock_and_one_read(remote, capsys, hooks):
    assert cli(capsys, "up")[0] == 0
    log = CallLog()
    hooks.append(log)
    assert cli(capsys, "up")[0] == 0
    assert log.operations == ["GetCallerIdentity", "PutObject", "GetObject", "GetFunction", "GetApi",
                              "GetRoutes", "GetRolePolicy", "DeleteObject"]


def test_a_held_lock_refuses_with_its_id_and_unlock_removes_it(remote, moto_session, capsys):
    lock = {"id": "5b1c9e0e-8a9f-4f57-9a51-2c0e6f1d9a3b", "who": "arn:aws:sts::1:assumed-role/ci/run-7",
            "user": "runner", "host": "ci-host", "pid": 4242, "command": "up", "started": "2026-01-01T00:00:00+00:00"}
    moto_session.client("s3").put_object(Bucket=BUCKET, Key="chat/dev.lock", Body=json.dumps(lock))
    code, out, err = cli(capsys, "up")
    assert code == 2 and out == "" and "Traceback" not in err
    message = " ".join(err.split())
    assert "stage dev is locked by `wsdeploy up` of arn:aws:sts::1:assumed-role/ci/run-7" in message
    assert "(user runner on ci-host, process 4242) since 2026-01-01T00:00:00+00:00" in message
    assert f"`wsdeploy unlock dev {lock['id']}`" in message
    assert inventory(moto_session) == EMPTY
    code, out, err = cli(capsys, "unlock", "dev", "not-the-id")
    assert code == 2 and f"has id {lock['id']}, not not-the-id" in " ".join(err.split())
    code, out, err = cli(capsys, "unlock", "dev", lock["id"])
    assert code == 0 and "Removed the lock" in err and s3_keys(moto_session) == []
    assert cli(capsys, "unlock", "dev", lock["id"])[2].startswith("Stage dev is not locked")
    assert cli(capsys, "up")[0] == 0


def test_unlock_works_for_local_state_too(project, capsys):
    lock = project / ".wsdeploy" / "dev.lock"
    lock.parent.mkdir()
    lock.write_text(json.dumps({"id": "abc", "pid": 1, "host": "gone-host", "command": "up",
                                "started": "2026-01-01T00:00:00+00:00"}))
    code, out, err = cli(capsys, "up")
    assert code == 2 and "`wsdeploy unlock dev abc`" in " ".join(err.split())
    assert cli(capsys, "unlock", "dev", "abc")[0] == 0 and not lock.exists()


def test_a_missing_bucket_is_one_sentence_and_exit_2_before_any_other_call(project, capsys, hooks):
    (project / "wsdeploy.toml").write_text(REMOTE_TOML)
    log = CallLog()
    hooks.append(log)
    for command in (["up"], ["up", "--dry-run"], ["status"], ["down", "--yes"]):
        log.clear()
        code, out, err = cli(capsys, *command)
        assert code == 2, (command, err)
        assert err.strip().splitlines()[-1] == (f"error: the state bucket {BUCKET} does not exist (state = "
                               f"\"s3://{BUCKET}/chat\" in wsdeploy.toml): create it, or fix the name")
        assert log.operations[0] == "GetCallerIdentity" and len(log.operations) == 2, log.operations


def test_push_moves_a_local_record_and_pull_prints_it(project, moto_session, capsys, monkeypatch):
    code, url, err = cli(capsys, "up")
    assert code == 0
    make_bucket(moto_session)
    (project / "wsdeploy.toml").write_text(REMOTE_TOML)
    code, out, err = cli(capsys, "up", "--dry-run")
    assert code == 2 and "run `wsdeploy state push dev` to move it there first" in err
    code, out, err = cli(capsys, "state", "push", "dev")
    assert code == 0, err
    assert f"Pushed .wsdeploy/dev.json to s3://{BUCKET}/chat/dev.json" in err
    assert not (project / ".wsdeploy" / "dev.json").exists()
    code, out, err = cli(capsys, "state", "pull", "dev")
    assert code == 0 and json.loads(out)["url"] == url.strip()
    elsewhere(project, monkeypatch)
    code, out, err = cli(capsys, "up")
    assert code == 0 and out == url and "Up to date" in err


def test_state_commands_say_when_state_is_local(project, capsys):
    code, out, err = cli(capsys, "state", "pull")
    assert code == 2 and "keeps its record locally (.wsdeploy/dev.json): set state =" in " ".join(err.split())


# -- without remote state ------------------------------------------------------------------------
def test_status_without_the_record_finds_the_stage_by_names_and_tags(project, moto_session, capsys,
                                                                     monkeypatch, hooks):
    code, url, err = cli(capsys, "up")
    assert code == 0
    elsewhere(project, monkeypatch)
    log = CallLog()
    hooks.append(log)
    code, out, err = cli(capsys, "status")
    assert code == 0, err
    assert "Not recorded here (no .wsdeploy/dev.json): found by name and tags" in " ".join(err.split())
    assert f"URL          {url.strip()}" in out and "Local code   same as deployed" in out
    assert log.writes == [] and log.reads
    report = json.loads(cli(capsys, "status", "--json")[1])
    assert report["deployed"] is True and report["recorded"] is False
    assert report["url"] == url.strip() and report["account"] == ACCOUNT
    assert {row["status"] for row in report["resources"]} == {"untracked"}
    assert not (project.parent / f"{project.name}-other" / ".wsdeploy" / "dev.json").exists()


def test_status_of_a_stage_deployed_nowhere_says_so(project, capsys):
    code, out, err = cli(capsys, "status")
    assert code == 0 and out.startswith("Stage dev of chat is not deployed")


# -- pipelines ---------------------------------------------------------------------------------
def test_exit_codes_say_whether_there_is_something_to_do(project, moto_session, capsys):
    assert cli(capsys, "up", "--dry-run", "--exit-code")[0] == 3
    assert cli(capsys, "status", "--exit-code")[0] == 3          # not deployed
    assert cli(capsys, "up")[0] == 0
    assert cli(capsys, "up", "--dry-run", "--exit-code")[0] == 0
    assert cli(capsys, "status", "--exit-code")[0] == 0
    (project / "app.py").write_text((project / "app.py").read_text() + "\n# changed\n")
    assert cli(capsys, "up", "--dry-run", "--exit-code")[0] == 3
    assert cli(capsys, "status", "--exit-code")[0] == 3          # local code differs
    assert cli(capsys, "up")[0] == 0
    moto_session.client("lambda").update_function_configuration(FunctionName="chat-dev-ws", Timeout=3)
    assert cli(capsys, "status", "--exit-code")[0] == 3          # drift
    code, out, err = cli(capsys, "up", "--exit-code")
    assert code == 2 and "--exit-code goes with --dry-run" in err


def test_json_output_is_one_document_on_stdout(project, moto_session, capsys):
    code, out, err = cli(capsys, "up", "--dry-run", "--json")
    planned = json.loads(out)
    assert code == 0 and planned["dry_run"] is True and planned["url"] is None
    assert planned["plan"]["changes_aws"] is True and planned["changed"] is False
    assert {"kind": "role", "action": "create", "name": "chat-dev-ws", "changes": [], "why": ""} \
        in planned["plan"]["steps"]
    assert (planned["app"], planned["stage"], planned["region"], planned["state"]) == \
        ("chat", "dev", REGION, ".wsdeploy/dev.json")
    code, out, err = cli(capsys, "up", "--json")
    done = json.loads(out)
    assert code == 0 and done["changed"] is True and done["url"].startswith("wss://")
    assert len(done["plan"]["steps"]) == 11
    again = json.loads(cli(capsys, "up", "--json")[1])
    assert again["changed"] is False and again["plan"]["steps"] == [] and again["url"] == done["url"]
    code, out, err = cli(capsys, "down", "--yes", "--json")
    gone = json.loads(out)
    assert code == 0 and [s["kind"] for s in gone["deleted"]] == ["api", "function", "role_policy",
                                                                  "role", "log_group"]
    assert inventory(moto_session) == EMPTY
    nothing = json.loads(cli(capsys, "down", "--yes", "--json")[1])
    assert nothing["deleted"] == []


# -- the deployer's policy -----------------------------------------------------------------------
def test_policy_names_this_stages_resources_and_only_the_features_it_uses(project, moto_session, capsys):
    code, out, err = cli(capsys, "policy")
    assert code == 0, err
    policy = json.loads(out)
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["Function"]["Resource"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:chat-dev-ws"
    assert by_sid["Role"]["Resource"] == f"arn:aws:iam::{ACCOUNT}:role/chat-dev-ws"
    assert by_sid["PassRoleToLambda"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}
    assert "lambda:ListTags" in by_sid["Function"]["Action"]
    assert not {"ConnectionsTable", "StateObjects", "StateBucket"} & set(by_sid)
    assert all("*" not in action for s in policy["Statement"] for action in s["Action"])
    (project / "wsdeploy.toml").write_text(REMOTE_TOML.replace(
        "[stages.dev]", "[app.connections]\nenabled = true\n\n[stages.dev]"))
    by_sid = {s["Sid"]: s for s in json.loads(cli(capsys, "policy", "--account", "210987654321")[1])["Statement"]}
    assert by_sid["ConnectionsTable"]["Resource"] == \
        f"arn:aws:dynamodb:{REGION}:210987654321:table/chat-dev-ws-connections"
    assert by_sid["StateObjects"]["Resource"] == [f"arn:aws:s3:::{BUCKET}/chat/dev.json",
                                                  f"arn:aws:s3:::{BUCKET}/chat/dev.lock"]
    assert by_sid["StateBucket"] == {"Sid": "StateBucket", "Effect": "Allow", "Action": ["s3:ListBucket"],
                                     "Resource": f"arn:aws:s3:::{BUCKET}"}
