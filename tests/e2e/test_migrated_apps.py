"""Apps written for Zappa and Chalice, moved to wsdeploy as a new user would, then run with the
installed `wsdeploy` on the emulator (`wsdeploy dev`) and real WebSocket clients. Their
DynamoDB tables live on a moto server on 127.0.0.1 (AWS_ENDPOINT_URL), so nothing reaches AWS.

- the feature reference's class example (tests/fixtures/apps/zappa_class/app.py: the text of
  the reference with its import line changed, nothing else), under `init --from-zappa`;
- Chalice's two WebSocket tutorials ported: the echo server, and the chat whose helper package
  chalicelib imports wsdeploy.websocket too (discovery must still pick app.py).
"""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest
from websockets.sync.client import connect

from tests.support.aws_server import aws_server, moto_server
from tests.support.cli_user import run_wsdeploy
from tests.support.emulator_cli import DevProcess

__all__ = ["aws_server", "moto_server"]   # fixtures, imported for pytest

APPS = Path(__file__).resolve().parents[1] / "fixtures" / "apps"


def copy_app(name: str, tmp_path: Path) -> Path:
    folder = tmp_path / name
    shutil.copytree(APPS / name, folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def receive(ws, timeout: float = 15) -> str:
    return ws.recv(timeout=timeout)


# -- Zappa ----------------------------------------------------------------------------------------
ZAPPA_SETTINGS = {
    "dev": {"app_function": "app.app", "aws_region": "eu-west-1", "project_name": "chat-room",
            "runtime": "python3.12", "s3_bucket": "zappa-deploys", "memory_size": 1024,
            "timeout_seconds": 20, "environment_variables": {"LOG_LEVEL": "debug", "RETRIES": 3},
            "websocket_handler_module": "app", "exclude_glob": ["tests/**/*", "*.md"],
            "keep_warm": False, "cloudwatch_retention_days": 30},
    "prod": {"extends": "dev", "aws_region": "us-east-1", "memory_size": 2048,
             "environment_variables": {"LOG_LEVEL": "warning"}, "vpc_config": {"SubnetIds": ["s-1"]},
             "domain": "ws.example.com"},
}


def test_zappa_settings_become_wsdeploy_toml_with_nothing_dropped_silently(aws_server, tmp_path):
    folder = copy_app("zappa_class", tmp_path)
    (folder / "zappa_settings.json").write_text(json.dumps(ZAPPA_SETTINGS, indent=2))
    done = run_wsdeploy("init", "--from-zappa", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Created wsdeploy.toml, .gitignore for app chat-room in {folder}\n")
    assert not (folder / "app.py").read_text().startswith('"""chat-room')   # the app is left alone

    written = (folder / "wsdeploy.toml").read_text()
    data = tomllib.loads(written)
    assert data["app"] == {"name": "chat-room", "runtime": "python3.12", "architecture": "x86_64",
                           "timeout": 20, "handler_module": "app", "exclude": ["tests/**/*", "*.md"],
                           "log_retention_days": 30, "http_app": "app:app", "default_stage": "dev"}
    assert data["stages"] == {
        "dev": {"region": "eu-west-1", "memory": 1024,
                "environment": {"LOG_LEVEL": "debug", "RETRIES": "3"}},
        "prod": {"region": "us-east-1", "memory": 2048, "environment": {"LOG_LEVEL": "warning"}}}
    # every key of every stage is either carried over or listed, in the output and the file
    said = done.stderr
    for stage in ZAPPA_SETTINGS.values():
        for key in stage:
            if key not in ("project_name", "extends"):
                assert f"{key} " in said or f"{key} ->" in said, key
    for line in ("s3_bucket (every stage): not needed",
                 "vpc_config (stage prod)", "domain (stage prod)", "keep_warm (every stage)"):
        assert line in said and f"#   {line}" in written
    assert "Change `zappa.websocket` to `wsdeploy.websocket`" not in said   # already done
    for stage in ("dev", "prod"):                 # each stage is a valid one, in its region
        status = run_wsdeploy("status", stage, "--json", cwd=folder, env=aws_server.env())
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout)["region"] == ZAPPA_SETTINGS[stage]["aws_region"]


def test_init_from_zappa_names_the_files_still_importing_zappa(tmp_path):
    folder = tmp_path / "old"
    folder.mkdir()
    (folder / "zappa_settings.json").write_text('{"dev": {"aws_region": "eu-west-1"}}')
    (folder / "app.py").write_text("from zappa.websocket import on_connect, on_message\n")
    done = run_wsdeploy("init", "--from-zappa", "zappa_settings.json", "--name", "old-app", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert ("Change `zappa.websocket` to `wsdeploy.websocket` in: app.py (the names are the same, "
            "ZappaWebSocketServer included).") in done.stderr
    assert tomllib.loads((folder / "wsdeploy.toml").read_text())["app"]["name"] == "old-app"
    missing = run_wsdeploy("init", "--from-zappa", cwd=tmp_path)
    assert missing.returncode == 2 and "no zappa_settings.json (or .toml, .yml) in" in missing.stderr
    stray = run_wsdeploy("init", "zappa_settings.json", cwd=tmp_path)
    assert stray.returncode == 2 and "read only with --from-zappa" in stray.stderr


def make_table(aws_server, name: str, keys: list[tuple[str, str]], index: str | None = None) -> None:
    params = {"TableName": name, "BillingMode": "PAY_PER_REQUEST",
              "KeySchema": [{"AttributeName": k, "KeyType": t} for k, t in keys],
              "AttributeDefinitions": [{"AttributeName": k, "AttributeType": "S"} for k, _ in keys]}
    if index:
        params["GlobalSecondaryIndexes"] = [{
            "IndexName": index, "Projection": {"ProjectionType": "ALL"},
            "KeySchema": [{"AttributeName": "SK", "KeyType": "HASH"},
                          {"AttributeName": "PK", "KeyType": "RANGE"}]}]
    aws_server.session().client("dynamodb").create_table(**params)


def stored(aws_server, table: str) -> list[dict]:
    return aws_server.session().client("dynamodb").scan(TableName=table)["Items"]


def test_the_zappa_class_example_runs_with_its_import_line_changed(aws_server, tmp_path):
    folder = copy_app("zappa_class", tmp_path)
    (folder / "zappa_settings.json").write_text(json.dumps(ZAPPA_SETTINGS))
    assert run_wsdeploy("init", "--from-zappa", cwd=folder).returncode == 0
    make_table(aws_server, "websocket-connections", [("connectionId", "HASH")])
    with DevProcess(folder, "--quiet", env=aws_server.env(), replace_env=True) as dev:
        with connect(dev.url) as alice, connect(dev.url) as bob:
            assert len(stored(aws_server, "websocket-connections")) == 2       # on_connect: put_item
            alice.send(json.dumps({"message": "hello from zappa"}))
            for ws in (alice, bob):                                            # on_message: scan, send
                reply = json.loads(receive(ws))
                assert reply["message"] == "hello from zappa" and reply["sender"]
        dev.wait_for_line(r"Client left")                                           # on_disconnect ran
    assert stored(aws_server, "websocket-connections") == []


# -- Chalice ----------------------------------------------------------------------------------------
def test_chalices_echo_tutorial_ported(tmp_path):
    folder = copy_app("chalice_echo", tmp_path)
    assert run_wsdeploy("init", "--name", "echo-server", cwd=folder).returncode == 0
    with DevProcess(folder, "--quiet") as dev, connect(dev.url) as ws:
        for text in ("foo", "bar", "foo bar baz"):
            ws.send(text)
            assert receive(ws) == text


def test_chalices_chat_tutorial_ported_with_its_helper_package(aws_server, tmp_path):
    folder = copy_app("chalice_chat", tmp_path)
    init = run_wsdeploy("init", "--name", "chalice-chat", cwd=folder)
    assert init.returncode == 0, init.stderr
    config = folder / "wsdeploy.toml"
    config.write_text(config.read_text().replace('environment = { LOG_LEVEL = "info" }',
                                                 'environment = { TABLE = "ChaliceChat" }'))
    package = run_wsdeploy("package", cwd=folder, env=aws_server.env())  # app, not chalicelib
    assert package.returncode == 0, package.stderr
    assert "handler  app: $connect, $default, $disconnect" in package.stdout

    make_table(aws_server, "ChaliceChat", [("PK", "HASH"), ("SK", "RANGE")], index="ReverseLookup")
    with DevProcess(folder, "--quiet", env=aws_server.env(), replace_env=True) as dev:
        assert "handlers from app in" in "\n".join(dev.lines)
        with connect(dev.url) as john, connect(dev.url) as jenny:
            john.send("John")
            assert receive(john) == "Using nickname: John"
            jenny.send("Jenny")
            assert receive(jenny) == "Using nickname: Jenny"
            john.send("/join chalice")
            assert receive(john) == 'Joined chat room "chalice"'
            jenny.send("/join chalice")
            assert receive(jenny) == 'Joined chat room "chalice"'
            assert receive(john) == "Jenny joined room."
            john.send("Hi")
            assert receive(john) == "John: Hi" and receive(jenny) == "John: Hi"
        dev.wait_for_line(r"\$disconnect")
    assert stored(aws_server, "ChaliceChat") == []              # disconnect deleted every item


def test_a_zappa_app_without_its_framework_in_requirements_is_stopped_before_deploying(tmp_path):
    """The class example imports flask: the package lacks it, as Lambda would, and says so."""
    folder = copy_app("zappa_class", tmp_path)
    (folder / "wsdeploy.toml").write_text('[app]\nname = "migrated"\n\n[stages.dev]\n')
    done = run_wsdeploy("package", cwd=folder)
    assert done.returncode == 2
    assert "ModuleNotFoundError: No module named 'flask'" in done.stderr
    assert "A module missing here is missing on Lambda: list it in requirements." in done.stderr
