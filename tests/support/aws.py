"""Test support for the provisioner: moto sessions, call counting, injected faults, and a
"strict" layer that answers like real AWS where moto is lenient.

Everything hooks into one botocore session's events, the same way a user's boto3 would be
observed: `before-parameter-build` keeps each call's parameters, `before-call` may answer
instead of moto, `before-send` (after moto did the work) may lose the answer the way a
dropped connection does, through botocore's retry handler, and `after-call` may break a
call that already succeeded.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field, replace
from typing import Any, Callable

import boto3
import botocore.exceptions as bx
import pytest
from botocore.awsrequest import AWSResponse

from wsdeploy.provision.aws import Aws
from wsdeploy.provision.desired import Desired, DesiredRoute

REGION = "eu-west-1"
ACCOUNT = "123456789012"   # moto's default account
READ_PREFIXES = ("Get", "List", "Describe", "Filter")


def fake_aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials that only moto accepts, the test region, and nothing from the user's setup."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL",
                 "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/wsdeploy-tests")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/wsdeploy-tests")


@pytest.fixture
def moto_session(monkeypatch):
    """A boto3 session inside moto's in-process mock, fresh for each test."""
    from moto import mock_aws

    fake_aws_environment(monkeypatch)
    with mock_aws():
        yield boto3.Session(region_name=REGION)


@pytest.fixture
def life(moto_session):
    """The strict layer on the test's moto session; tests may make a table slower to create."""
    return make_strict(moto_session)


@pytest.fixture
def session(moto_session, life):
    """The test's moto session, made strict."""
    return moto_session


@pytest.fixture
def calls(session):
    return CallLog().attach(session)


@pytest.fixture
def aws(session):
    return make_aws(session)


@pytest.fixture
def store(tmp_path):
    from wsdeploy.state import StateFile
    return StateFile(tmp_path / ".wsdeploy", "dev")


STRICT_FIXTURES = ["moto_session", "life", "session", "calls", "aws", "store"]


def down(aws: Aws, d: Any, store: Any) -> None:
    """`down` in one go: prepare, then apply."""
    from wsdeploy.provision.teardown import apply_down, prepare_down
    apply_down(aws, d, store, prepare_down(aws, d, store))


def no_sleep(seconds: float) -> None:
    pass


class FakeClock:
    """A clock that advances only when `sleep` is called: waits cost no real time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def make_aws(session: boto3.Session, clock: FakeClock | None = None) -> Aws:
    clock = clock or FakeClock()
    return Aws(session, sleep=clock.sleep, clock=clock)


def zip_of(source: str) -> tuple[bytes, str]:
    """A deterministic zip and its base64 SHA-256 (Lambda's CodeSha256)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("app.py", (2020, 1, 1, 0, 0, 0)), source)
    data = buffer.getvalue()
    return data, base64.b64encode(hashlib.sha256(data).digest()).decode()


def desired(source: str = "x = 1\n", routes: tuple[tuple[str, bool], ...] = (), **changes: Any) -> Desired:
    """The desired resources of app `chat`, stage `dev`, as tests want them."""
    code, sha = zip_of(source)
    keys = {"$connect": False, "$disconnect": False, "$default": False, **dict(routes)}
    base = Desired(app="chat", stage="dev", region=REGION, name="chat-dev-ws", retention_days=14,
                   route_selection="$request.body.action",
                   routes=tuple(DesiredRoute(k, v) for k, v in sorted(keys.items())),
                   runtime="python3.13", architecture="arm64", memory=256, timeout=29,
                   handler_module="app", user_environment=(("LOG_LEVEL", "info"),),
                   code_sha256=sha, code=code)
    return replace(base, **changes)


# -- watching calls ------------------------------------------------------------------------------
def is_read(operation: str) -> bool:
    return operation.startswith(READ_PREFIXES)


@dataclass
class CallLog:
    """Every AWS call made through a session, in order, as (service, operation)."""

    calls: list[tuple[str, str]] = field(default_factory=list)

    def attach(self, session: boto3.Session) -> "CallLog":
        # first: a handler that answers instead of moto (the strict layer) ends the event
        session.events.register_first("before-call.*.*", self._seen)
        return self

    def _seen(self, model: Any, **_: Any) -> None:
        self.calls.append((model.service_model.service_name, model.name))

    def clear(self) -> None:
        self.calls.clear()

    @property
    def operations(self) -> list[str]:
        return [op for _, op in self.calls]

    @property
    def writes(self) -> list[str]:
        return [op for op in self.operations if not is_read(op)]

    @property
    def reads(self) -> list[str]:
        return [op for op in self.operations if is_read(op)]


def _error(operation: str, code: str, message: str, status: int = 400) -> tuple[AWSResponse, dict]:
    """A response as botocore would have parsed a real AWS error."""
    parsed = {"Error": {"Code": code, "Message": message},
              "ResponseMetadata": {"HTTPStatusCode": status}}
    return AWSResponse("https://injected.invalid/", status, {}, None), parsed


def _ok(parsed: dict) -> tuple[AWSResponse, dict]:
    return AWSResponse("https://injected.invalid/", 200, {}, None), {
        **parsed, "ResponseMetadata": {"HTTPStatusCode": 200}}


def _keep_params(params: dict, context: dict, **_: Any) -> None:
    context["wsdeploy_test_params"] = dict(params)


@dataclass
class Faults:
    """Breaks the n-th call (1-based) counted from `arm()`, in one of three modes:

    - "before": AWS refuses it (InternalFailure) before doing anything;
    - "after": AWS did the work, and the answer never arrives, after every retry
      (ReadTimeoutError in after-call, past botocore's retry handler);
    - "lost": AWS did the work, and the answer to the first attempt is lost (ReadTimeoutError
      from `before-send`, run after moto's own `before-send` handler did the call), which
      goes through botocore's retry handler as a real dropped connection does: a client that
      retries sends the request again. A call the strict layer answers itself never reaches
      `before-send`; its answer is lost in after-call, as in "after".
    """

    fail_at: int | None = None
    mode: str = "before"
    count: int = 0
    failed: tuple[str, str] | None = None
    current: tuple[str, str] | None = None
    sends: list[str] = field(default_factory=list)     # operations of every attempt sent

    def attach(self, session: boto3.Session) -> "Faults":
        session.events.register_first("before-call.*.*", self._before)
        session.events.register_last("before-send", self._send)   # after moto answered
        session.events.register("after-call.*.*", self._after)
        return self

    def arm(self, fail_at: int | None, mode: str = "before") -> None:
        self.fail_at, self.mode, self.count, self.failed = fail_at, mode, 0, None
        self.sends.clear()

    def _before(self, model: Any, **_: Any) -> None:
        self.count += 1
        self.current = (model.service_model.service_name, model.name)
        if self.count == self.fail_at and self.mode == "before":
            self.failed = self.current
            raise bx.ClientError({"Error": {"Code": "InternalFailure",
                                            "Message": f"injected failure of {model.name}"}}, model.name)

    def _send(self, event_name: str, **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        self.sends.append(operation)
        if self.count == self.fail_at and self.mode == "lost" and self.failed is None:
            self.failed = self.current
            raise bx.ReadTimeoutError(endpoint_url=f"injected: answer to {operation} lost")

    def _after(self, model: Any, **_: Any) -> None:
        if self.count == self.fail_at and self.mode in ("after", "lost") and self.failed is None:
            self.failed = (model.service_model.service_name, model.name)
            raise bx.ReadTimeoutError(endpoint_url=f"injected: answer to {model.name} lost")


# -- real AWS where moto is lenient -------------------------------------------------------------
def _apigw_backend() -> Any:
    from moto.apigatewayv2.models import apigatewayv2_backends
    return apigatewayv2_backends[ACCOUNT][REGION]


def _lambda_backend() -> Any:
    from moto.awslambda.models import lambda_backends
    return lambda_backends[ACCOUNT][REGION]


def _dynamodb_backend() -> Any:
    from moto.dynamodb.models import dynamodb_backends
    return dynamodb_backends[ACCOUNT][REGION]


def _route_of(params: dict) -> Any:
    api = _apigw_backend().apis.get(params["ApiId"])
    return api.routes.get(params["RouteId"]) if api else None


def _statement_ids(function_name: str) -> list[str]:
    try:
        policy = json.loads(json.loads(_lambda_backend().get_policy(function_name, None))["Policy"])
    except Exception:   # noqa: BLE001 - no function, or no policy yet
        return []
    return [s.get("Sid") for s in policy.get("Statement", [])]


def _strict_answer(operation: str, p: dict) -> tuple[AWSResponse, dict] | None:
    """The real answer where moto's differs, else None (moto answers)."""
    apis = _apigw_backend().apis
    if operation == "DeleteApi" and p["ApiId"] not in apis:
        return _error(operation, "NotFoundException", f"Invalid API identifier specified {p['ApiId']}", 404)
    if operation == "CreateRoute" and p["ApiId"] in apis and any(
            r.route_key == p["RouteKey"] for r in apis[p["ApiId"]].routes.values()):
        return _error(operation, "ConflictException",
                      f"Route with key {p['RouteKey']} already exists for this API", 409)
    if operation in ("DeleteRoute", "DeleteRouteResponse", "CreateRouteResponse",
                     "GetRouteResponses") and p["ApiId"] in apis and _route_of(p) is None:
        return _error(operation, "NotFoundException", f"Invalid Route identifier specified {p['RouteId']}", 404)
    if operation == "CreateRouteResponse" and _route_of(p) is not None and any(
            getattr(r, "route_response_key", None) == p["RouteResponseKey"]
            for r in _route_of(p).route_responses.values()):
        return _error(operation, "ConflictException",
                      f"RouteResponse with key {p['RouteResponseKey']} already exists", 409)
    if operation == "DeleteRouteResponse" and p["RouteResponseId"] not in _route_of(p).route_responses:
        return _error(operation, "NotFoundException", "Invalid RouteResponse identifier", 404)
    if operation == "GetRouteResponses" and p["ApiId"] in apis:   # moto lacks this operation
        items = [{"RouteResponseId": rid, "RouteResponseKey": r.route_response_key}
                 for rid, r in _route_of(p).route_responses.items()]
        return _ok({"Items": items})
    if operation == "AddPermission" and p["StatementId"] in _statement_ids(p["FunctionName"]):
        return _error(operation, "ResourceConflictException",
                      f"The statement id ({p['StatementId']}) provided already exists. Please "
                      "provide a new statement id, or remove the existing statement.", 409)
    if operation == "CreateStage" and p["ApiId"] in apis and p["StageName"] in apis[p["ApiId"]].stages:
        return _error(operation, "ConflictException", "Stage already exists", 409)
    if operation == "UpdateStage" and p["ApiId"] in apis:   # moto lacks this operation
        stage = apis[p["ApiId"]].stages.get(p["StageName"])
        if stage is None:
            return _error(operation, "NotFoundException", "Invalid stage identifier specified", 404)
        if "AutoDeploy" in p:
            stage.auto_deploy = p["AutoDeploy"]
        return _ok({"StageName": stage.name, "AutoDeploy": bool(stage.auto_deploy)})
    if operation == "DeleteIntegration" and p["ApiId"] in apis:
        if p["IntegrationId"] not in apis[p["ApiId"]].integrations:
            return _error(operation, "NotFoundException", "Invalid Integration identifier specified", 404)
        if any(r.target == f"integrations/{p['IntegrationId']}" for r in apis[p["ApiId"]].routes.values()):
            return _error(operation, "ConflictException",
                          "Unable to delete integration: routes still target it", 409)
    return None


@dataclass
class TableLife:
    """DynamoDB's table states, which moto skips (its tables are ACTIVE at once and gone at
    once): a new table answers CREATING, and so does the next DescribeTable (`creating_polls`),
    while TTL, UpdateTable and DeleteTable are refused with ResourceInUseException; a deleted
    table answers DELETING for one more DescribeTable, while its name cannot be created again
    and deleting it again is no error. TTL cannot be enabled twice (ValidationException)."""

    creating_polls: int = 1
    creating: dict[str, int] = field(default_factory=dict)
    deleting: dict[str, list] = field(default_factory=dict)   # name: [polls left, description]

    def before(self, operation: str, p: dict) -> tuple[AWSResponse, dict] | None:
        name = p.get("TableName")
        tables = _dynamodb_backend().tables
        if operation == "CreateTable" and name in self.deleting:
            return _error(operation, "ResourceInUseException", f"Table already exists: {name}")
        if operation in ("UpdateTimeToLive", "UpdateTable", "DeleteTable") and self.creating.get(name):
            return _error(operation, "ResourceInUseException",
                          f"Attempt to change a resource which is still in use: Table is being created: {name}")
        if operation in ("DescribeTable", "DeleteTable") and name in self.deleting and name not in tables:
            polls, description = self.deleting[name]
            if operation == "DescribeTable":
                if polls <= 1:
                    del self.deleting[name]
                else:
                    self.deleting[name][0] = polls - 1
                return _ok({"Table": description})
            return _ok({"TableDescription": description})
        if operation == "UpdateTimeToLive" and name in tables and p["TimeToLiveSpecification"]["Enabled"]:
            ttl = tables[name].ttl
            if ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
                if ttl.get("AttributeName") == p["TimeToLiveSpecification"]["AttributeName"]:
                    return _error(operation, "ValidationException", "TimeToLive is already enabled")
                return _error(operation, "ValidationException",
                              "TimeToLive is active on a different AttributeName: current "
                              f"AttributeName is {ttl.get('AttributeName')}")
        return None

    def after(self, operation: str, p: dict, parsed: dict) -> None:
        if "Error" in parsed:
            return
        name = p.get("TableName")
        if operation == "CreateTable":
            parsed["TableDescription"]["TableStatus"] = "CREATING"
            self.creating[name] = self.creating_polls
        elif operation == "DescribeTable" and self.creating.get(name):
            parsed["Table"]["TableStatus"] = "CREATING"
            self.creating[name] -= 1
        elif operation == "DeleteTable":
            parsed["TableDescription"]["TableStatus"] = "DELETING"
            self.deleting[name] = [1, dict(parsed["TableDescription"])]
            self.creating.pop(name, None)


def make_strict(session: boto3.Session) -> TableLife:
    """Makes moto answer as AWS does: deleting what is gone raises NotFound, duplicate route
    keys, route responses, stages and statement ids conflict, GetRouteResponses and
    UpdateStage work, an integration routes target cannot be deleted, and DynamoDB tables go
    through CREATING and DELETING (TableLife)."""
    session.events.register("before-parameter-build.*.*", _keep_params)
    life = TableLife()

    def answer(model: Any, context: dict, **_: Any) -> tuple[AWSResponse, dict] | None:
        params = context.get("wsdeploy_test_params", {})
        if model.service_model.service_name == "dynamodb":
            return life.before(model.name, params)
        return _strict_answer(model.name, params)

    def answered(model: Any, parsed: dict, context: dict, **_: Any) -> None:
        if model.service_model.service_name == "dynamodb":
            life.after(model.name, context.get("wsdeploy_test_params", {}), parsed)

    session.events.register("before-call.*.*", answer)
    session.events.register("after-call.*.*", answered)
    return life


def role_not_assumable_for(session: boto3.Session, times: int) -> list[int]:
    """The first `times` CreateFunction calls fail as they do while IAM propagates a new role."""
    seen = [0]

    def refuse(model: Any, **_: Any) -> tuple[AWSResponse, dict] | None:
        if model.name == "CreateFunction" and seen[0] < times:
            seen[0] += 1
            return _error(model.name, "InvalidParameterValueException",
                          "The role defined for the function cannot be assumed by Lambda.")
        return None

    session.events.register("before-call.lambda.CreateFunction", refuse)
    return seen


CONCURRENT = "Unable to complete operation due to concurrent modification. Please try again later."


def refuse_first(session: boto3.Session, operation: str, times: int, code: str, message: str,
                 status: int = 409) -> list[int]:
    """The first `times` calls of `operation` are refused with code and message, as AWS does
    while something else is in progress; the list holds how many were refused."""
    seen = [0]

    def refuse(model: Any, **_: Any) -> tuple[AWSResponse, dict] | None:
        if seen[0] < times:
            seen[0] += 1
            return _error(model.name, code, message, status)
        return None

    session.events.register_first(f"before-call.*.{operation}", refuse)
    return seen


def refuse_sends(session: boto3.Session, operation: str, times: int, status: int, code: str,
                 message: str) -> list[int]:
    """The first `times` attempts of `operation` (a REST-JSON service's: API Gateway, Lambda)
    are answered with an HTTP error at `before-send`, instead of reaching moto: what botocore
    would retry on its own goes through its retry handler. The list holds how many were."""
    from moto.core.models import botocore_stubber
    seen, paused = [0], []

    def refuse(request: Any, event_name: str, **_: Any) -> AWSResponse | None:
        if seen[0] >= times or not event_name.endswith(f".{operation}"):
            return None
        seen[0] += 1
        if botocore_stubber.enabled:      # every before-send handler runs: moto must skip this one
            botocore_stubber.enabled = False
            paused.append(True)
        body = json.dumps({"message": message}).encode()
        return AWSResponse(request.url, status, {"x-amzn-ErrorType": code}, _RawBody(body))

    def resume(**_: Any) -> None:
        if paused:
            paused.clear()
            botocore_stubber.enabled = True

    # on "before-send" itself, moto's node: a more specific event's handlers would run after it
    session.events.register_first("before-send", refuse)
    session.events.register_last("before-send", resume)
    return seen


class _RawBody:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any):
        yield self._body

    def read(self, *_: Any) -> bytes:
        body, self._body = self._body, b""
        return body


class Pages:
    """Makes paginated calls answer one item per page, as AWS does for a big account (moto
    never pages): the whole answer is read from moto by a client without this hook, and
    served a slice at a time with a NextToken (nextToken for CloudWatch Logs)."""

    LISTS = {"GetApis": "Items", "GetRoutes": "Items", "GetIntegrations": "Items",
             "FilterLogEvents": "events", "DescribeLogGroups": "logGroups"}

    def __init__(self, session: boto3.Session, size: int = 1) -> None:
        self.size, self.pages = size, []
        self._plain = boto3.Session(region_name=REGION)   # moto, without the hooks
        session.events.register("before-parameter-build.*.*", _keep_params)
        session.events.register_first("before-call.*.*", self._answer)

    def _answer(self, model: Any, context: dict, **_: Any) -> tuple[AWSResponse, dict] | None:
        key = self.LISTS.get(model.name)
        if key is None:
            return None
        params = dict(context.get("wsdeploy_test_params", {}))
        token_name = "nextToken" if model.name in ("FilterLogEvents", "DescribeLogGroups") else "NextToken"
        start = int(params.pop(token_name, None) or 0)
        client = self._plain.client(model.service_model.service_name)
        whole = getattr(client, _python_name(model.name))(**params)[key]
        page = {key: whole[start:start + self.size]}
        if start + self.size < len(whole):
            page[token_name] = str(start + self.size)
        self.pages.append(model.name)
        return _ok(page)


def _python_name(operation: str) -> str:
    from botocore import xform_name
    return xform_name(operation)


# -- what exists -------------------------------------------------------------------------------
def inventory(session: boto3.Session, name: str = "chat-dev-ws", responses: bool = True) -> dict[str, Any]:
    """Counts of every kind of resource a stage can have, read from AWS (moto) itself.

    Route responses are counted in moto's in-process backend (moto has no GetRouteResponses):
    pass responses=False against a moto server."""
    iam, lam = session.client("iam"), session.client("lambda")
    logs, apigw = session.client("logs"), session.client("apigatewayv2")
    roles = [r for r in iam.list_roles()["Roles"] if r["RoleName"] == name]
    apis = [a for a in apigw.get_apis()["Items"] if a["Name"] == name]
    functions = [f for f in lam.list_functions()["Functions"] if f["FunctionName"] == name]
    table = f"{name}-connections"
    found: dict[str, Any] = {
        "roles": len(roles),
        "tables": session.client("dynamodb").list_tables()["TableNames"].count(table),
        "role_policies": len(iam.list_role_policies(RoleName=name)["PolicyNames"]) if roles else 0,
        "log_groups": sum(g["logGroupName"] == f"/aws/lambda/{name}"
                          for g in logs.describe_log_groups()["logGroups"]),
        "apis": len(apis), "functions": len(functions),
        "permissions": _permission_count(lam, name) if functions else 0,
        "integrations": 0, "routes": {}, "route_responses": {}, "stages": 0,
    }
    for api in apis:
        found["integrations"] += len(apigw.get_integrations(ApiId=api["ApiId"])["Items"])
        found["stages"] += len(apigw.get_stages(ApiId=api["ApiId"])["Items"])
        for route in apigw.get_routes(ApiId=api["ApiId"])["Items"]:
            key = route["RouteKey"]
            found["routes"][key] = found["routes"].get(key, 0) + 1
            if responses:
                found_responses = _apigw_backend().apis[api["ApiId"]].routes[route["RouteId"]].route_responses
                if found_responses:
                    found["route_responses"][key] = len(found_responses)
    return found


def _permission_count(lam: Any, name: str) -> int:
    try:
        return len(json.loads(lam.get_policy(FunctionName=name)["Policy"])["Statement"])
    except lam.exceptions.ResourceNotFoundException:
        return 0


def expected_inventory(route_keys: list[str], reply_keys: list[str] = (), tables: int = 0) -> dict[str, Any]:
    return {"roles": 1, "tables": tables, "role_policies": 1, "log_groups": 1, "apis": 1, "functions": 1,
            "permissions": 1, "integrations": 1, "routes": {k: 1 for k in route_keys},
            "route_responses": {k: 1 for k in reply_keys}, "stages": 1}


EMPTY = {"roles": 0, "tables": 0, "role_policies": 0, "log_groups": 0, "apis": 0, "functions": 0,
         "permissions": 0, "integrations": 0, "routes": {}, "route_responses": {}, "stages": 0}


def record_matches_aws(session: boto3.Session, record: dict, responses: bool = True) -> list[str]:
    """Where the state file's ids differ from what AWS has (empty when they agree)."""
    problems = []
    res = record["resources"]
    apigw, lam, iam = session.client("apigatewayv2"), session.client("lambda"), session.client("iam")
    api_id = res["api"]["id"]
    if [a["ApiId"] for a in apigw.get_apis()["Items"]] != [api_id]:
        problems.append("api id")
    if [i["IntegrationId"] for i in apigw.get_integrations(ApiId=api_id)["Items"]] != [res["integration"]["id"]]:
        problems.append("integration id")
    live_routes = {r["RouteKey"]: r["RouteId"] for r in apigw.get_routes(ApiId=api_id)["Items"]}
    if live_routes != {k: v["id"] for k, v in res["routes"].items()}:
        problems.append(f"routes {live_routes} != {res['routes']}")
    for key, entry in res["routes"].items() if responses else ():
        found_responses = set(_apigw_backend().apis[api_id].routes[entry["id"]].route_responses)
        if found_responses != ({entry["response_id"]} if entry["response_id"] else set()):
            problems.append(f"route response of {key}")
    if lam.get_function(FunctionName="chat-dev-ws")["Configuration"]["FunctionArn"] != res["function"]["arn"]:
        problems.append("function arn")
    if iam.get_role(RoleName="chat-dev-ws")["Role"]["Arn"] != res["role"]["arn"]:
        problems.append("role arn")
    tables = session.client("dynamodb").list_tables()["TableNames"]
    if "table" in res:
        arn = session.client("dynamodb").describe_table(TableName=res["table"]["name"])["Table"]["TableArn"]
        if arn != res["table"]["arn"]:
            problems.append("table arn")
    elif "chat-dev-ws-connections" in tables:
        problems.append("table not recorded")
    if {s["name"] if isinstance(s, dict) else s for s in [res["stage"]]} != {
            s["StageName"] for s in apigw.get_stages(ApiId=api_id)["Items"]}:
        problems.append("stage")
    return problems


def reply_keys_of(d: Desired) -> list[str]:
    return [r.key for r in d.routes if r.reply]


def route_keys_of(d: Desired) -> list[str]:
    return [r.key for r in d.routes]


Hook = Callable[..., Any]
