"""examples/flask-chat on `wsdeploy dev` (issue 17): the Flask page and the WebSocket on one
port; `POST /announce` reaches every client, a Python one and a page in headless Chromium."""

from __future__ import annotations

import json
import shutil
import urllib.request

from websockets.sync.client import connect

from tests.support.chromium import Browser
from tests.support.emulator_cli import REPO, DevProcess


def announce(base: str, message: str) -> dict:
    request = urllib.request.Request(f"{base}/announce", data=json.dumps({"message": message}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def example(tmp_path):
    folder = tmp_path / "flask-chat"
    shutil.copytree(REPO / "examples" / "flask-chat", folder,
                    ignore=shutil.ignore_patterns("__pycache__", ".wsdeploy"))
    return folder


def test_the_page_names_the_websocket_and_announce_reaches_a_client(tmp_path):
    with DevProcess(example(tmp_path)) as dev:
        base = dev.url.replace("ws://", "http://").rsplit("/", 1)[0]
        with urllib.request.urlopen(base + "/", timeout=30) as page:
            assert f'new WebSocket("{dev.url}")' in page.read().decode()
        with connect(dev.url) as ws:
            assert announce(base, "hello") == {"sent": 1}
            assert json.loads(ws.recv(timeout=10)) == {"type": "announcement", "message": "hello"}
        assert dev.wait_for_line(r"POST /announce\s+HTTP\s+200")
        assert dev.stop() == 0


def test_a_browser_page_receives_what_announce_broadcasts(tmp_path):
    with DevProcess(example(tmp_path)) as dev, Browser(tmp_path / "chromium-profile") as browser:
        base = dev.url.replace("ws://", "http://").rsplit("/", 1)[0]
        browser.goto(base + "/")
        browser.wait_for("document.getElementById('status') && document.getElementById('status').textContent",
                         lambda status: status == "connected")
        assert announce(base, "from the server") == {"sent": 1}
        log = browser.wait_for("document.getElementById('log').textContent", lambda text: bool(text))
        assert log == "from the server"
