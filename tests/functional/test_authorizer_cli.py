"""`wsdeploy up`/`status`/`down` of an app guarded by @on_authorize or by `auth = "iam"`, through
the CLI against moto in-process (made strict), and the config error of both at once."""

from __future__ import annotations

import json

import pytest

from tests.functional.test_provision_cli import cli, hooks, project
from tests.support.aws_fixtures import CallLog, moto_session
from tests.support.aws_inventory import EMPTY, expected_inventory, inventory
from tests.support.aws_strict import make_strict
from tests.support.package_project import MINIMAL_APP, MINIMAL_TOML, write_project

__all__ = ["moto_session", "project", "hooks"]   # fixtures, imported for pytest
ROUTES = ["$connect", "$default", "$disconnect"]
GUARDED_APP = MINIMAL_APP + """
from wsdeploy.websocket import allow, on_authorize

@on_authorize(identity=["route.request.querystring.token"])
def authorize(event, context):
    return allow("someone")
"""


@pytest.fixture
def strict(hooks):
    hooks.append(type("Strict", (), {"attach": staticmethod(make_strict)}))


def test_iam_auth_and_an_authorizer_together_exit_2_before_any_aws_call(project, capsys, hooks):
    write_project(project, MINIMAL_TOML.replace("[stages.dev]", 'auth = "iam"\n\n[stages.dev]'),
                  files={"app.py": GUARDED_APP})
    log = CallLog()
    hooks.append(log)
    code, out, err = cli(capsys, "up")
    assert code == 2 and log.calls == [] and "Traceback" not in err
    assert 'stage dev sets auth = "iam", but the app registers an authorizer (app.authorize)' in err
    assert 'remove auth = "iam" or the @on_authorize function' in " ".join(err.split())


def test_an_unknown_auth_value_is_a_config_error(project, capsys):
    write_project(project, MINIMAL_TOML.replace("[stages.dev]", '[stages.dev]\nauth = "jwt"'))
    code, _, err = cli(capsys, "up")
    assert code == 2 and 'stages.dev.auth: "jwt" is not a way to guard $connect' in " ".join(err.split())


def test_an_authorizer_from_plan_to_status_to_down(project, moto_session, capsys, strict):
    write_project(project, files={"app.py": GUARDED_APP})
    code, _, err = cli(capsys, "up", "--dry-run")
    flat = " ".join(err.split())
    assert code == 0 and "create authorizer chat-dev-ws-authorizer (REQUEST, identity " \
        "route.request.querystring.token)" in flat
    assert "create route $connect (authorization CUSTOM)" in flat
    code, _, err = cli(capsys, "up")
    assert code == 0, err
    assert inventory(moto_session) == expected_inventory(ROUTES, connect_auth="CUSTOM")
    code, out, err = cli(capsys, "status", "--json")
    report = json.loads(out)
    assert code == 0 and report["drift"] == []
    assert {r["type"] for r in report["resources"]} >= {"authorizer", "authorizer_permission"}
    code, out, _ = cli(capsys, "status")
    rows = [line.split() for line in out.splitlines()]
    assert code == 0 and ["authorizer", report["resources"][-2]["id"], "ok"] in rows
    assert ["authorizer", "permission", "wsdeploy-apigateway-authorizer", "ok"] in rows
    code, _, err = cli(capsys, "down", "--yes")
    assert code == 0, err
    assert inventory(moto_session) == EMPTY


def test_iam_auth_guards_connect_with_aws_iam(project, moto_session, capsys, strict):
    write_project(project, MINIMAL_TOML.replace("[stages.dev]", '[stages.dev]\nauth = "iam"'),
                  files={"app.py": MINIMAL_APP})
    code, _, err = cli(capsys, "up")
    assert code == 0 and "create route $connect (authorization AWS_IAM)" in " ".join(err.split())
    assert inventory(moto_session) == expected_inventory(ROUTES, connect_auth="AWS_IAM")
    write_project(project, MINIMAL_TOML, files={"app.py": MINIMAL_APP})
    code, _, err = cli(capsys, "up")
    assert code == 0 and "update route $connect (authorization)" in " ".join(err.split())
    assert inventory(moto_session) == expected_inventory(ROUTES)
