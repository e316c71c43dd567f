"""The $connect authorizer in the runtime: registration, allow/deny documents, the entry point."""

import textwrap

import pytest

from tests.conftest import make_event
from tests.support.package_project import MINIMAL_APP
from wsdeploy.discover import AuthorizerInfo, read_handlers
from wsdeploy.runtime import lambda_handler
from wsdeploy.websocket import (
    REGISTRY,
    HandlerConfigurationError,
    WebSocketServer,
    allow,
    deny,
    on_authorize,
)

ARN = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/dev/$connect"

APP = """
    from wsdeploy.websocket import on_authorize, allow, deny, Unauthorized

    @on_authorize(identity=["route.request.querystring.token"], cache_seconds=60)
    def authorize(event, context):
        token = event["queryStringParameters"]["token"]
        if token == "banned":
            return deny("u-banned")
        if token == "bad-context":
            return allow("u-1", context={"groups": ["a"]})
        if token == "raw":
            return {"principalId": "raw", "policyDocument": {"Version": "2012-10-17", "Statement": []}}
        if token == "odd":
            return "yes"
        if token != "good":
            raise Unauthorized
        return allow("u-1", context={"plan": "pro", "admin": False, "seats": 3})

"""


APP = APP + textwrap.indent(MINIMAL_APP, "    ")


def authorizer_event(token: str) -> dict:
    return {"type": "REQUEST", "methodArn": ARN, "headers": {}, "queryStringParameters": {"token": token},
            "requestContext": {"routeKey": "$connect", "eventType": "CONNECT"}}


@pytest.fixture
def app(app_dir, monkeypatch):
    app_dir("authapp", APP)
    monkeypatch.setenv("WSDEPLOY_HANDLER_MODULE", "authapp")


def test_allow_becomes_the_policy_on_the_events_method_arn(app):
    assert lambda_handler(authorizer_event("good"), None) == {
        "principalId": "u-1",
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": ARN}]},
        "context": {"plan": "pro", "admin": False, "seats": 3},
    }


def test_deny_is_a_deny_statement(app):
    answer = lambda_handler(authorizer_event("banned"), None)
    assert answer["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert answer["principalId"] == "u-banned" and "context" not in answer


def test_unauthorized_is_the_exception_text_aws_turns_into_401(app):
    with pytest.raises(Exception) as caught:
        lambda_handler(authorizer_event("nope"), None)
    assert type(caught.value) is Exception and str(caught.value) == "Unauthorized"


def test_a_context_value_that_is_not_scalar_is_an_error_naming_its_key(app):
    with pytest.raises(TypeError, match="'groups' is a list"):
        lambda_handler(authorizer_event("bad-context"), None)


def test_a_policy_the_app_built_passes_through_and_anything_else_is_an_error(app):
    assert lambda_handler(authorizer_event("raw"), None)["principalId"] == "raw"
    with pytest.raises(TypeError, match="return allow"):
        lambda_handler(authorizer_event("odd"), None)


def test_route_events_still_go_to_the_routes(app):
    assert lambda_handler(make_event("connect"), None) == {"statusCode": 200}
    assert REGISTRY.describe()["authorizer"] == {
        "identity": ["route.request.querystring.token"], "cache_seconds": 60,
        "handler": "authapp.authorize"}


def test_an_authorizer_event_without_an_authorizer_says_how_to_add_one(app_dir, monkeypatch):
    app_dir("openapp", "from wsdeploy.websocket import on_connect, on_message\n"
                       "on_connect(lambda e, c: None)\non_message(lambda e, c: None)\n")
    monkeypatch.setenv("WSDEPLOY_HANDLER_MODULE", "openapp")
    with pytest.raises(HandlerConfigurationError, match="@on_authorize"):
        lambda_handler(authorizer_event("good"), None)


@pytest.mark.parametrize("identity", [
    ["route.request.body.token"], ["querystring.token"], ["route.request.header."],
    ["route.request.header.a b"], [3],
])
def test_identity_sources_are_checked_as_the_gateway_does(runtime, identity):
    with pytest.raises(HandlerConfigurationError, match="route.request.header.NAME"):
        on_authorize(identity=identity)


@pytest.mark.parametrize("seconds", [-1, 3601, 1.5, True, "60"])
def test_cache_seconds_must_be_0_to_3600(runtime, seconds):
    with pytest.raises(HandlerConfigurationError, match="from 0 to 3600"):
        on_authorize(identity=["stageVariables.key"], cache_seconds=seconds)


def test_bare_decorator_registers_an_authorizer_without_identity_sources(runtime):
    @on_authorize
    def check(event, context):
        return allow("x")

    assert REGISTRY.authorizer.identity == () and REGISTRY.authorizer.cache_seconds == 300


def test_two_authorizers_are_refused(runtime):
    on_authorize(lambda e, c: allow("a"))
    with pytest.raises(HandlerConfigurationError, match="two authorizers"):
        on_authorize(lambda e, c: allow("b"))


def test_a_server_class_can_authorize_with_a_decorated_method_or_one_named_on_authorize(runtime):
    class Plain(WebSocketServer):
        def on_authorize(self, event, context):
            return allow("plain")

    assert REGISTRY.authorizer.name.endswith("Plain.on_authorize")
    assert REGISTRY.authorizer.identity == ()

    class Guarded(Plain):
        @on_authorize(identity="route.request.header.Authorization", cache_seconds=0)
        def check(self, event, context):
            return deny("guarded")

    spec = REGISTRY.authorizer
    assert spec.identity == ("route.request.header.Authorization",) and spec.cache_seconds == 0
    assert spec.handler({"methodArn": ARN}, None).effect == "Deny"


def test_principal_must_be_a_string(runtime):
    with pytest.raises(TypeError, match="principal id"):
        allow(42)


def test_discovery_reports_the_authorizer(tmp_path):
    from tests.unit.test_discover import project
    from wsdeploy.config import load_stage

    source = textwrap.dedent(APP)
    info = read_handlers(load_stage(project(tmp_path, {"app.py": source})))
    assert info.authorizer == AuthorizerInfo(("route.request.querystring.token",), 60, "app.authorize")


def test_the_decorators_default_ttl_is_the_runtimes():
    import inspect

    from wsdeploy.runtime.authorizer import DEFAULT_CACHE_SECONDS
    assert inspect.signature(on_authorize).parameters["cache_seconds"].default == DEFAULT_CACHE_SECONDS


def test_an_authorizer_method_outside_a_server_class_is_a_problem(runtime):
    class NotAServer:
        @on_authorize
        def check(self, event, context):
            return allow("x")

    assert REGISTRY.authorizer is None
    [problem] = REGISTRY.problems()
    assert "NotAServer.check is decorated with @on_authorize inside a class that does not " \
           "subclass WebSocketServer" in problem


def test_a_server_class_claims_its_decorated_authorizer(runtime):
    class Server(WebSocketServer):
        @on_authorize(identity=["route.request.header.X"])
        def check(self, event, context):
            return allow("x")

    assert REGISTRY.problems() == [] and REGISTRY.authorizer.name.endswith("Server.check")
