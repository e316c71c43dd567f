"""Runs the emulator in-process on a background event loop, on a port the OS picks.

The server lives in its own thread, so tests can use blocking clients (websockets' sync
client, boto3) against it; leaving the `with` block stops it and restores the process.
"""

from __future__ import annotations

import asyncio
import textwrap
import threading
from pathlib import Path

import pytest

from wsdeploy.emulator import DevSettings, EventRecord, Gateway
from wsdeploy.emulator.context import Function
from wsdeploy.emulator.routing import RouteSelector


def write_app(folder: Path, source: str, name: str = "app.py") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(source))
    return path


class NarrowedSelector(RouteSelector):
    """Selects a message's route from the app's routes as `narrow(routes)` leaves them.

    A valid app always has `$default` (the runtime refuses one without it), so the "Forbidden"
    frame, which the gateway sends when neither a route nor `$default` takes a message, is
    reachable only by narrowing the routes the gateway selects from; a `narrow` that raises
    stands for a bug in the gateway's message path."""

    def __init__(self, expression: str, narrow):
        super().__init__(expression)
        self._narrow = narrow

    def select(self, body, route_keys):
        return super().select(body, self._narrow(route_keys))


class RunningGateway:
    """`with RunningGateway(app_dir) as gw:` then connect to `gw.url`. `route_table`, a function
    of the app's routes, narrows the routes messages are selected from (see NarrowedSelector)."""

    def __init__(self, source_dir: Path, module: str = "app", route_table=None, **overrides):
        overrides.setdefault("port", 0)
        overrides.setdefault("poll_seconds", None)  # tests rely on the per-event check
        self.settings = DevSettings(source_dir=source_dir, handler_module=module,
                                    function=Function("test-dev-ws", "us-east-1"), **overrides)
        self.events: list[EventRecord] = []
        self.notices: list[tuple[str, str]] = []
        self.gateway = Gateway(self.settings, on_event=self.events.append,
                               on_notice=lambda kind, text: self.notices.append((kind, text)))
        if route_table is not None:
            self.gateway.selector = NarrowedSelector(self.settings.route_selection, route_table)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> RunningGateway:
        self._thread.start()
        try:
            self.call(self.gateway.start())
        except BaseException:
            self._halt()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.call(self.gateway.stop())
        finally:
            self._halt()

    def _halt(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def call(self, coroutine, timeout: float = 30):
        """Run a coroutine on the server's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    @property
    def url(self) -> str:
        return self.gateway.url

    @property
    def management_url(self) -> str:
        return self.gateway.management_url

    def routes_run(self, route_key: str) -> list[EventRecord]:
        return [record for record in self.events if record.route_key == route_key]


def wait_for(predicate, timeout: float = 10, interval: float = 0.02):
    """Poll until `predicate()` is truthy and return it; fail after `timeout` (a deadline, not a speed check)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {predicate}")
        time.sleep(interval)


def read_to_end(sock) -> bytes:
    """Everything a server sends on a socket until it closes the connection (the socket's own
    timeout bounds each read)."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def app_events(module: str = "app") -> list[dict]:
    """The events the probe app recorded (tests/support/emulator_apps.PROBE)."""
    import sys

    return sys.modules[module].EVENTS


def events_of(kind: str, module: str = "app") -> list[dict]:
    return [e for e in app_events(module) if e["requestContext"]["eventType"] == kind]


def management_client(gateway: RunningGateway):
    """boto3's apigatewaymanagementapi client pointed at the local endpoint, with dummy keys."""
    import boto3

    return boto3.client("apigatewaymanagementapi", endpoint_url=gateway.management_url,
                        region_name="us-east-1", aws_access_key_id="AKIDLOCAL",
                        aws_secret_access_key="local-secret")


@pytest.fixture
def gw(tmp_path):
    """The probe app (tests/support/emulator_apps.PROBE) served on a free port."""
    from tests.support.emulator_apps import PROBE

    write_app(tmp_path, PROBE)
    with RunningGateway(tmp_path) as running:
        yield running
