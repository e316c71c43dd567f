"""Fixtures shared across the suite: gateway-shaped events, a clean runtime, an app on disk."""

from __future__ import annotations

import copy
import json
import sys
import textwrap
from pathlib import Path

import pytest

EVENTS_DIR = Path(__file__).parent / "fixtures" / "events"
_EVENTS = {kind: json.loads((EVENTS_DIR / f"{kind}.json").read_text())
           for kind in ("connect", "message", "disconnect", "http")}


def make_event(kind: str, body: str | None = None, **request_context: object) -> dict:
    """A fresh copy of a fixture event, with `body` and requestContext fields overridden."""
    event = copy.deepcopy(_EVENTS[kind])
    if body is not None:
        event["body"] = body
    event["requestContext"].update(request_context)
    return event


def make_http_event(method: str = "GET", path: str = "/", query: str = "", body: bytes | str = "",
                    headers: dict | None = None, cookies: list | None = None,
                    stage: str = "$default") -> dict:
    """An HTTP API event of payload format 2.0 (AWS's documented example, fields replaced)."""
    import base64

    event = copy.deepcopy(_EVENTS["http"])
    binary = isinstance(body, bytes)
    event.update(rawPath=path, rawQueryString=query, isBase64Encoded=binary,
                 body=base64.b64encode(body).decode() if binary else body)
    event["headers"].update({k.lower(): v for k, v in (headers or {}).items()})
    event["headers"]["content-length"] = str(len(body))
    if cookies is not None:
        event["cookies"] = cookies
    event["requestContext"]["http"].update(method=method, path=path)
    event["requestContext"]["stage"] = stage
    return event


@pytest.fixture
def runtime(monkeypatch):
    """A runtime with no routes, no loaded module and no endpoint; restored afterwards."""
    from wsdeploy.runtime import entry

    for name in ("WSDEPLOY_HANDLER_MODULE", "WEBSOCKET_API_GATEWAY_ENDPOINT", "AWS_REGION",
                 "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_SESSION_TOKEN",
                 "WSDEPLOY_CONNECTIONS_TABLE",
                 "WSDEPLOY_CONNECTIONS_TRACK", "WSDEPLOY_CONNECTIONS_TTL_HOURS", "WSDEPLOY_HTTP_APP"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    entry.reset()
    yield entry
    entry.reset()


@pytest.fixture
def app_dir(tmp_path, monkeypatch, runtime):
    """Write handler modules into a folder on sys.path; `write(name, source)` returns its path."""
    created: list[str] = []

    def write(name: str, source: str) -> Path:
        path = tmp_path / f"{name}.py"
        path.write_text(textwrap.dedent(source))
        created.append(name)
        return path

    monkeypatch.syspath_prepend(str(tmp_path))
    write.path = tmp_path
    yield write
    for name in created:
        sys.modules.pop(name, None)
