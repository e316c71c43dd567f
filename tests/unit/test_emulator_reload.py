"""Loading and hot-reloading the user's module in-process, and invoking it as Lambda would."""

from __future__ import annotations

import os
import sys
import textwrap
import threading
import types

import pytest

from wsdeploy.emulator import app_loader
from wsdeploy.emulator.app_loader import AppLoader
from wsdeploy.emulator.context import Function
from wsdeploy.emulator.invoke import Invoker

APP = """
from wsdeploy.websocket import on_connect, on_message, on_route
import helper

@on_connect
def connect(event, context):
    return {"statusCode": 200}

@on_message(reply=True)
def default(event, context):
    return {"version": VERSION, "helper": helper.NAME}

VERSION = 1
"""


def write(path, source):
    """Write a file and move its mtime on, so a change is seen even within one clock tick."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(textwrap.dedent(source))
    os.utime(path, ns=(before + 10**9, before + 10**9))


@pytest.fixture
def loader(tmp_path, runtime, monkeypatch):
    monkeypatch.setenv("WSDEPLOY_HANDLER_MODULE", "app")
    write(tmp_path / "helper.py", "NAME = 'first'\n")
    write(tmp_path / "app.py", APP)
    notices = []
    loader = AppLoader(tmp_path, "app", lambda kind, text: notices.append((kind, text)))
    loader.notices = notices
    loader.start(poll_seconds=None)
    yield loader
    loader.close()


def reply(loader) -> dict:
    import json

    invoker = Invoker(loader, Function("t-dev-ws", "us-east-1"))
    event = {"requestContext": {"eventType": "MESSAGE", "routeKey": "$default",
                                "connectionId": "x", "stage": "dev", "apiId": "a"}, "body": "{}"}
    outcome = invoker.invoke(lambda routes: ("$default", event))
    assert outcome.error is None, outcome.error
    return json.loads(outcome.body)


def test_the_app_loads_with_its_routes(loader):
    assert loader.routes == {"$connect": False, "$default": True}
    assert reply(loader) == {"version": 1, "helper": "first"}
    assert loader.notices == []


def test_an_edit_takes_effect_on_the_next_event(loader, tmp_path):
    write(tmp_path / "app.py", APP.replace("VERSION = 1", "VERSION = 2"))
    assert reply(loader)["version"] == 2
    assert loader.notices == [("reloaded", "$connect, $default")]


def test_an_edit_to_an_imported_module_reloads_it_too(loader, tmp_path):
    write(tmp_path / "helper.py", "NAME = 'second'\n")
    assert reply(loader) == {"version": 1, "helper": "second"}


def test_a_change_that_fails_to_import_is_reported_and_the_last_good_version_serves(loader, tmp_path):
    write(tmp_path / "app.py", APP + "\ndef broken(:\n")
    assert reply(loader)["version"] == 1
    kind, text = loader.notices[-1]
    assert kind == "failed" and "SyntaxError" in text and "app.py" in text
    assert loader.failure == text
    assert reply(loader)["version"] == 1 and len(loader.notices) == 1  # reported once

    write(tmp_path / "app.py", APP.replace("VERSION = 1", "VERSION = 3"))
    assert reply(loader)["version"] == 3 and loader.failure is None
    assert loader.notices[-1][0] == "reloaded"


def test_a_change_that_fails_validation_keeps_the_last_good_version(loader, tmp_path):
    write(tmp_path / "app.py", "from wsdeploy.websocket import on_route\n"
                               "@on_route('x')\ndef x(event, context): pass\n")
    assert reply(loader)["version"] == 1
    assert "missing" in loader.notices[-1][1] and "$connect" in loader.notices[-1][1]


def test_a_runtime_error_at_import_shows_the_users_frame_only(loader, tmp_path):
    write(tmp_path / "app.py", APP + "\n1 / 0\n")
    reply(loader)
    text = loader.notices[-1][1]
    assert "ZeroDivisionError" in text and "app.py" in text and "importlib" not in text


def test_a_new_file_fixes_a_missing_import_without_touching_the_app(loader, tmp_path):
    write(tmp_path / "app.py", APP.replace("import helper", "import helper, extra"))
    reply(loader)
    assert "extra" in loader.notices[-1][1]
    write(tmp_path / "extra.py", "")
    reply(loader)
    assert loader.failure is None and loader.notices[-1][0] == "reloaded"


def test_closing_forgets_the_app(tmp_path, runtime, monkeypatch):
    monkeypatch.setenv("WSDEPLOY_HANDLER_MODULE", "app")
    write(tmp_path / "helper.py", "NAME = 'x'\n")
    write(tmp_path / "app.py", APP)
    loader = AppLoader(tmp_path, "app")
    loader.start(poll_seconds=None)
    assert "app" in sys.modules and str(tmp_path) in sys.path
    loader.close()
    assert "app" not in sys.modules and "helper" not in sys.modules
    assert str(tmp_path) not in sys.path


def test_an_app_that_never_imported_fails_events_until_fixed(tmp_path, runtime, monkeypatch):
    monkeypatch.setenv("WSDEPLOY_HANDLER_MODULE", "app")
    write(tmp_path / "helper.py", "NAME = 'x'\n")
    write(tmp_path / "app.py", "import nonexistent_module_xyz\n")
    loader = AppLoader(tmp_path, "app")
    loader.start(poll_seconds=None)
    try:
        assert loader.routes is None
        outcome = Invoker(loader, Function("t", "us-east-1")).invoke(lambda routes: ("$connect", {}))
        assert outcome.error and "nonexistent_module_xyz" in outcome.error
        write(tmp_path / "app.py", APP)
        assert reply(loader)["version"] == 1
    finally:
        loader.close()


def test_the_context_is_lambda_like(loader, tmp_path):
    write(tmp_path / "app.py", APP.replace(
        'return {"version": VERSION, "helper": helper.NAME}',
        'return {k: getattr(context, k) for k in ("function_name", "function_version", '
        '"invoked_function_arn", "memory_limit_in_mb", "log_group_name", "log_stream_name", '
        '"aws_request_id")} | {"remaining": context.get_remaining_time_in_millis()}'))
    first, second = reply(loader), reply(loader)
    assert first["function_name"] == "t-dev-ws" and first["function_version"] == "$LATEST"
    assert first["invoked_function_arn"] == "arn:aws:lambda:us-east-1:000000000000:function:t-dev-ws"
    assert first["memory_limit_in_mb"] == "128" and first["log_group_name"] == "/aws/lambda/t-dev-ws"
    assert first["log_stream_name"].split("/")[3].startswith("[$LATEST]")
    assert 0 < first["remaining"] <= 30_000
    assert first["aws_request_id"] != second["aws_request_id"]


def test_sys_exit_in_a_handler_or_at_import_is_a_failure_not_the_end_of_the_server(loader, tmp_path):
    write(tmp_path / "app.py", APP.replace('return {"version": VERSION, "helper": helper.NAME}',
                                           'raise SystemExit(3)'))
    invoker = Invoker(loader, Function("t-dev-ws", "us-east-1"))
    outcome = invoker.invoke(lambda routes: ("$default", {"requestContext": {
        "eventType": "MESSAGE", "routeKey": "$default", "connectionId": "x"}, "body": "{}"}))
    assert outcome.error and "SystemExit" in outcome.error
    write(tmp_path / "app.py", APP + "\nimport sys\nsys.exit(1)\n")
    invoker.invoke(lambda routes: None)
    assert loader.notices[-1][0] == "failed" and "SystemExit" in loader.notices[-1][1]


def test_the_import_systems_frames_are_left_out_even_when_run_from_the_app_folder(loader, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # as `wsdeploy dev` runs: "<frozen ...>" resolves in here
    write(tmp_path / "app.py", APP + "\ndef broken(:\n")
    reply(loader)
    text = loader.notices[-1][1]
    assert "SyntaxError" in text and "<frozen" not in text and "importlib" not in text


def test_a_failing_event_factory_is_an_error_outcome_not_an_exception(loader):
    def broken(routes):
        raise RecursionError("maximum recursion depth exceeded")

    outcome = Invoker(loader, Function("t-dev-ws", "us-east-1")).invoke(broken)
    assert outcome.error and "RecursionError" in outcome.error


class _Race:
    """A handler thread that, during a failed reload, calls the runtime's load_handlers() after
    the loader has purged the user's modules: it imports the broken file itself and holds the
    runtime's lock while it does, until the loader's own restore calls load_handlers()."""

    def __init__(self, monkeypatch):
        self.importing = threading.Event()  # the handler thread is inside the broken import
        self.restoring = threading.Event()  # the loader's restore is calling load_handlers()
        self.shared = types.SimpleNamespace(importing=self.importing, restoring=self.restoring,
                                            handler=None)
        monkeypatch.setitem(sys.modules, "_race", self.shared)
        self.resets = 0
        real_entry = app_loader.entry

        def reset():
            real_entry.reset()
            self.resets += 1
            if self.resets == 2:  # _load's reset, then the one in _restore: the handler comes
                self.shared.handler = threading.Thread(target=self._handler, args=(real_entry,),
                                                       daemon=True)
                self.shared.handler.start()
                assert self.importing.wait(10)

        def load_handlers():
            if self.resets >= 2:
                self.restoring.set()
            real_entry.load_handlers()

        monkeypatch.setattr(app_loader, "entry", types.SimpleNamespace(
            reset=reset, load_handlers=load_handlers))

    @staticmethod
    def _handler(real_entry):
        try:
            real_entry.load_handlers()
        except Exception:  # noqa: BLE001 - this event fails; the next ones must not
            pass


BROKEN_SLOWLY = """
import threading, _race
if threading.current_thread() is _race.handler:  # hold the runtime's lock until the restore
    _race.importing.set()
    _race.restoring.wait(10)
""" + APP.replace("VERSION = 1", "VERSION = 2") + """
raise RuntimeError("broken on purpose")
"""


def test_a_handler_importing_during_a_failed_reload_does_not_break_the_last_good_version(
        loader, tmp_path, monkeypatch):
    race = _Race(monkeypatch)
    write(tmp_path / "app.py", BROKEN_SLOWLY)
    assert reply(loader)["version"] == 1  # the restore survived the handler's import
    assert race.resets >= 2 and loader.notices[-1][0] == "failed"
    assert reply(loader)["version"] == 1 and len(loader.notices) == 1  # and stays good
