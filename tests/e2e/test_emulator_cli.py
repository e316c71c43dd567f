"""`wsdeploy dev` as a user runs it: what it prints, how it stops, and its errors."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import textwrap
from pathlib import Path

import pytest
from websockets.sync.client import connect

from tests.support.emulator_cli import REPO, WSDEPLOY, DevProcess


@pytest.fixture
def echo_dir(tmp_path) -> Path:
    folder = tmp_path / "echo"
    shutil.copytree(REPO / "examples" / "echo", folder,
                    ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([WSDEPLOY, *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_it_prints_both_urls_and_a_line_per_event(echo_dir):
    with DevProcess(echo_dir) as dev:
        port = dev.url.rsplit(":", 1)[1].split("/")[0]
        assert dev.url == f"ws://127.0.0.1:{port}/dev"
        assert dev.wait_for_line(rf"@connections\s+http://127\.0\.0\.1:{port}/dev/@connections/")
        with connect(dev.url) as ws:
            ws.send(json.dumps({"action": "ping"}))
            assert ws.recv(timeout=10) == '{"type":"pong"}'
        line = dev.wait_for_line(r"\$default\s+\S{15}=\s+200\s+[\d.]+ ms")
        connection_id = line.split()[2]
        assert dev.wait_for_line(rf"\$connect\s+{connection_id}\s+200")
        assert dev.wait_for_line(rf"\$disconnect\s+{connection_id}\s+200")
        assert dev.stop() == 0
    assert "Traceback" not in "\n".join(dev.lines)


def test_quiet_silences_the_event_lines(echo_dir):
    with DevProcess(echo_dir, "--quiet") as dev:
        with connect(dev.url) as ws:
            ws.send(json.dumps({"action": "ping"}))
            ws.recv(timeout=10)
        dev.stop()
    event_line = re.compile(r"\$(connect|default|disconnect)\s+\S{15}=\s+\d")
    assert not [line for line in dev.lines if event_line.search(line)]
    assert any("$connect, $default" in line for line in dev.lines)  # the routes, once, at start
    assert any("connected:" in line for line in dev.lines)  # the app's own log lines stay


def test_an_edit_is_served_without_a_restart(echo_dir):
    with DevProcess(echo_dir) as dev, connect(dev.url) as ws:
        app = echo_dir / "app.py"
        app.write_text(app.read_text().replace('{"type": "pong"}', '{"type": "pong", "v": 2}'))
        dev.wait_for_line(r"reloaded app")  # the background poll saw it
        ws.send(json.dumps({"action": "ping"}))
        assert ws.recv(timeout=10) == '{"type":"pong","v":2}'


def test_a_broken_edit_is_reported_clearly_and_the_last_good_version_serves(echo_dir):
    with DevProcess(echo_dir) as dev, connect(dev.url) as ws:
        app = echo_dir / "app.py"
        app.write_text(app.read_text() + "\ndef broken(:\n")
        dev.wait_for_line(r"app failed to import .*still serving the last good version")
        assert dev.wait_for_line(r"SyntaxError")
        ws.send(json.dumps({"action": "ping"}))
        assert ws.recv(timeout=10) == '{"type":"pong"}'


def test_a_port_in_use_is_one_clear_error(echo_dir):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("dev", "--port", str(port), cwd=echo_dir)
    assert result.returncode == 2
    assert f"port {port} on 127.0.0.1 is in use" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_a_bad_stage_and_a_missing_config_exit_2_without_traceback(echo_dir, tmp_path):
    bad_stage = run("dev", "nosuch", "--port", "0", cwd=echo_dir)
    assert bad_stage.returncode == 2 and 'no stage "nosuch"' in bad_stage.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    missing = run("dev", "--port", "0", cwd=empty)
    assert missing.returncode == 2 and "wsdeploy.toml" in missing.stderr
    for result in (bad_stage, missing):
        assert "Traceback" not in result.stderr + result.stdout


def test_the_stage_environment_reaches_the_handlers(echo_dir):
    (echo_dir / "wsdeploy.toml").write_text(
        (echo_dir / "wsdeploy.toml").read_text() + 'environment = { GREETING = "hola" }\n')
    (echo_dir / "app.py").write_text((echo_dir / "app.py").read_text().replace(
        'send_message(connection_id, {"type": "pong"})',
        'send_message(connection_id, {"type": "pong", "greeting": __import__("os").environ["GREETING"]})'))
    with DevProcess(echo_dir) as dev, connect(dev.url) as ws:
        ws.send(json.dumps({"action": "ping"}))
        assert json.loads(ws.recv(timeout=10)) == {"type": "pong", "greeting": "hola"}


def test_help_explains_the_command():
    result = subprocess.run([WSDEPLOY, "dev", "--help"], capture_output=True, text=True,
                            timeout=60, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0
    for words in ("ws://HOST:PORT/STAGE", "@connections", "--idle-timeout", "--max-duration",
                  "--quiet", "--port", "next event"):
        assert words in result.stdout, words


def test_stopping_closes_connections_with_1001_and_raises_disconnect(echo_dir):
    from websockets.exceptions import ConnectionClosed

    with DevProcess(echo_dir) as dev, connect(dev.url) as ws:
        line = dev.wait_for_line(r"\$connect\s+\S{15}=\s+200")
        assert dev.stop() == 0
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=10)
        assert closed.value.rcvd.code == 1001
        assert dev.wait_for_line(rf"\$disconnect\s+{line.split()[2]}\s+200")
        assert dev.wait_for_line("stopping")


STUCK = '''
import logging
import time
from wsdeploy.websocket import on_connect, on_message

@on_connect
def connect(event, context):
    return {"statusCode": 200}

@on_message
def default(event, context):
    logging.getLogger("app").info("stuck now")
    while True:
        time.sleep(0.05)
'''


def test_a_stuck_handler_does_not_keep_it_from_stopping(echo_dir):
    (echo_dir / "app.py").write_text(STUCK)
    with DevProcess(echo_dir) as dev, connect(dev.url) as ws:
        ws.send("hi")
        dev.wait_for_line("stuck now")
        assert dev.stop() == 0  # SIGTERM: closes, waits a little for handlers, exits
        assert dev.wait_for_line(r"\$disconnect\s+\S{15}=\s+200")
        assert dev.wait_for_line(r"1 handler\(s\) still running, left behind")
    assert "Traceback" not in "\n".join(dev.lines)


def test_a_second_ctrl_c_stops_at_once(echo_dir):
    (echo_dir / "app.py").write_text(STUCK)
    with DevProcess(echo_dir) as dev, connect(dev.url) as ws:
        ws.send("hi")
        dev.wait_for_line("stuck now")
        dev.process.send_signal(signal.SIGINT)
        dev.wait_for_line("Ctrl-C again to stop at once")
        dev.process.send_signal(signal.SIGINT)
        assert dev.process.wait(timeout=20) == 130
        dev.stop()
    assert dev.wait_for_line("stopped at once")
    assert "Traceback" not in "\n".join(dev.lines)


def test_without_any_credentials_boto3_in_a_handler_still_signs_and_reaches_the_local_api(echo_dir, tmp_path):
    (echo_dir / "app.py").write_text(textwrap.dedent('''
        import boto3
        from wsdeploy.websocket import on_connect, on_message

        @on_connect
        def connect(event, context):
            return {"statusCode": 200}

        @on_message
        def default(event, context):
            boto3.client("apigatewaymanagementapi").post_to_connection(
                ConnectionId=event["requestContext"]["connectionId"], Data=b"signed and delivered")
    '''))
    home = tmp_path / "home"
    home.mkdir()
    bare = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    with DevProcess(echo_dir, env={**bare, "HOME": str(home)}, replace_env=True) as dev, \
            connect(dev.url) as ws:
        ws.send("hi")
        assert ws.recv(timeout=10) == "signed and delivered"


def test_an_app_broken_from_the_start_is_reported_refuses_with_502_and_recovers(echo_dir):
    from websockets.exceptions import InvalidStatus

    app = echo_dir / "app.py"
    good = app.read_text()
    app.write_text(good + "\ndef broken(:\n")
    with DevProcess(echo_dir) as dev:
        dev.wait_for_line(r"app failed to import \(events fail until it imports")
        with pytest.raises(InvalidStatus) as refused:
            connect(dev.url)
        assert refused.value.response.status_code == 502
        dev.wait_for_line(r"\$connect\s+\S{15}=\s+502\s+[\d.]+ ms\s+SyntaxError: invalid syntax$")
        app.write_text(good)
        dev.wait_for_line(r"reloaded app: routes \$connect, \$default, \$disconnect")
        with connect(dev.url) as ws:
            ws.send(json.dumps({"action": "ping"}))
            assert ws.recv(timeout=10) == '{"type":"pong"}'
    assert not [line for line in dev.lines if "<frozen" in line]


def test_the_chat_example_tracks_connections_in_memory(tmp_path):
    chat = tmp_path / "chat"
    shutil.copytree(REPO / "examples" / "chat", chat, ignore=shutil.ignore_patterns("__pycache__"))

    def until(ws, kind: str) -> dict:
        while True:
            message = json.loads(ws.recv(timeout=10))
            if message["type"] == kind:
                return message

    with DevProcess(chat) as dev, connect(f"{dev.url}?name=ann") as ann, \
            connect(f"{dev.url}?name=bob") as bob:
        ann.send(json.dumps({"action": "join", "room": "lobby"}))
        assert until(ann, "joined")["name"] == "ann"
        bob.send(json.dumps({"action": "join", "room": "lobby"}))
        assert until(ann, "joined")["name"] == "bob"  # tracked $connect, rooms in memory
        ann.send(json.dumps({"action": "send", "room": "lobby", "message": "hi all"}))
        assert until(bob, "message") == {"type": "message", "room": "lobby", "name": "ann",
                                         "message": "hi all"}


def test_a_limit_hit_is_said_in_a_line_of_its_own(echo_dir):
    with DevProcess(echo_dir, "--quiet") as dev:
        port = int(dev.url.rsplit(":", 1)[1].split("/")[0])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"POST /dev/@connections/x HTTP/1.1\r\nContent-Length: 5\r\n"
                         b"Content-Length: 500\r\n\r\nhello")
            assert sock.recv(64).startswith(b"HTTP/1.1 400 ")
        line = dev.wait_for_line(r"^limit: ")
        assert "Content-Length is given more than once" in line and "400" in line
        assert dev.stop() == 0
    assert "Traceback" not in "\n".join(dev.lines)
