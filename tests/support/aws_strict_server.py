"""A moto server that answers as AWS does where moto's is lenient, for the end-to-end tests that
run real `wsdeploy` processes at once or with restricted credentials:

    python -m tests.support.aws_strict_server -H 127.0.0.1 -p PORT

- Creates that AWS refuses as duplicates: a route key an API has already, a stage name it has
  already (ConflictException), a statement id a function's policy has already
  (ResourceConflictException). moto makes a second one, or replaces the first.
- IAM, once asked to authenticate (POST /moto-api/reset-auth, as moto documents for
  INITIAL_NO_AUTH_ACTION_COUNT): moto checks the action against the caller's policies, but
  for every service except S3 and an existing IAM role it checks the resource "*", which no
  statement naming a resource matches, and for API Gateway an action named after the operation
  (apigateway:CreateApi) where AWS checks the HTTP method (apigateway:POST) on the path
  (arn:aws:apigateway:REGION::/apis). Here each request is checked as AWS's Service
  Authorization Reference says: its action on its resource's ARN, and a refusal of a JSON
  service carries AWS's code (AccessDeniedException). Permissions AWS checks besides the
  operation's own (iam:PassRole, tags on create, lambda:ListTags for GetFunction's tags) are
  not checked here.
"""

from __future__ import annotations

import json
import sys
from typing import Any
from urllib.parse import unquote, urlparse

from moto import settings
from moto.apigatewayv2.exceptions import APIGatewayV2Error
from moto.apigatewayv2.models import ApiGatewayV2Backend
from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.models import LambdaBackend
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import JsonRESTError
from moto.iam.access_control import IAMPolicyStatement, IAMRequest

JSON_SERVICES = frozenset({"lambda", "logs", "dynamodb", "apigateway", "ssm", "secretsmanager"})


# -- duplicates AWS refuses ------------------------------------------------------------------------
class _ApiConflict(APIGatewayV2Error):
    code = 409

    def __init__(self, message: str) -> None:
        super().__init__("ConflictException", message)


def _refuse_duplicates() -> None:
    create_route, create_stage = ApiGatewayV2Backend.create_route, ApiGatewayV2Backend.create_stage
    add_permission = LambdaBackend.add_permission

    def unique_route(self: Any, api_id: str, *args: Any, **kwargs: Any) -> Any:
        key = kwargs.get("route_key")
        if any(route.route_key == key for route in self.get_api(api_id).routes.values()):
            raise _ApiConflict(f"Route with key {key} already exists for this API")
        return create_route(self, api_id, *args, **kwargs)

    def unique_stage(self: Any, api_id: str, config: dict) -> Any:
        if config.get("stageName") in self.get_api(api_id).stages:
            raise _ApiConflict("Stage already exists")
        return create_stage(self, api_id, config)

    def unique_statement(self: Any, function_name: str, qualifier: str, raw: str) -> Any:
        sid = json.loads(raw).get("StatementId")
        statements = self.get_function(function_name, qualifier).policy.statements
        if any(statement.get("Sid") == sid for statement in statements):
            raise LambdaClientError("ResourceConflictException",
                                    f"The statement id ({sid}) provided already exists. Please provide "
                                    "a new statement id, or remove the existing statement.")
        return add_permission(self, function_name, qualifier, raw)

    ApiGatewayV2Backend.create_route = unique_route
    ApiGatewayV2Backend.create_stage = unique_stage
    LambdaBackend.add_permission = unique_statement


# -- IAM as AWS evaluates it -------------------------------------------------------------------------
class _JsonAccessDenied(JsonRESTError):
    code = 403

    def __init__(self, who: str, action: str, resource: str) -> None:
        super().__init__("AccessDeniedException",
                         f"User: {who} is not authorized to perform: {action} on resource: {resource}")


class _AwsIamRequest(IAMRequest):
    resource = "*"

    def _create_aws_request(self) -> Any:
        """As moto's, but a GET or DELETE without a body is signed as one (moto signs its query
        parameters as a form body, so every GET of Lambda and API Gateway fails its check)."""
        request = super()._create_aws_request()
        if self._method in ("GET", "DELETE") and not self._body:
            request.data = b""
        return request

    def _raise_access_denied(self) -> None:
        if self._service in JSON_SERVICES:
            raise _JsonAccessDenied(self._access_key.arn, self._action, self.resource)
        super()._raise_access_denied()


def _body(response: Any) -> dict:
    try:
        found = json.loads(response.raw_body or b"{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def action_and_resource(response: Any, service: str) -> tuple[str, str]:
    """What AWS authorizes for this request: the action (without the service) and the ARN."""
    region, account = response.region, response.current_account
    path = unquote(urlparse(response.uri).path)
    operation = response._get_action()
    if service == "apigateway":        # the HTTP method, on the path without /v2
        return response.method, f"arn:aws:apigateway:{region}::{path.removeprefix('/v2')}"
    if service == "lambda":
        name = path.split("/functions/", 1)[1].split("/", 1)[0] if "/functions/" in path else \
            _body(response).get("FunctionName", "*")
        return operation, f"arn:aws:lambda:{region}:{account}:function:{name.rsplit(':', 1)[-1]}"
    if service == "logs":
        body = _body(response)
        if "resourceArn" in body:
            return operation, body["resourceArn"]
        return operation, f"arn:aws:logs:{region}:{account}:log-group:{body.get('logGroupName', '*')}"
    if service == "dynamodb":
        body = _body(response)
        return operation, body.get("ResourceArn") or \
            f"arn:aws:dynamodb:{region}:{account}:table/{body.get('TableName', '*')}"
    if service == "iam":
        role = response.querystring.get("RoleName", [None])[0]
        return operation, f"arn:aws:iam::{account}:role/{role}" if role else "*"
    if service == "ssm":               # GetParameters: each name is authorized; the first here
        names = _body(response).get("Names") or _body(response).get("Name") or ["*"]
        name = names[0] if isinstance(names, list) else names
        return operation, f"arn:aws:ssm:{region}:{account}:parameter/{name.lstrip('/')}"
    if service == "secretsmanager":    # a secret's ARN ends in six random characters
        return operation, f"arn:aws:secretsmanager:{region}:{account}:secret:{_body(response).get('SecretId', '*')}-AbCdEf"
    return operation, "*"


def _authorize_as_aws(self: Any, resource: str = "*") -> None:
    if ActionAuthenticatorMixin.request_count < settings.INITIAL_NO_AUTH_ACTION_COUNT:
        ActionAuthenticatorMixin.request_count += 1
        return
    scope = self.headers["Authorization"].partition("Credential=")[2].partition(",")[0].split("/")
    action, arn = action_and_resource(self, scope[3])
    path = self.raw_path + (f"?{urlparse(self.uri).query}" if urlparse(self.uri).query else "")
    request = _AwsIamRequest(account_id=self.current_account, method=self.method, path=path,
                             data=self.data, body=self.raw_body, headers=self.headers, action=action)
    request.resource = arn
    request.check_signature()
    request.check_action_permitted(arn)


def _iam_match(pattern: str, string: str) -> Any:
    """IAM's wildcards as AWS reads them: * any run of characters, ? exactly one, the rest
    literal (moto turns only * into a regex and fails on "secret:name-??????")."""
    import re
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, string, re.DOTALL)


def main(argv: list[str]) -> None:
    _refuse_duplicates()
    from tests.support.aws_strict_authorizers import serve_authorizers
    serve_authorizers()
    IAMPolicyStatement._match = staticmethod(_iam_match)
    ActionAuthenticatorMixin._authenticate_and_authorize_normal_action = _authorize_as_aws
    from moto.server import main as moto_main
    moto_main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
