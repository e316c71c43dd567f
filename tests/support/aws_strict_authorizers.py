"""$connect's authorizers answered as AWS does where moto cannot (issue 11), for the in-process
strict layer (aws_strict.py) and the strict moto server (aws_strict_server.py):

- GetAuthorizers, which moto lacks, lists an API's authorizers from moto's backend;
- DeleteAuthorizer of one that is gone is NotFound (moto says nothing), and of one a route
  still uses is refused, which is why `up` sets $connect back to NONE first.
"""

from __future__ import annotations

from typing import Any

IN_USE = "Cannot delete authorizer {id}: it is attached to route {key}"


def authorizer_items(api: Any) -> list[dict]:
    """GetAuthorizers' Items (PascalCase, as botocore parses them)."""
    return [{"AuthorizerId": a.id, "Name": a.name, "AuthorizerType": a.authorizer_type,
             "AuthorizerUri": a.authorizer_uri, "IdentitySource": list(a.identity_source or [])}
            for a in api.authorizers.values()]


def delete_refusal(api: Any, authorizer_id: str) -> tuple[str, str, int] | None:
    """(code, message, status) of AWS's refusal to delete the authorizer, or None."""
    if authorizer_id not in api.authorizers:
        return "NotFoundException", f"Invalid authorizer identifier specified {authorizer_id}", 404
    for route in api.routes.values():
        if getattr(route, "authorizer_id", None) == authorizer_id:
            return "ConflictException", IN_USE.format(id=authorizer_id, key=route.route_key), 409
    return None


def strict_authorizer_answer(operation: str, p: dict, apis: dict, ok: Any, error: Any) -> Any:
    """The in-process answer (aws_strict._strict_answer's shape), or None for moto's."""
    api = apis.get(p.get("ApiId", ""))
    if api is None:
        return None
    if operation == "GetAuthorizers":
        return ok({"Items": authorizer_items(api)})
    if operation == "DeleteAuthorizer":
        refusal = delete_refusal(api, p["AuthorizerId"])
        if refusal:
            return error(operation, *refusal)
    return None


def serve_authorizers() -> None:
    """The moto server's answers: GetAuthorizers added, DeleteAuthorizer as AWS's."""
    import json

    from moto.apigatewayv2.exceptions import APIGatewayV2Error
    from moto.apigatewayv2.models import ApiGatewayV2Backend
    from moto.apigatewayv2.responses import ApiGatewayV2Response

    class _Refused(APIGatewayV2Error):
        def __init__(self, code: str, message: str, status: int) -> None:
            self.code = status
            super().__init__(code, message)

    def get_authorizers(self: Any) -> Any:
        api = self.apigatewayv2_backend.get_api(self.path.split("/")[-2])
        items = [{"authorizerId": i["AuthorizerId"], "name": i["Name"],
                  "authorizerType": i["AuthorizerType"], "authorizerUri": i["AuthorizerUri"],
                  "identitySource": i["IdentitySource"]} for i in authorizer_items(api)]
        return 200, {}, json.dumps({"items": items})

    delete = ApiGatewayV2Backend.delete_authorizer

    def strict_delete(self: Any, api_id: str, authorizer_id: str) -> None:
        refusal = delete_refusal(self.get_api(api_id), authorizer_id)
        if refusal:
            raise _Refused(*refusal)
        delete(self, api_id, authorizer_id)

    ApiGatewayV2Response.get_authorizers = get_authorizers
    ApiGatewayV2Backend.delete_authorizer = strict_delete
