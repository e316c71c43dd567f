"""API Gateway (v2): the WebSocket API, its integration, routes, route responses and stage."""

from __future__ import annotations

from typing import Any, Iterator, Mapping

from ..errors import AlreadyExists
from ..live import Api, Integration, Route, Stage
from ..permissions import API_TAGS, APIS, Need, declare
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

    def create_route(self, api_id: str, key: str, target: str, reply: bool) -> Route:
        """AlreadyExists when the API has a route of this key."""
        params = {"RouteResponseSelectionExpression": "$default"} if reply else {}
        return _route(self._call("apigatewayv2", "create_route", ApiId=api_id, RouteKey=key,
                                 Target=target, **params))

    def update_route(self, api_id: str, route_id: str, target: str, reply: bool) -> None:
        # An empty expression clears it: the route goes back to one-way.
        self._call("apigatewayv2", "update_route", ApiId=api_id, RouteId=route_id, Target=target,
                   RouteResponseSelectionExpression="$default" if reply else "")

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
                 data.get("RouteResponseSelectionExpression") == "$default")
