"""The Lambda entry point: loading the handler module, dispatching events, shaping results."""

import importlib
import logging
import os
import sys
import textwrap

import pytest

from tests.conftest import make_event
from wsdeploy.runtime import lambda_handler
from wsdeploy.websocket import HandlerConfigurationError

APP = """
    from wsdeploy.websocket import on_connect, on_disconnect, on_message, on_route

    IMPORTS = globals().setdefault("IMPORTS", [])
    CALLS = []
    IMPORTS.append(1)

    @on_connect
    def connect(event, context):
        CALLS.append(("connect", event["requestContext"]["connectionId"]))
        return {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": "chat"}}

    @on_disconnect
    def disconnect(event, context):
        CALLS.append(("disconnect", event["requestContext"]["disconnectStatusCode"]))

    @on_message
    def default(event, context):
        CALLS.append(("default", event["body"]))

    @on_route("echo", reply=True)
    def echo(event, context):
        return {"you said": event["body"]}

    @on_route("text", reply=True)
    def text(event, context):
        return "plain text"

    @on_route("status", reply=True)
    def status(event, context):
        return {"statusCode": 400, "body": "bad request"}

    @on_route("quiet")
    def quiet(event, context):
        return {"ignored": True}

    @on_route("boom")
    def boom(event, context):
        raise RuntimeError("kaboom")
"""


@pytest.fixture
def app(app_dir, monkeypatch):
    app_dir("chatapp", APP)
    monkeypatch.setenv("WSDEPLOY_HANDLER_MODULE", "chatapp")
    lambda_handler(make_event("connect"), None)
    return importlib.import_module("chatapp")


def test_connect_result_passes_through_with_its_headers(app):
    assert lambda_handler(make_event("connect"), None) == {
        "statusCode": 200, "headers": {"Sec-WebSocket-Protocol": "chat"}}
    assert app.CALLS[-1] == ("connect", "BFHPhfCWIAMCKlQ=")


def test_the_module_is_imported_once_per_container(app):
    for _ in range(3):
        lambda_handler(make_event("message", body="x"), None)
    assert app.IMPORTS == [1]


def test_disconnect_returning_none_answers_200(app):
    assert lambda_handler(make_event("disconnect"), None) == {"statusCode": 200}
    assert app.CALLS[-1] == ("disconnect", 1005)


def test_an_unknown_route_key_goes_to_default(app):
    result = lambda_handler(make_event("message", body="hi", routeKey="nosuchroute"), None)
    assert result == {"statusCode": 200}
    assert app.CALLS[-1] == ("default", "hi")


@pytest.mark.parametrize("route_key, expected", [
    ("echo", {"statusCode": 200, "body": '{"you said":"hello"}'}),
    ("text", {"statusCode": 200, "body": "plain text"}),
    ("status", {"statusCode": 400, "body": "bad request"}),
    ("quiet", {"statusCode": 200}),
])
def test_reply_routes_shape_the_result(app, route_key, expected):
    assert lambda_handler(make_event("message", body="hello", routeKey=route_key), None) == expected


def test_a_raising_handler_is_logged_with_route_and_connection_then_reraised(app, caplog):
    with caplog.at_level(logging.ERROR, logger="wsdeploy"):
        with pytest.raises(RuntimeError, match="kaboom"):
            lambda_handler(make_event("message", body="x", routeKey="boom"), None)
    (record,) = caplog.records
    assert "boom" in record.getMessage() and "BFHPhfCWIAMCKlQ=" in record.getMessage()
    assert record.exc_info is not None


@pytest.mark.parametrize("event", [
    {"httpMethod": "GET", "path": "/", "requestContext": {"stage": "dev"}},
    {"Records": [{"eventSource": "aws:sqs"}]},
    None,
    "hello",
])
def test_an_event_that_is_not_a_websocket_event_gets_a_clear_error(runtime, event):
    with pytest.raises(HandlerConfigurationError, match="not an API Gateway WebSocket event"):
        lambda_handler(event, None)


def test_a_missing_handler_module_setting_is_explained(runtime):
    with pytest.raises(HandlerConfigurationError, match="WSDEPLOY_HANDLER_MODULE is not set"):
        lambda_handler(make_event("connect"), None)


def test_invalid_registration_fails_at_load_naming_the_missing_decorator(app_dir, monkeypatch):
    app_dir("halfapp", """
        from wsdeploy.websocket import on_connect

        @on_connect
        def connect(event, context):
            pass
    """)
    monkeypatch.setenv("WSDEPLOY_HANDLER_MODULE", "halfapp")
    with pytest.raises(HandlerConfigurationError, match=r"@on_message \(\$default\)"):
        lambda_handler(make_event("connect"), None)


def test_a_module_that_registers_nothing_is_explained(app_dir, monkeypatch):
    app_dir("emptyapp", "X = 1\n")
    monkeypatch.setenv("WSDEPLOY_HANDLER_MODULE", "emptyapp")
    with pytest.raises(HandlerConfigurationError, match="registers no handlers"):
        lambda_handler(make_event("connect"), None)


def test_a_failed_import_is_retried_on_the_next_event(app_dir, monkeypatch):
    path = app_dir("flaky", "raise ImportError('not yet')\n")
    monkeypatch.setenv("WSDEPLOY_HANDLER_MODULE", "flaky")
    with pytest.raises(ImportError):
        lambda_handler(make_event("connect"), None)
    path.write_text(textwrap.dedent(APP))
    assert lambda_handler(make_event("disconnect"), None) == {"statusCode": 200}


def test_the_endpoint_is_derived_from_api_id_region_and_stage(app, monkeypatch):
    monkeypatch.setenv("AWS_REGION", "eu-west-2")
    event = make_event("message", body="x", domainName="ws.example.com", stage="prod")
    lambda_handler(event, None)
    assert os.environ["WEBSOCKET_API_GATEWAY_ENDPOINT"] == (
        "https://abc123defg.execute-api.eu-west-2.amazonaws.com/prod")


def test_a_configured_endpoint_is_left_alone(app, monkeypatch):
    monkeypatch.setenv("AWS_REGION", "eu-west-2")
    monkeypatch.setenv("WEBSOCKET_API_GATEWAY_ENDPOINT", "https://custom.example.com/v1")
    lambda_handler(make_event("message", body="x"), None)
    assert os.environ["WEBSOCKET_API_GATEWAY_ENDPOINT"] == "https://custom.example.com/v1"


def test_an_import_that_fails_after_registering_is_undone_before_the_retry(app_dir, monkeypatch):
    flag = app_dir.path / "ready.flag"
    app_dir("partial_helpers", """
        from wsdeploy.websocket import on_route

        @on_route("join")
        def join(event, context):
            return None
    """)
    app_dir("partial", f"""
        import pathlib
        import partial_helpers
        from wsdeploy.websocket import on_connect, on_message

        @on_connect
        def connect(event, context):
            return {{"statusCode": 200}}

        @on_message
        def message(event, context):
            return None

        if not pathlib.Path({str(flag)!r}).exists():
            raise ConnectionError("the database is not up yet")
    """)
    monkeypatch.setenv("WSDEPLOY_HANDLER_MODULE", "partial")
    with pytest.raises(ConnectionError):
        lambda_handler(make_event("connect"), None)
    flag.write_text("")
    assert lambda_handler(make_event("connect"), None) == {"statusCode": 200}
    # the helper module was imported afresh too, so its route is registered again
    from wsdeploy.websocket import REGISTRY

    assert "join" in REGISTRY.routes()
    monkeypatch.delitem(sys.modules, "partial_helpers", raising=False)


@pytest.mark.parametrize("result, expected", [
    ({"headers": {"Sec-WebSocket-Protocol": "chat"}},
     {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": "chat"}}),
    ({"statusCode": 200, "body": {"a": "é"}}, {"statusCode": 200, "body": '{"a":"é"}'}),
])
def test_proxy_responses_are_completed(result, expected):
    from wsdeploy.runtime.entry import normalize_result

    assert normalize_result(result, reply=False) == expected


def test_a_reply_of_an_unsupported_type_is_a_type_error():
    from wsdeploy.runtime.entry import normalize_result

    with pytest.raises(TypeError, match="a reply must be"):
        normalize_result(42, reply=True)
