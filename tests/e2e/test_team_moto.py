"""Team deploys end to end (issue 12): real `wsdeploy` processes against a moto server.

- Two `up`s of one stage from two folders at once, without shared state: both reach their
  CreateApi together (tests/support/aws_race_driver.py holds each until both are there), and
  they end with one API, the one created first, both printing its URL.
- A run killed (SIGKILL) while it holds the lock of remote state: the next run is refused
  with the lock's id, `wsdeploy unlock` removes it, and `up` finishes the deploy.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys

from tests.support.aws_inventory import EMPTY, expected_inventory, inventory, record_matches_aws
from tests.support.aws_server import aws_server, moto_server, strict_moto_server, strict_server
from tests.support.package_project import MINIMAL_APP, MINIMAL_TOML, write_project
from tests.support.remote_state import BUCKET, STATE

__all__ = ["aws_server", "moto_server", "strict_moto_server", "strict_server"]   # fixtures, for pytest
ROUTES = ["$connect", "$default", "$disconnect"]
CLI = ["-c", "import sys; from wsdeploy.cli import main; sys.exit(main())"]


def start(server, cwd, *args, driver: list[str] | None = None) -> subprocess.Popen:
    prefix = ["-m", *driver] if driver else CLI
    return subprocess.Popen([sys.executable, *prefix, *args], cwd=cwd, env=server.env(with_tests=bool(driver)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)


def wsdeploy(server, cwd, *args, driver: list[str] | None = None) -> subprocess.CompletedProcess:
    process = start(server, cwd, *args, driver=driver)
    out, err = process.communicate(timeout=180)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def stage_apis(session) -> list[dict]:
    return [a for a in session.client("apigatewayv2").get_apis()["Items"] if a["Name"] == "chat-dev-ws"]


def test_two_ups_at_once_from_two_folders_end_with_one_api(strict_server, tmp_path):
    """Against the strict server: moto would let both runs create every route and stage, where
    AWS refuses the second of each (and wsdeploy adopts the first)."""
    aws_server = strict_server
    folders = [tmp_path / "alice", tmp_path / "bob"]
    for folder in folders:
        write_project(folder, files={"app.py": MINIMAL_APP})
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    runs = [start(aws_server, folder, "up", driver=["tests.support.aws_race_driver", str(barrier), "2"])
            for folder in folders]
    done = [run.communicate(timeout=240) for run in runs]
    for run, (out, err) in zip(runs, done):
        assert run.returncode == 0, err
    assert len(list(barrier.iterdir())) == 2          # both created an API
    urls = {out.strip() for out, _ in done}
    session = aws_server.session()
    apis = stage_apis(session)
    assert len(apis) == 1 and urls == {f"wss://{apis[0]['ApiId']}.execute-api.eu-west-1.amazonaws.com/dev"}
    gave_way = [err for _, err in done if "deleted its own" in " ".join(err.split())]
    assert len(gave_way) == 1, [err for _, err in done]
    endpoint = session.client("lambda").get_function(FunctionName="chat-dev-ws")["Configuration"][
        "Environment"]["Variables"]["WEBSOCKET_API_GATEWAY_ENDPOINT"]
    assert apis[0]["ApiId"] in endpoint

    # each folder's next `up` settles what both made at once (routes split between two
    # integrations), and then neither has anything to do
    for folder in folders + folders:
        assert wsdeploy(aws_server, folder, "up").returncode == 0
    for folder in folders:
        again = wsdeploy(aws_server, folder, "up")
        assert again.returncode == 0 and "Up to date" in again.stderr, again.stderr
        record = json.loads((folder / ".wsdeploy" / "dev.json").read_text())
        assert record_matches_aws(session, record, responses=False) == []
    assert inventory(session, responses=False) == expected_inventory(ROUTES)
    assert wsdeploy(aws_server, folders[0], "down", "--yes").returncode == 0
    assert inventory(session, responses=False) == EMPTY


def test_a_run_killed_holding_the_lock_is_unlocked_by_id_then_up_finishes(aws_server, tmp_path):
    write_project(tmp_path, MINIMAL_TOML.replace("[stages.dev]", f'state = "{STATE}"\n\n[stages.dev]'),
                  files={"app.py": MINIMAL_APP})
    session = aws_server.session()
    session.client("s3").create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    # calls: 1 GetCallerIdentity, 2 PutObject (the lock), 3 GetObject (the record), ... 9 CreateRole
    killed = wsdeploy(aws_server, tmp_path, "up", driver=["tests.support.aws_kill_driver", "call", "9"])
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    lock = json.loads(session.client("s3").get_object(Bucket=BUCKET, Key="chat/dev.lock")["Body"].read())
    assert lock["command"] == "up" and lock["host"] == socket.gethostname()
    assert lock["who"].startswith("arn:aws:") and lock["id"]

    refused = wsdeploy(aws_server, tmp_path, "up")
    message = " ".join(refused.stderr.split())
    assert refused.returncode == 2 and f"lock id {lock['id']}" in message
    assert f"`wsdeploy unlock dev {lock['id']}`" in message

    unlocked = wsdeploy(aws_server, tmp_path, "unlock", "dev", lock["id"])
    assert unlocked.returncode == 0 and "Removed the lock" in unlocked.stderr
    again = wsdeploy(aws_server, tmp_path, "up")
    assert again.returncode == 0, again.stderr
    assert re.fullmatch(r"wss://\w+\.execute-api\.eu-west-1\.amazonaws\.com/dev", again.stdout.strip())
    assert inventory(session, responses=False) == expected_inventory(ROUTES)
    record = json.loads(session.client("s3").get_object(Bucket=BUCKET, Key="chat/dev.json")["Body"].read())
    assert record_matches_aws(session, record, responses=False) == []
    keys = [o["Key"] for o in session.client("s3").list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert keys == ["chat/dev.json"] and not (tmp_path / ".wsdeploy" / "dev.json").exists()
    assert wsdeploy(aws_server, tmp_path, "down", "--yes").returncode == 0
    assert inventory(session, responses=False) == EMPTY
