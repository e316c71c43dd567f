"""The feature reference's Flask example (tests/fixtures/apps/seed_flask: its text, with only
the import line changed) and the same app in FastAPI, with http_app set (issue 17): on
`wsdeploy dev` the app's `GET /` and the WebSocket echo answer on one port; `wsdeploy up`
against a moto server makes both APIs, each with its integration to the one function."""

from __future__ import annotations

import json
import re
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from websockets.sync.client import connect

from tests.e2e.test_cli_moto import run
from tests.support.aws_inventory import EMPTY, expected_inventory, inventory
from tests.support.aws_server import aws_server, moto_server
from tests.support.emulator_cli import DevProcess
from tests.support.vendored import project

__all__ = ["aws_server", "moto_server"]   # fixtures, imported for pytest

APPS = Path(__file__).resolve().parents[1] / "fixtures" / "apps"
FRAMEWORKS = {"seed_flask": ("flask",), "fastapi_chat": ("fastapi", "mangum")}


def http_url(ws_url: str, path: str = "/") -> str:
    return ws_url.replace("ws://", "http://").rsplit("/", 1)[0] + path


def get(url: str) -> tuple[int, dict]:
    with urllib.request.urlopen(url, timeout=30) as answer:
        return answer.status, json.loads(answer.read())


@pytest.mark.parametrize("app", FRAMEWORKS)
def test_on_dev_get_slash_and_the_websocket_echo_share_one_port(tmp_path, app):
    folder = tmp_path / app
    shutil.copytree(APPS / app, folder)
    with DevProcess(folder) as dev:
        assert get(http_url(dev.url)) == (200, {"status": "ok"})
        assert dev.wait_for_line(r"GET /\s+HTTP\s+200\s+[\d.]+ ms")
        with connect(dev.url) as ws:
            ws.send(json.dumps({"action": "echo", "data": "hi"}))
            assert json.loads(ws.recv(timeout=10)) == {"type": "echo", "data": "hi"}
        with pytest.raises(urllib.error.HTTPError) as missing:
            get(http_url(dev.url, "/nowhere"))
        assert missing.value.code == 404   # the app's own answer, not the gateway's 403
        source = folder / "app.py"          # hot reload covers the HTTP app
        source.write_text(source.read_text().replace('{"status": "ok"}', '{"status": "edited"}'))
        assert get(http_url(dev.url)) == (200, {"status": "edited"})
        assert dev.stop() == 0
    assert "Traceback" not in "\n".join(dev.lines)


@pytest.mark.parametrize("app", FRAMEWORKS)
def test_up_makes_both_apis_with_their_integrations_to_the_one_function(aws_server, tmp_path, app):
    folder = project(tmp_path, APPS / app, *FRAMEWORKS[app])
    session = aws_server.session()
    done = run(aws_server, folder, "up")
    assert done.returncode == 0, done.stderr
    ws_url, https_url = done.stdout.split()
    assert re.fullmatch(r"wss://[a-z0-9]+\.execute-api\.eu-west-1\.amazonaws\.com/dev", ws_url)
    assert re.fullmatch(r"https://[a-z0-9]+\.execute-api\.eu-west-1\.amazonaws\.com/", https_url)
    routes = ["$connect", "$default", "$disconnect"]   # always the three built-in routes
    assert inventory(session, f"{app_name(folder)}-dev-ws", responses=False) == \
        expected_inventory(routes, http=1)
    apigw, name = session.client("apigatewayv2"), f"{app_name(folder)}-dev-ws"
    function = session.client("lambda").get_function(FunctionName=name)["Configuration"]
    integrations = {api["ProtocolType"]: apigw.get_integrations(ApiId=api["ApiId"])["Items"]
                    for api in apigw.get_apis()["Items"]}
    (ws_integration,), (http_integration,) = integrations["WEBSOCKET"], integrations["HTTP"]
    assert ws_integration["IntegrationUri"].endswith(f"/functions/{function['FunctionArn']}/invocations")
    assert http_integration["IntegrationUri"] == function["FunctionArn"]
    assert http_integration["PayloadFormatVersion"] == "2.0"
    assert function["Environment"]["Variables"]["WSDEPLOY_HTTP_APP"] == "app:app"

    status = run(aws_server, folder, "status")
    assert status.returncode == 0, status.stderr
    assert f"HTTP URL     {https_url}" in status.stdout
    again = run(aws_server, folder, "up")
    assert again.returncode == 0 and again.stdout.split() == [ws_url, https_url], again.stderr
    gone = run(aws_server, folder, "down", "--yes")
    assert gone.returncode == 0, gone.stderr
    assert inventory(session, f"{app_name(folder)}-dev-ws", responses=False) == EMPTY


def app_name(folder: Path) -> str:
    return re.search(r'name = "([a-z-]+)"', (folder / "wsdeploy.toml").read_text()).group(1)
