"""examples/auth end to end (issue 11): on `wsdeploy dev` with real clients (websockets and
wscat), no token 401, a bad one 401, a banned user's 403, a good one connects and its messages
carry the principal; and its deploy path: in-process against strict moto, and the `wsdeploy`
command against the strict moto server (up, status, down)."""

from __future__ import annotations

import json
import shutil
import subprocess
import time

import jwt
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.support.aws_fixtures import STRICT_FIXTURES, aws, calls, life, moto_session, session, store
from tests.support.aws_inventory import EMPTY, expected_inventory, inventory
from tests.support.aws_server import strict_moto_server, strict_server
from tests.e2e.test_cli_moto import installed_wsdeploy
from tests.support.emulator_cli import REPO, WSCAT, DevProcess, run_wscat

__all__ = ["strict_moto_server", "strict_server", *STRICT_FIXTURES]   # fixtures, imported for pytest
SECRET = "change-me-to-a-long-random-secret-of-32-bytes"   # examples/auth/wsdeploy.toml's
ROUTES = ["$connect", "$default", "$disconnect"]


def token(user: str, secret: str = SECRET, plan: str = "pro", expires_in: int = 3600) -> str:
    return jwt.encode({"sub": user, "plan": plan, "exp": int(time.time()) + expires_in}, secret,
                      algorithm="HS256")


@pytest.fixture
def example(tmp_path):
    folder = tmp_path / "auth"
    shutil.copytree(REPO / "examples" / "auth", folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


@pytest.fixture
def dev(example):
    with DevProcess(example) as running:
        yield running


def refused(url: str) -> int:
    with pytest.raises(InvalidStatus) as caught:
        connect(url)
    return caught.value.response.status_code


def test_only_a_valid_token_of_a_user_not_banned_gets_in(dev):
    assert refused(dev.url) == 401
    assert refused(f"{dev.url}?token=not-a-jwt") == 401
    assert refused(f"{dev.url}?token={token('ann', secret='another-secret-of-at-least-32-bytes!')}") == 401
    assert refused(f"{dev.url}?token={token('ann', expires_in=-60)}") == 401
    assert refused(f"{dev.url}?token={token('mallory')}") == 403
    with connect(f"{dev.url}?token={token('ann')}") as ann, \
            connect(f"{dev.url}?token={token('bob', plan='free')}") as bob:
        ann.send(json.dumps({"message": "hi all"}))
        expected = {"from": "ann", "plan": "pro", "message": "hi all"}
        assert json.loads(ann.recv(timeout=10)) == expected
        assert json.loads(bob.recv(timeout=10)) == expected
    dev.wait_for_line(r"authorizer .* allow ann")
    dev.wait_for_line(r"authorizer .* 403 .* deny mallory")


def test_wscat_with_a_token_chats_and_without_one_is_refused(dev):
    assert WSCAT.exists(), f"{WSCAT} is missing: run `make setup` (it installs wscat from npm)"
    result = run_wscat(f"{dev.url}?token={token('ann')}", '{"message": "hello"}')
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ['{"from":"ann","plan":"pro","message":"hello"}']
    result = run_wscat(dev.url, '{"message": "hello"}')
    assert result.returncode != 0 and "Unexpected server response: 401" in result.stderr


def test_the_cli_deploys_it_against_the_moto_server(strict_server, example):
    env = strict_server.env()

    def wsdeploy(*args):
        return subprocess.run([installed_wsdeploy(), *args], cwd=example, env=env,
                              capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)

    done = wsdeploy("up")
    assert done.returncode == 0, done.stderr
    flat = " ".join(done.stderr.split())
    assert "create authorizer authchat-dev-ws-authorizer" in flat
    session = strict_server.session()
    assert inventory(session, "authchat-dev-ws", responses=False) == expected_inventory(ROUTES, tables=1, connect_auth="CUSTOM")
    status = wsdeploy("status", "--json")
    assert status.returncode == 0 and json.loads(status.stdout)["drift"] == [], status.stderr
    done = wsdeploy("down", "--yes")
    assert done.returncode == 0, done.stderr
    assert inventory(session, "authchat-dev-ws", responses=False) == EMPTY


def test_its_package_deploys_in_process_with_the_authorizer(example, session, aws, store):
    from wsdeploy.config import load_stage
    from wsdeploy.package import build_package
    from wsdeploy.provision.deploy import up
    from wsdeploy.provision.desired import desired_from

    cfg = load_stage(example / "wsdeploy.toml")
    built = build_package(cfg)
    assert any(name.startswith("jwt/") for name in built.files)        # the example's requirement
    assert not any(name == "make_token.py" for name in built.files)     # excluded
    d = desired_from(cfg, built, aws.region)
    assert d.connect_auth == "CUSTOM" and d.authorizer.identity == ("route.request.querystring.token",)
    up(aws, d, store)
    assert inventory(session, "authchat-dev-ws") == expected_inventory(ROUTES, tables=1, connect_auth="CUSTOM")
