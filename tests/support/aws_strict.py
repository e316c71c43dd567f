"""moto made to answer as AWS does where it is lenient, and the helpers that answer instead
of moto.

Every hook is on one botocore session's events, the way a user's boto3 would be observed:
`before-parameter-build` keeps each call's parameters (`_keep_params`), and a `before-call`
handler that returns an answer (`_error`, `_ok`) is what the client gets, moto never asked.
make_strict() turns the differences on (NotFound for what is gone, conflicts for duplicates,
the operations moto lacks, DynamoDB's table states: TableLife, S3's ExpectedBucketOwner); Pages serves list answers a
page at a time, as AWS does for a big account. moto's in-process backends are read directly
where its API cannot tell (`_apigw_backend`, ...).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

from tests.support.aws_fixtures import ACCOUNT, REGION, new_session


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


def _bucket_owner(bucket: str) -> str | None:
    from moto.s3.models import s3_backends
    found = s3_backends.bucket_accounts.get(bucket)
    return found[1] if found else None


def _strict_answer(operation: str, p: dict) -> tuple[AWSResponse, dict] | None:
    """The real answer where moto's differs, else None (moto answers)."""
    if "ExpectedBucketOwner" in p and _bucket_owner(p.get("Bucket", "")) not in (None, p["ExpectedBucketOwner"]):
        return _error(operation, "AccessDenied", "Access Denied", 403)   # moto ignores the owner
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
    from tests.support.aws_strict_authorizers import strict_authorizer_answer
    return strict_authorizer_answer(operation, p, apis, _ok, _error)


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
    UpdateStage work, an integration routes target cannot be deleted, DynamoDB tables go
    through CREATING and DELETING (TableLife), and custom domains, their certificates and DNS
    records behave as on AWS (aws_strict_domains)."""
    from tests.support.aws_strict_domains import complete_domain_answers, domain_answer
    session.events.register("before-parameter-build.*.*", _keep_params)
    complete_domain_answers(session)
    life = TableLife()

    def answer(model: Any, context: dict, **_: Any) -> tuple[AWSResponse, dict] | None:
        params = context.get("wsdeploy_test_params", {})
        service = model.service_model.service_name
        if service == "dynamodb":
            return life.before(model.name, params)
        return domain_answer(service, model.name, params) or _strict_answer(model.name, params)

    def answered(model: Any, parsed: dict, context: dict, **_: Any) -> None:
        if model.service_model.service_name == "dynamodb":
            life.after(model.name, context.get("wsdeploy_test_params", {}), parsed)

    session.events.register("before-call.*.*", answer)
    session.events.register("after-call.*.*", answered)
    return life


class Pages:
    """Makes paginated calls answer one item per page, as AWS does for a big account (moto
    never pages): the whole answer is read from moto by a client without this hook, and
    served a slice at a time with a NextToken (nextToken for CloudWatch Logs)."""

    LISTS = {"GetApis": "Items", "GetRoutes": "Items", "GetIntegrations": "Items",
             "FilterLogEvents": "events", "DescribeLogGroups": "logGroups"}

    def __init__(self, session: boto3.Session, size: int = 1) -> None:
        self.size, self.pages = size, []
        self._plain = new_session()   # moto, without the hooks
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
