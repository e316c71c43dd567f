"""Input that must stop `wsdeploy` with exit 2 and one message, before any AWS call (issue 14).

The CLI runs in-process; every botocore call is recorded, and refused, so a check that lets
bad input through fails here instead of reaching AWS.
"""

from __future__ import annotations

import json

import botocore.client
import pytest

from tests.support.aws_fixtures import moto_session
from tests.support.package_project import MINIMAL_APP, write_project
from wsdeploy.cli import main

__all__ = ["moto_session"]   # the fixture, imported for pytest


@pytest.fixture
def aws_calls(monkeypatch):
    """Every botocore API call the command attempts; none is sent anywhere."""
    calls = []

    def refuse(client, operation, params):
        calls.append(operation)
        raise AssertionError(f"AWS was called: {operation}")

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", refuse)
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("COLUMNS", "200")
    return calls


def cli(capsys, *args) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("toml, key", [
    ('[app]\nname = "bx\\n"\n[stages.dev]\n', "app.name"),
    ('[app]\nname = "bx"\n[stages."dev\\n"]\n', "stages.dev\\n"),
    ('[app]\nname = "bx"\nenvironment = { "GOOD\\n" = "1" }\n[stages.dev]\n', "app.environment.GOOD\\n"),
    ('[app]\nname = "bx"\nroute_selection = "$request.body.action\\n"\n[stages.dev]\n', "app.route_selection"),
    ('[app]\nname = "bx"\nregion = "us-east-1\\n"\n[stages.dev]\n', "app.region"),
    ('[app]\nname = "bx"\nenvironment = { TOKEN = "a\\u0000b" }\n[stages.dev]\n', "app.environment.TOKEN"),
])
def test_up_refuses_a_value_with_a_control_character_before_any_aws_call(tmp_path, monkeypatch, capsys,
                                                                         aws_calls, toml, key):
    write_project(tmp_path, toml, {"app.py": MINIMAL_APP})
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(capsys, "up")
    assert code == 2, err
    assert aws_calls == []
    assert err.startswith("error: wsdeploy.toml has 1 problem:\n") and f"\n  {key}: " in err
    assert "internal error" not in err and "Traceback" not in err and out == ""


# -- a damaged state file ------------------------------------------------------------------------
@pytest.fixture
def deployed(tmp_path, monkeypatch, moto_session, capsys):
    """A project deployed to moto; its state file is the test's to damage."""
    write_project(tmp_path, files={"app.py": MINIMAL_APP})
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["up"]) == 0
    capsys.readouterr()
    return tmp_path / ".wsdeploy" / "dev.json"


@pytest.mark.parametrize("damage, message", [
    (lambda text: text.replace('"app": "chat"', '"app": "ch\\u00e9t"').encode().replace(
        b"ch\\u00e9t", b"ch\xe9t"), "is not UTF-8 text"),
    (lambda text: text.replace('"region": "eu-west-1"', '"region": 5').encode(),
     "is damaged: region must be a string or null, not a number"),
    (lambda text: json.dumps({**json.loads(text), "resources": []}).encode(),
     "is damaged: resources must be an object, not a list"),
])
@pytest.mark.parametrize("command", ["up", "status", "down"])
def test_a_damaged_state_file_stops_each_command_with_one_message(deployed, capsys, damage, message,
                                                                  command):
    deployed.write_bytes(damage(deployed.read_text()))
    code, out, err = cli(capsys, command, *(["--yes"] if command == "down" else []))
    assert code == 2, err
    (error,) = [line for line in err.splitlines() if line.startswith("error: ")]
    assert message in error and "move it away" in error
    assert "internal error" not in err and "Traceback" not in err and out == ""


# -- the source folder: loops, a folder outside the project, files that look like secrets -------
def test_package_refuses_a_symlink_loop_with_one_message(tmp_path, monkeypatch, capsys, aws_calls):
    write_project(tmp_path, files={"app.py": MINIMAL_APP})
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "a").symlink_to("b")
    (tmp_path / "static" / "b").symlink_to("a")
    monkeypatch.chdir(tmp_path)
    for command in ("package", "up"):
        code, out, err = cli(capsys, command)
        assert code == 2 and out == "" and aws_calls == []
        assert err.startswith("error: static/") and "never reaches a file (its links form a loop)" in err
        assert "internal error" not in err


def test_package_refuses_a_source_outside_the_project_unless_confirmed(tmp_path, monkeypatch, capsys):
    write_project(tmp_path / "shared", files={"app.py": MINIMAL_APP})
    write_project(tmp_path / "proj", '[app]\nname = "chat"\nsource = "../shared"\n[stages.dev]\n')
    monkeypatch.chdir(tmp_path / "proj")
    code, out, err = cli(capsys, "package")
    assert code == 2 and out == ""
    assert "add source_outside = true to [app]" in err
    write_project(tmp_path / "proj", '[app]\nname = "chat"\nsource = "../shared"\n'
                                     'source_outside = true\n[stages.dev]\n')
    code, out, err = cli(capsys, "package")
    assert code == 0, err


def test_package_lists_the_files_it_left_out_as_secrets(tmp_path, monkeypatch, capsys):
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
    write_project(tmp_path, files={"app.py": MINIMAL_APP, "id_ed25519": key, "notes.txt": key})
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(capsys, "package", "--list")
    assert code == 0, err
    assert ("  left out 2 file(s) that look like secrets (to package one, list it in include in "
            "wsdeploy.toml):\n"
            "    id_ed25519  its name is that of a key or credentials file\n"
            "    notes.txt   it holds a PRIVATE KEY block\n") in out
    assert "  id_ed25519\n" not in out and "  notes.txt\n" not in out and "  app.py\n" in out


def test_up_warns_of_the_files_it_left_out_as_secrets(tmp_path, monkeypatch, moto_session, capsys):
    write_project(tmp_path, files={"app.py": MINIMAL_APP, "deploy.pem": "x"})
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    code, out, err = cli(capsys, "up")
    assert code == 0, err
    assert ("warning: left out of the package, as they look like secrets: deploy.pem (its name is "
            "that of a key or credentials file). To package one, list it in include in "
            "wsdeploy.toml\n") in err


# -- environment values in AWS's messages ----------------------------------------------------------
def test_an_escaped_environment_value_in_an_aws_error_never_reaches_the_terminal(
        tmp_path, monkeypatch, moto_session, capsys):
    """AWS quotes values JSON-escaped: a quote, a backslash or an accent must not let one through."""
    import wsdeploy.provision.aws as aws_package
    from tests.support.aws_strict import _error

    secret = 'pa"ss\\w\u00f6rd-42'
    write_project(tmp_path, '[app]\nname = "chat"\n[app.environment]\n'
                            f'DB_PASSWORD = {json.dumps(secret)}\n[stages.dev]\n', {"app.py": MINIMAL_APP})
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    escaped = json.dumps(secret)[1:-1]          # pa\"ss\\w\u00f6rd-42
    real = aws_package.make_session

    def make_session(profile, region):
        session = real(profile, region)
        session.events.register_first("before-call.lambda.CreateFunction", lambda model, **_: _error(
            model.name, "InvalidParameterValueException",
            f'Value {escaped} at "environment.variables.DB_PASSWORD" failed to satisfy constraint'))
        return session

    monkeypatch.setattr(aws_package, "make_session", make_session)
    code, out, err = cli(capsys, "up")
    assert code == 1 and 'Value *** at "environment.variables.DB_PASSWORD"' in err
    for shown in (secret, escaped, "ss\\\\w"):
        assert shown not in err and shown not in out
        assert shown not in (tmp_path / ".wsdeploy" / "dev.json").read_text()
