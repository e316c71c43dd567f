"""The app's HTTP routes through lambda_handler: a real Flask app (our WSGI adapter) and a real
FastAPI app (mangum), beside WebSocket handlers in the same module; loading only on need."""

import base64
import json
import sys

import pytest

from tests.conftest import make_event, make_http_event
from tests.unit.test_import_hygiene import heavy_in, modules_after
from wsdeploy.runtime import lambda_handler
from wsdeploy.runtime.http_app import MANGUM_MISSING, is_http_event
from wsdeploy.websocket import HandlerConfigurationError

FLASK_APP = """
    import json
    from flask import Flask, Response, request, make_response
    from wsdeploy.websocket import on_connect, on_message, broadcast, send_message

    IMPORTS = globals().setdefault("IMPORTS", [])
    IMPORTS.append(1)
    CLOSED = []
    app = Flask(__name__)

    @app.route("/")
    def index():
        return {"status": "ok"}

    @app.route("/echo", methods=["POST", "PUT"])
    def echo():
        return {"method": request.method, "args": request.args.to_dict(flat=False),
                "body": request.get_data(as_text=True), "cookies": dict(request.cookies),
                "remote": request.remote_addr, "script": request.script_root,
                "path": request.path, "url": request.url,
                "header": request.headers.get("X-Thing"), "type": request.content_type}

    @app.route("/binary", methods=["POST"])
    def binary():
        data = request.get_data()
        return Response(data[::-1], mimetype="application/octet-stream")

    @app.route("/cookies")
    def cookies():
        response = make_response("set")
        response.set_cookie("a", "1")
        response.set_cookie("b", "2")
        response.headers.add("X-Many", "one")
        response.headers.add("X-Many", "two")
        return response

    class Stream:
        def __iter__(self):
            yield b"part1,"
            yield b"part2"
        def close(self):
            CLOSED.append(1)

    @app.route("/stream")
    def stream():
        return Response(Stream(), mimetype="text/plain")

    @app.route("/notify", methods=["POST"])
    def notify():
        send_message("abc=", {"to": "one"})
        return {"sent": 1}

    @on_connect
    def connect(event, context):
        return {"statusCode": 200}

    @on_message
    def message(event, context):
        return None
"""

FASTAPI_APP = """
    from fastapi import FastAPI, Request, Response

    app = FastAPI()

    @app.get("/")
    def index():
        return {"status": "ok"}

    @app.post("/echo")
    async def echo(request: Request):
        body = await request.body()
        return {"body": body.decode(), "q": request.query_params.get("q"),
                "cookie": request.cookies.get("c"), "client": request.client.host}

    @app.post("/binary")
    async def binary(request: Request):
        return Response((await request.body())[::-1], media_type="application/octet-stream")
"""


@pytest.fixture
def flask_app(app_dir, runtime, monkeypatch):
    app_dir("flaskapp", FLASK_APP)
    monkeypatch.setenv("WSDEPLOY_HANDLER_MODULE", "flaskapp")
    monkeypatch.setenv("WSDEPLOY_HTTP_APP", "flaskapp:app")
    return app_dir


def body_json(response: dict) -> dict:
    assert response["isBase64Encoded"] is False
    return json.loads(response["body"])


def test_the_documented_event_is_an_http_event_and_a_websocket_event_is_not():
    assert is_http_event(make_http_event())
    assert not is_http_event(make_event("connect"))
    assert not is_http_event({"version": "2.0", "requestContext": {}})
    assert not is_http_event({"version": "1.0", "requestContext": {"http": {}}})


def test_flask_route_answers_through_the_handler(flask_app):
    response = lambda_handler(make_http_event("GET", "/"), None)
    assert response["statusCode"] == 200
    assert response["headers"]["content-type"] == "application/json"
    assert body_json(response) == {"status": "ok"}


def test_flask_sees_method_query_body_cookies_headers_and_client(flask_app):
    event = make_http_event("POST", "/echo", query="a=1&a=2&b=x%20y", body='{"k": "v"}',
                            headers={"Content-Type": "application/json", "X-Thing": "yes"},
                            cookies=["c1=one", "c2=two"])
    got = body_json(lambda_handler(event, None))
    assert got["method"] == "POST" and got["args"] == {"a": ["1", "2"], "b": ["x y"]}
    assert got["body"] == '{"k": "v"}' and got["type"] == "application/json"
    assert got["cookies"] == {"c1": "one", "c2": "two"} and got["header"] == "yes"
    assert got["remote"] == "205.255.255.176"
    assert got["url"] == "https://r3pmxmplak.execute-api.us-east-1.amazonaws.com/echo?a=1&a=2&b=x%20y"


def test_a_named_stage_is_the_script_name(flask_app):
    got = body_json(lambda_handler(make_http_event("PUT", "/dev/echo", stage="dev"), None))
    assert (got["script"], got["path"]) == ("/dev", "/echo")


def test_binary_bodies_are_base64_both_ways(flask_app):
    data = bytes(range(256))
    response = lambda_handler(make_http_event("POST", "/binary", body=data), None)
    assert response["isBase64Encoded"] is True
    assert base64.b64decode(response["body"]) == data[::-1]


def test_set_cookie_goes_to_cookies_and_repeated_headers_are_joined(flask_app):
    response = lambda_handler(make_http_event("GET", "/cookies"), None)
    assert [c.split(";")[0] for c in response["cookies"]] == ["a=1", "b=2"]
    assert response["headers"]["x-many"] == "one,two"
    assert "set-cookie" not in response["headers"] and response["body"] == "set"


def test_an_iterable_response_is_read_whole_and_closed(flask_app):
    response = lambda_handler(make_http_event("GET", "/stream"), None)
    assert response["body"] == "part1,part2"
    assert sys.modules["flaskapp"].CLOSED == [1]


def test_not_found_is_the_apps_answer(flask_app):
    assert lambda_handler(make_http_event("GET", "/nowhere"), None)["statusCode"] == 404


def test_the_same_module_serves_both_and_is_imported_once(flask_app):
    lambda_handler(make_http_event("GET", "/"), None)
    assert lambda_handler(make_event("connect"), None) == {"statusCode": 200}
    lambda_handler(make_http_event("GET", "/"), None)
    assert sys.modules["flaskapp"].IMPORTS == [1]


def test_an_http_route_sends_to_websocket_clients(flask_app, monkeypatch):
    from wsdeploy.runtime import management

    sent = []
    endpoint = "https://wsapi.execute-api.us-east-1.amazonaws.com/dev"
    monkeypatch.setenv("WEBSOCKET_API_GATEWAY_ENDPOINT", endpoint)
    management.install_gateway(endpoint, lambda method, cid, body: sent.append((method, cid, body))
                               or (200, "", b""))
    try:
        assert body_json(lambda_handler(make_http_event("POST", "/notify"), None)) == {"sent": 1}
    finally:
        management.install_gateway(endpoint, None)
    assert sent == [("POST", "abc=", b'{"to":"one"}')]


def test_fastapi_app_through_mangum(app_dir, runtime, monkeypatch):
    app_dir("fastapp", FASTAPI_APP)
    monkeypatch.setenv("WSDEPLOY_HTTP_APP", "fastapp:app")
    assert body_json(lambda_handler(make_http_event("GET", "/"), None)) == {"status": "ok"}
    event = make_http_event("POST", "/echo", query="q=1", body="hi", cookies=["c=3"])
    assert body_json(lambda_handler(event, None)) == {
        "body": "hi", "q": "1", "cookie": "3", "client": "205.255.255.176"}
    response = lambda_handler(make_http_event("POST", "/binary", body=b"\x00\xff"), None)
    assert response["isBase64Encoded"] and base64.b64decode(response["body"]) == b"\xff\x00"


def test_an_asgi_app_without_mangum_names_it(app_dir, runtime, monkeypatch):
    app_dir("asgiapp", "async def app(scope, receive, send):\n    pass\n")
    monkeypatch.setenv("WSDEPLOY_HTTP_APP", "asgiapp:app")
    monkeypatch.setitem(sys.modules, "mangum", None)  # import mangum -> ImportError
    with pytest.raises(HandlerConfigurationError) as caught:
        lambda_handler(make_http_event(), None)
    assert str(caught.value) == MANGUM_MISSING.format(spec="asgiapp:app")
    assert "add mangum to your requirements file" in str(caught.value)


@pytest.mark.parametrize("source, spec, words", [
    ("app = 1\n", "plain:app", "not callable"),
    ("x = 1\n", "plain:app", "has no attribute 'app'"),
])
def test_a_bad_http_app_is_named(app_dir, runtime, monkeypatch, source, spec, words):
    app_dir("plain", source)
    monkeypatch.setenv("WSDEPLOY_HTTP_APP", spec)
    with pytest.raises(HandlerConfigurationError, match=words):
        lambda_handler(make_http_event(), None)
    assert "plain" not in sys.modules  # undone: the next event retries


def test_an_http_event_without_http_app_set_says_so(runtime):
    with pytest.raises(HandlerConfigurationError, match="WSDEPLOY_HTTP_APP is not set"):
        lambda_handler(make_http_event(), None)


def test_a_websocket_event_never_imports_the_http_app_or_a_framework(tmp_path):
    (tmp_path / "both.py").write_text(
        "from wsdeploy.websocket import on_connect\n"
        "on_connect(lambda event, context: None)\n"
        "from wsdeploy.websocket import on_message\n"
        "on_message(lambda event, context: None)\n"
        "def app(environ, start_response):\n"
        "    import flask\n")
    code = (
        f"import os, sys; sys.path.insert(0, {str(tmp_path)!r})\n"
        "os.environ['WSDEPLOY_HANDLER_MODULE'] = 'both'\n"
        "os.environ['WSDEPLOY_HTTP_APP'] = 'both:app'\n"
        "from wsdeploy.runtime import lambda_handler\n"
        "event = {'requestContext': {'eventType': 'CONNECT', 'routeKey': '$connect',\n"
        "         'connectionId': 'AbCdEfGhIjKlMn0=', 'apiId': 'abc', 'stage': 'dev'}}\n"
        "assert lambda_handler(event, None) == {'statusCode': 200}"
    )
    imported = modules_after(code)
    assert heavy_in(imported) == []
    assert "wsdeploy.runtime.http_app" not in imported and "wsdeploy.runtime.wsgi" not in imported
    assert "flask" not in imported
