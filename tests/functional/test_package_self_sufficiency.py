"""The zip runs on Lambda with nothing else from this machine.

Extract it into an empty folder, then, in an interpreter whose import path holds only the
standard library, that folder and boto3/botocore (which Lambda provides), import the entry
point and feed it CONNECT, MESSAGE and DISCONNECT events of the echo app, whose sends must
reach a management endpoint served here on 127.0.0.1.
"""

from __future__ import annotations

import http.server
import io
import json
import os
import subprocess
import sys
import threading
import zipfile
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.support.package_project import REPO, run_cli, write_project
from wsdeploy.config import load_stage
from wsdeploy.package import build_package

EVENTS = REPO / "tests" / "fixtures" / "events"
# What Lambda's Python runtimes provide beside the standard library: boto3 and its dependencies.
LAMBDA_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six.py", "urllib3")

# Runs in `python -I -S`: no site-packages, no PYTHONPATH, no script folder on the path.
DRIVER = r"""
import importlib.util, json, sys
task, provided = sys.argv[1], sys.argv[2]
sys.path[:] = [p for p in sys.path if p] + [task, provided]
from wsdeploy.runtime import lambda_handler
import wsdeploy
results = [lambda_handler(event, None) for event in json.load(sys.stdin)]
print(json.dumps({
    "results": results,
    "wsdeploy_file": wsdeploy.__file__,
    "app_file": sys.modules["app"].__file__,
    "cli_importable": importlib.util.find_spec("wsdeploy.cli") is not None,
    "typer_importable": importlib.util.find_spec("typer") is not None,
}))
"""


class ManagementApi(http.server.BaseHTTPRequestHandler):
    """Records each @connections call and answers as the gateway does."""

    received: list[dict] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        self.received.append({"path": unquote(self.path), "body": json.loads(body),
                              "signed": self.headers.get("authorization", "").startswith("AWS4-HMAC-SHA256")})
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def management_api():
    ManagementApi.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ManagementApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    thread.join()


def lambda_provided_folder(folder: Path) -> Path:
    """Links to this machine's boto3 & co only: Lambda's own copy of them."""
    import boto3

    site = Path(boto3.__file__).resolve().parents[1]
    folder.mkdir()
    for name in LAMBDA_PROVIDED:
        (folder / name).symlink_to(site / name)
    return folder


def events() -> list[dict]:
    connect, message, disconnect = (json.loads((EVENTS / f"{k}.json").read_text())
                                    for k in ("connect", "message", "disconnect"))
    echo = json.loads(json.dumps(message))
    ping = json.loads(json.dumps(message))
    ping["body"] = json.dumps({"action": "ping"})
    echo["body"] = json.dumps({"action": "echo", "data": "hello"})
    return [connect, echo, ping, disconnect]


def starter_app(root: Path) -> Path:
    """A project made by `wsdeploy init`, whose app.py is the echo app too."""
    root.mkdir()
    assert run_cli("init", cwd=root).returncode == 0
    return root / "wsdeploy.toml"


@pytest.mark.parametrize("make_project", ["echo example", "wsdeploy init"])
def test_the_extracted_zip_handles_events_with_only_the_stdlib_and_boto3(tmp_path, management_api,
                                                                         make_project):
    if make_project == "echo example":
        config = write_project(tmp_path / "project", echo=True)
    else:
        config = starter_app(tmp_path / "project")
    built = build_package(load_stage(config))
    task = tmp_path / "task"
    task.mkdir()
    zipfile.ZipFile(io.BytesIO(built.data)).extractall(task)
    provided = lambda_provided_folder(tmp_path / "provided")
    port = management_api.server_address[1]
    env = {"PATH": os.environ.get("PATH", ""), "WSDEPLOY_HANDLER_MODULE": "app",
           "WEBSOCKET_API_GATEWAY_ENDPOINT": f"http://127.0.0.1:{port}/dev",
           "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
           "AWS_REGION": "us-east-1"}

    done = subprocess.run([sys.executable, "-I", "-S", "-c", DRIVER, str(task), str(provided)],
                          input=json.dumps(events()), capture_output=True, text=True, env=env,
                          cwd=tmp_path / "provided", timeout=60)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])

    assert report["results"] == [{"statusCode": 200}] * 4
    assert report["wsdeploy_file"] == str(task / "wsdeploy" / "__init__.py")
    assert report["app_file"] == str(task / "app.py")
    assert report["cli_importable"] is False and report["typer_importable"] is False
    path = "/dev/@connections/BFHPhfCWIAMCKlQ="
    assert ManagementApi.received == [
        {"path": path, "body": {"type": "echo", "data": "hello"}, "signed": True},
        {"path": path, "body": {"type": "pong"}, "signed": True},
    ]
