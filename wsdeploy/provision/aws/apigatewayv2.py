"""API Gateway (v2): the WebSocket API, its integration, routes, route responses and stage, and
a custom domain name with its API mapping."""

from __future__ import annotations

from typing import Any, Iterator, Mapping

from ..errors import AlreadyExists, AwsCallError
from ..live import Api, ApiMapping, Authorizer, DomainName, Integration, Route, Stage
from ..permissions import API_TAGS, APIS, AUTHORIZERS, DOMAIN_NAMES, Need, declare
from .core import AwsCore

# What each call needs from IAM (permissions.py): API Gateway's actions are the HTTP methods
# of its paths; tags given on create also need POST on /tags.
_GET, _POST, _PATCH, _DELETE = (Need(APIS, f"apigateway:{m}") for m in ("GET", "POST", "PATCH", "DELETE"))
declare("apigatewayv2", {
    **dict.fromkeys(("get_apis", "get_api", "get_integrations", "get_integration", "get_routes",
                     "get_route_responses", "get_route_response", "get_stage"), _GET),
    **dict.fromkeys(("create_integration", "create_route", "create_route_response"), _POST),
    **dict.fromkeys(("create_api", "create_stage"), (_POST, Need(API_TAGS, "apigateway:POST"))),
    **dict.fromkeys(("update_api", "update_integration", "update_route", "update_stage"), _PATCH),
    **dict.fromkeys(("delete_api", "delete_integration", "delete_route", "delete_route_response"), _DELETE),
    **dict.fromkeys(("get_domain_names", "get_domain_name", "get_api_mappings", "get_api_mapping"),
                    Need(DOMAIN_NAMES, "apigateway:GET")),
    "create_domain_name": (Need(DOMAIN_NAMES, "apigateway:POST"), Need(API_TAGS, "apigateway:POST")),
    "create_api_mapping": Need(DOMAIN_NAMES, "apigateway:POST"),
    **dict.fromkeys(("update_domain_name", "update_api_mapping"), Need(DOMAIN_NAMES, "apigateway:PATCH")),
    "delete_domain_name": Need(DOMAIN_NAMES, "apigateway:DELETE"),
    "get_authorizers": Need(AUTHORIZERS, "apigateway:GET"),
    "create_authorizer": Need(AUTHORIZERS, "apigateway:POST"),
    "update_authorizer": Need(AUTHORIZERS, "apigateway:PATCH"),
    "delete_authorizer": Need(AUTHORIZERS, "apigateway:DELETE"),
})


class ApiGatewayCalls(AwsCore):
    def find_apis(self, name: str) -> list[Api]:
        """Every WebSocket API called `name`; the caller checks the tags."""
        apis, token = [], None
        while True:
            page = self._call("apigatewayv2", "get_apis", **({"NextToken": token} if token else {}))
            apis += [_api(item) for item in page.get("Items", [])
                     if item.get("Name") == name and item.get("ProtocolType") == "WEBSOCKET"]
            token = page.get("NextToken")
            if not token:
                return apis

    def get_api(self, api_id: str) -> Api | None:
        found = self._call("apigatewayv2", "get_api", missing_ok=True, ApiId=api_id)
        return _api(found) if found else None

    def create_api(self, name: str, route_selection: str, tags: Mapping[str, str]) -> Api:
        return _api(self._call("apigatewayv2", "create_api", Name=name, ProtocolType="WEBSOCKET",
                               RouteSelectionExpression=route_selection, Tags=dict(tags)))

    def update_api(self, api_id: str, route_selection: str) -> None:
        self._call("apigatewayv2", "update_api", ApiId=api_id, RouteSelectionExpression=route_selection)

    def delete_api(self, api_id: str) -> None:
        self._call("apigatewayv2", "delete_api", missing_ok=True, ApiId=api_id)

    def get_integrations(self, api_id: str) -> list[Integration]:
        return [Integration(i["IntegrationId"], i.get("IntegrationUri", ""))
                for i in self._pages("get_integrations", ApiId=api_id)]

    def get_integration(self, api_id: str, integration_id: str) -> Integration | None:
        found = self._call("apigatewayv2", "get_integration", missing_ok=True, ApiId=api_id,
                           IntegrationId=integration_id)
        return Integration(found["IntegrationId"], found.get("IntegrationUri", "")) if found else None

    def create_integration(self, api_id: str, uri: str) -> Integration:
        """`uri`: desired.integration_uri, the function's invocation path."""
        made = self._call("apigatewayv2", "create_integration", ApiId=api_id, IntegrationType="AWS_PROXY",
                          IntegrationMethod="POST", IntegrationUri=uri)
        return Integration(made["IntegrationId"], made.get("IntegrationUri", uri))

    def update_integration(self, api_id: str, integration_id: str, uri: str) -> None:
        self._call("apigatewayv2", "update_integration", ApiId=api_id, IntegrationId=integration_id,
                   IntegrationUri=uri)

    def delete_integration(self, api_id: str, integration_id: str) -> None:
        self._call("apigatewayv2", "delete_integration", missing_ok=True, ApiId=api_id,
                   IntegrationId=integration_id)

    def get_routes(self, api_id: str) -> list[Route]:
        return [_route(r) for r in self._pages("get_routes", ApiId=api_id)]

    def create_route(self, api_id: str, key: str, target: str, reply: bool,
                     authorization: tuple[str, str | None] | None = None) -> Route:
        """AlreadyExists when the API has a route of this key. `authorization`: ($connect only)
        (AuthorizationType, AuthorizerId), None leaving it NONE."""
        params = {"RouteResponseSelectionExpression": "$default"} if reply else {}
        return _route(self._call("apigatewayv2", "create_route", ApiId=api_id, RouteKey=key,
                                 Target=target, **params, **_authorization(authorization, False)))

    def update_route(self, api_id: str, route_id: str, target: str, reply: bool,
                     authorization: tuple[str, str | None] | None = None) -> None:
        # An empty expression clears it: the route goes back to one-way.
        self._call("apigatewayv2", "update_route", ApiId=api_id, RouteId=route_id, Target=target,
                   RouteResponseSelectionExpression="$default" if reply else "",
                   **_authorization(authorization, True))

    # -- $connect's authorizer -------------------------------------------------------------
    def get_authorizers(self, api_id: str) -> list[Authorizer]:
        return [_authorizer(a) for a in self._pages("get_authorizers", ApiId=api_id)]

    def create_authorizer(self, api_id: str, name: str, uri: str, identity: tuple[str, ...]) -> Authorizer:
        """A Lambda REQUEST authorizer (no result TTL: API Gateway takes it for HTTP APIs only)."""
        return _authorizer(self._call("apigatewayv2", "create_authorizer", ApiId=api_id, Name=name,
                                      AuthorizerType="REQUEST", AuthorizerUri=uri,
                                      IdentitySource=list(identity)))

    def update_authorizer(self, api_id: str, authorizer_id: str, uri: str,
                          identity: tuple[str, ...]) -> None:
        self._call("apigatewayv2", "update_authorizer", ApiId=api_id, AuthorizerId=authorizer_id,
                   AuthorizerUri=uri, IdentitySource=list(identity))

    def delete_authorizer(self, api_id: str, authorizer_id: str) -> None:
        self._call("apigatewayv2", "delete_authorizer", missing_ok=True, ApiId=api_id,
                   AuthorizerId=authorizer_id)

    def delete_route(self, api_id: str, route_id: str) -> None:
        self._call("apigatewayv2", "delete_route", missing_ok=True, ApiId=api_id, RouteId=route_id)

    def get_route_responses(self, api_id: str, route_id: str) -> dict[str, str]:
        """{route response key: id} of one route."""
        return {r["RouteResponseKey"]: r["RouteResponseId"]
                for r in self._pages("get_route_responses", ApiId=api_id, RouteId=route_id)}

    def route_response_exists(self, api_id: str, route_id: str, response_id: str) -> bool:
        return self._call("apigatewayv2", "get_route_response", missing_ok=True, ApiId=api_id,
                          RouteId=route_id, RouteResponseId=response_id) is not None

    def create_route_response(self, api_id: str, route_id: str) -> str:
        """The id of the route's "$default" response; adopts one that already exists."""
        try:
            return self._call("apigatewayv2", "create_route_response", ApiId=api_id, RouteId=route_id,
                              RouteResponseKey="$default")["RouteResponseId"]
        except AlreadyExists:
            existing = self.get_route_responses(api_id, route_id)
            if "$default" in existing:
                return existing["$default"]
            raise

    def delete_route_response(self, api_id: str, route_id: str, response_id: str) -> None:
        self._call("apigatewayv2", "delete_route_response", missing_ok=True, ApiId=api_id,
                   RouteId=route_id, RouteResponseId=response_id)

    def get_stage(self, api_id: str, name: str) -> Stage | None:
        found = self._call("apigatewayv2", "get_stage", missing_ok=True, ApiId=api_id, StageName=name)
        return Stage(found["StageName"], bool(found.get("AutoDeploy"))) if found else None

    def create_stage(self, api_id: str, name: str, tags: Mapping[str, str]) -> None:
        """AlreadyExists when the API has a stage of this name."""
        self._call("apigatewayv2", "create_stage", ApiId=api_id, StageName=name, AutoDeploy=True,
                   Description="Deployed by wsdeploy; changes deploy automatically", Tags=dict(tags))

    def turn_on_auto_deploy(self, api_id: str, name: str) -> None:
        self._call("apigatewayv2", "update_stage", ApiId=api_id, StageName=name, AutoDeploy=True)

    # -- custom domain names ---------------------------------------------------------------
    def get_domain_name(self, name: str) -> DomainName | None:
        found = self._call("apigatewayv2", "get_domain_name", missing_ok=True, DomainName=name)
        return _domain_name(found) if found else None

    def find_domain_names(self) -> list[DomainName]:
        """Every custom domain name of the region; the caller checks the tags."""
        return [_domain_name(item) for item in self._pages("get_domain_names")]

    def create_domain_name(self, name: str, configuration: Mapping[str, str],
                           tags: Mapping[str, str]) -> DomainName:
        """AlreadyExists when the name exists (API Gateway says so with a BadRequestException)."""
        try:
            return _domain_name(self._call("apigatewayv2", "create_domain_name", DomainName=name,
                                           DomainNameConfigurations=[dict(configuration)],
                                           Tags=dict(tags)))
        except AwsCallError as error:
            if error.code == "BadRequestException" and "already exists" in error.message:
                raise AlreadyExists(error.operation, error.code, error.message) from None
            raise

    def update_domain_name(self, name: str, configuration: Mapping[str, str]) -> DomainName:
        return _domain_name(self._call("apigatewayv2", "update_domain_name", DomainName=name,
                                       DomainNameConfigurations=[dict(configuration)]))

    def delete_domain_name(self, name: str) -> None:
        """Its API mappings go with it."""
        self._call("apigatewayv2", "delete_domain_name", missing_ok=True, DomainName=name)

    def get_api_mappings(self, domain: str) -> list[ApiMapping]:
        return [_mapping(m) for m in self._pages("get_api_mappings", DomainName=domain)]

    def get_api_mapping(self, domain: str, mapping_id: str) -> ApiMapping | None:
        found = self._call("apigatewayv2", "get_api_mapping", missing_ok=True, DomainName=domain,
                           ApiMappingId=mapping_id)
        return _mapping(found) if found else None

    def create_api_mapping(self, domain: str, api_id: str, stage: str, key: str) -> ApiMapping:
        """AlreadyExists when the domain maps `key` already."""
        return _mapping(self._call("apigatewayv2", "create_api_mapping", DomainName=domain,
                                   ApiId=api_id, Stage=stage, ApiMappingKey=key))

    def update_api_mapping(self, domain: str, mapping_id: str, api_id: str, stage: str,
                           key: str) -> ApiMapping:
        return _mapping(self._call("apigatewayv2", "update_api_mapping", DomainName=domain,
                                   ApiMappingId=mapping_id, ApiId=api_id, Stage=stage,
                                   ApiMappingKey=key))

    def _pages(self, operation: str, **params: Any) -> Iterator[dict]:
        token = None
        while True:
            page = self._call("apigatewayv2", operation, **params, **({"NextToken": token} if token else {}))
            yield from page.get("Items", [])
            token = page.get("NextToken")
            if not token:
                return


def _api(data: Mapping) -> Api:
    created = data.get("CreatedDate")
    return Api(data["ApiId"], data.get("Name", ""), data.get("RouteSelectionExpression", ""),
               dict(data.get("Tags") or {}),
               created.isoformat() if hasattr(created, "isoformat") else str(created or ""))


def _route(data: Mapping) -> Route:
    return Route(data["RouteId"], data["RouteKey"], data.get("Target", ""),
                 data.get("RouteResponseSelectionExpression") == "$default",
                 data.get("AuthorizationType") or "NONE", data.get("AuthorizerId") or None)


def _authorization(authorization: tuple[str, str | None] | None, clearing: bool) -> dict:
    """The route's AuthorizationType and AuthorizerId parameters; an update away from CUSTOM
    clears the id with "" (None, on create or for other routes, sends nothing)."""
    if authorization is None:
        return {}
    kind, authorizer_id = authorization
    if authorizer_id:
        return {"AuthorizationType": kind, "AuthorizerId": authorizer_id}
    return {"AuthorizationType": kind, **({"AuthorizerId": ""} if clearing else {})}


def _authorizer(data: Mapping) -> Authorizer:
    return Authorizer(data["AuthorizerId"], data.get("Name", ""),
                      tuple(data.get("IdentitySource") or ()), data.get("AuthorizerUri", ""))


def _domain_name(data: Mapping) -> DomainName:
    config = (data.get("DomainNameConfigurations") or [{}])[0]
    return DomainName(name=data["DomainName"], certificate_arn=config.get("CertificateArn", ""),
                      target=config.get("ApiGatewayDomainName", ""),
                      target_zone_id=config.get("HostedZoneId", ""),
                      endpoint_type=config.get("EndpointType", ""),
                      security_policy=config.get("SecurityPolicy", ""),
                      ip_address_type=config.get("IpAddressType", "ipv4"),
                      status=config.get("DomainNameStatus", ""), tags=dict(data.get("Tags") or {}))


def _mapping(data: Mapping) -> ApiMapping:
    return ApiMapping(data["ApiMappingId"], data["ApiId"], data.get("Stage", ""),
                      data.get("ApiMappingKey", ""))
