"""`wsdeploy package` (and `up`, before any AWS call) checks http_app in the isolated
interpreter, as Lambda will import it: it must import, and be a WSGI or an ASGI app (ASGI
with mangum packaged). Each problem is one message, exit 2 (issue 17)."""

from __future__ import annotations

import pytest

from tests.support.package_project import MINIMAL_APP, run_cli, write_project

WSGI = "def app(environ, start_response):\n    start_response('200 OK', [])\n    return [b'ok']\n"
ASGI = "async def app(scope, receive, send):\n    pass\n"


def package(tmp_path, http_app: str, files: dict) -> object:
    toml = f'[app]\nname = "chat"\nhandler_module = "app"\nhttp_app = "{http_app}"\n\n[stages.dev]\n'
    write_project(tmp_path, toml, {"app.py": MINIMAL_APP, **files})
    return run_cli("package", "--output", str(tmp_path / "out.zip"), cwd=tmp_path)


def test_a_wsgi_app_in_its_own_module_packages(tmp_path):
    done = package(tmp_path, "web:app", {"web.py": WSGI})
    assert done.returncode == 0, done.stderr


def test_the_handler_module_may_be_the_http_app(tmp_path):
    done = package(tmp_path, "app:app", {"app.py": MINIMAL_APP + WSGI})
    assert done.returncode == 0, done.stderr


def test_an_asgi_app_with_mangum_packaged_packages(tmp_path):
    done = package(tmp_path, "web:app", {"web.py": ASGI, "mangum/__init__.py": "class Mangum: pass\n"})
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("http_app, files, words", [
    ("web:app", {"web.py": "from flask import Flask\napp = Flask(__name__)\n"},
     ["importing it failed", "No module named 'flask'", "The package has no module 'flask'",
      "in your requirements file"]),
    ("nowhere:app", {}, ["No module named 'nowhere'"]),
    ("web:api", {"web.py": WSGI}, ["module 'web' has no attribute 'api'"]),
    ("web:app", {"web.py": "app = 42\n"}, ["the HTTP app is not callable (an object of type int)",
                                          "a WSGI app (Flask, Django) or an ASGI app (FastAPI, Starlette)"]),
    ("web:app", {"web.py": ASGI}, ["is an ASGI app", "add mangum to your requirements file"]),
])
def test_a_bad_http_app_is_one_clear_message_and_exit_2(tmp_path, http_app, files, words):
    done = package(tmp_path, http_app, files)
    assert done.returncode == 2, done.stderr
    message = done.stderr
    assert f"the HTTP app '{http_app}' (http_app in wsdeploy.toml) cannot be served from" in message
    for word in words:
        assert word in message, message
    assert "Traceback (most recent call last)" not in message.split("|")[0]
    assert not (tmp_path / "out.zip").exists()
