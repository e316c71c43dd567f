"""End to end: the installed `wsdeploy` command, in a subprocess, against a moto server on
127.0.0.1 found through AWS_ENDPOINT_URL: up, up again, status --json, an edited
wsdeploy.toml and a new route, up, down --yes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.aws_inventory import EMPTY, expected_inventory, inventory, record_matches_aws
from tests.support.aws_server import aws_server, moto_server
from tests.support.package_project import MINIMAL_APP, MINIMAL_TOML, write_project

__all__ = ["aws_server", "moto_server"]   # fixtures, imported for pytest


def installed_wsdeploy() -> str:
    """The console script pip installed beside this Python, as a user would run it."""
    found = shutil.which("wsdeploy", path=str(Path(sys.executable).parent))
    assert found, "the wsdeploy command is not installed in this environment"
    return found


def run(server, cwd, *args) -> subprocess.CompletedProcess:
    """The command as a user runs it: no PYTHONPATH, so it imports the installed package."""
    env = server.env()
    assert "PYTHONPATH" not in env
    return subprocess.run([installed_wsdeploy(), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=180)


NEW_ROUTE = MINIMAL_APP + '''
from wsdeploy.websocket import on_route

@on_route("join", reply=True)
def join(event, context):
    return {"statusCode": 200, "body": "joined"}
'''


def test_up_again_status_edit_up_down(aws_server, tmp_path):
    write_project(tmp_path, files={"app.py": MINIMAL_APP})
    session = aws_server.session()

    first = run(aws_server, tmp_path, "up")
    assert first.returncode == 0, first.stderr
    url = first.stdout.strip()
    assert re.fullmatch(r"wss://[a-z0-9]+\.execute-api\.eu-west-1\.amazonaws\.com/dev", url)
    assert "Plan: 11 to create" in first.stderr
    assert inventory(session, responses=False) == expected_inventory(["$connect", "$default", "$disconnect"])

    again = run(aws_server, tmp_path, "up")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == url
    assert "Plan: no changes" in again.stderr and "Up to date" in again.stderr

    status = run(aws_server, tmp_path, "status", "--json")
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["stage"] == "dev" and report["deployed"] is True and report["url"] == url
    assert report["region"] == "eu-west-1" and report["drift"] == []
    assert {r["type"] for r in report["resources"]} == {
        "role", "role_policy", "log_group", "api", "function", "permission", "integration",
        "route", "stage"}
    assert {r["status"] for r in report["resources"]} == {"ok"}
    assert report["code_differs"] is False

    (tmp_path / "wsdeploy.toml").write_text(MINIMAL_TOML.replace("[app]\n", "[app]\nmemory = 512\n"))
    (tmp_path / "app.py").write_text(NEW_ROUTE)
    dry = run(aws_server, tmp_path, "up", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "update function chat-dev-ws (memory)" in dry.stderr
    assert "create route join (reply)" in dry.stderr and "unchanged stage dev" in dry.stderr
    edited = run(aws_server, tmp_path, "up")
    assert edited.returncode == 0, edited.stderr
    assert edited.stdout.strip() == url
    for line in ("update function chat-dev-ws (memory)", "update function code chat-dev-ws (code)",
                 "create route join (reply)", "create route response join"):
        assert line in edited.stderr
    config = session.client("lambda").get_function(FunctionName="chat-dev-ws")["Configuration"]
    assert config["MemorySize"] == 512
    record = json.loads((tmp_path / ".wsdeploy" / "dev.json").read_text())
    assert record_matches_aws(session, record, responses=False) == []
    assert record["resources"]["routes"]["join"]["response_id"]

    refused = run(aws_server, tmp_path, "down")
    assert refused.returncode == 2
    assert "Pass --yes" in refused.stderr and "Traceback" not in refused.stderr
    assert inventory(session, responses=False)["apis"] == 1

    gone = run(aws_server, tmp_path, "down", "--yes")
    assert gone.returncode == 0, gone.stderr
    assert inventory(session, responses=False) == EMPTY
    assert not (tmp_path / ".wsdeploy" / "dev.json").exists()
    twice = run(aws_server, tmp_path, "down", "--yes")
    assert twice.returncode == 0 and "Nothing to delete" in twice.stderr


def test_logs_prints_the_functions_events(aws_server, tmp_path):
    write_project(tmp_path, files={"app.py": MINIMAL_APP})
    assert run(aws_server, tmp_path, "up").returncode == 0
    logs = aws_server.session().client("logs")
    import time
    now = int(time.time() * 1000)
    logs.create_log_stream(logGroupName="/aws/lambda/chat-dev-ws", logStreamName="2026/01/01/[$LATEST]x")
    logs.put_log_events(logGroupName="/aws/lambda/chat-dev-ws", logStreamName="2026/01/01/[$LATEST]x",
                        logEvents=[{"timestamp": now - 1000, "message": "START RequestId: 1\n"},
                                   {"timestamp": now, "message": "connected: abc=\n"}])
    printed = run(aws_server, tmp_path, "logs", "--since", "5m")
    assert printed.returncode == 0, printed.stderr
    lines = printed.stdout.splitlines()
    assert [line.split(" ", 2)[2] for line in lines] == ["START RequestId: 1", "connected: abc="]
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ", lines[0])


@pytest.mark.parametrize("unset,message", [
    (("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"), "No AWS credentials found"),
    (("AWS_REGION",), "No AWS region"),
], ids=["credentials", "region"])
def test_missing_credentials_or_region_is_one_clear_sentence(aws_server, tmp_path, unset, message):
    write_project(tmp_path, files={"app.py": MINIMAL_APP})
    env = {k: v for k, v in aws_server.env().items() if k not in unset}
    done = subprocess.run([installed_wsdeploy(), "up"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / ".wsdeploy" / "dev.json").exists()


CHAT = Path(__file__).resolve().parents[2] / "examples" / "chat"


def test_the_chat_example_gets_its_connections_table_and_down_removes_it(aws_server, tmp_path):
    """examples/chat has [app.connections] enabled = true: up makes the table, the grant and
    the variables; status lists the table; down --yes deletes it with the rest."""
    project = tmp_path / "chat"
    shutil.copytree(CHAT, project, ignore=shutil.ignore_patterns(".wsdeploy", "__pycache__"))
    session = aws_server.session()

    deployed = run(aws_server, project, "up")
    assert deployed.returncode == 0, deployed.stderr
    assert "create table chat-dev-ws-connections (on-demand, keys pk, sk)" in deployed.stderr
    assert inventory(session, responses=False) == expected_inventory(
        ["$connect", "$default", "$disconnect", "join", "leave", "send"], tables=1)
    ddb = session.client("dynamodb")
    table = ddb.describe_table(TableName="chat-dev-ws-connections")["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert ddb.describe_time_to_live(TableName="chat-dev-ws-connections")["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "ENABLED", "AttributeName": "ttl"}
    env = session.client("lambda").get_function(FunctionName="chat-dev-ws")["Configuration"]["Environment"]
    assert {k: v for k, v in env["Variables"].items() if k.startswith("WSDEPLOY_CONNECTIONS")} == {
        "WSDEPLOY_CONNECTIONS_TABLE": "chat-dev-ws-connections", "WSDEPLOY_CONNECTIONS_TTL_HOURS": "2",
        "WSDEPLOY_CONNECTIONS_TRACK": "1"}
    policy = session.client("iam").get_role_policy(RoleName="chat-dev-ws", PolicyName="wsdeploy")["PolicyDocument"]
    assert [s["Resource"] for s in policy["Statement"] if s["Sid"] == "ConnectionsTable"] == [
        table["TableArn"]]

    status = run(aws_server, project, "status", "--json")
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert {"type": "table", "id": "chat-dev-ws-connections", "status": "ok", "fields": []} in report["resources"]
    assert report["drift"] == []

    gone = run(aws_server, project, "down", "--yes")
    assert gone.returncode == 0, gone.stderr
    assert "delete table chat-dev-ws-connections: with every item in it" in gone.stderr
    assert inventory(session, responses=False) == EMPTY
    assert ddb.list_tables()["TableNames"] == []
