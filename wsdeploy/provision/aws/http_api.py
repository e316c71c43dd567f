"""API Gateway (v2) calls of the HTTP API beside the WebSocket API (`http_app`, issue 17).

The operations are the WebSocket API's (declared in apigatewayv2.py, on the region's APIs):
only their parameters differ (ProtocolType HTTP, payload format 2.0, no route responses)."""

from __future__ import annotations

from typing import Mapping

from ..live import Api, HttpIntegration, Route
from .apigatewayv2 import _api, _route
from .core import AwsCore


class HttpApiCalls(AwsCore):
    def find_http_apis(self, name: str) -> list[Api]:
        """Every HTTP API called `name`; the caller checks the tags."""
        return [_api(item) for item in self._pages("get_apis")
                if item.get("Name") == name and item.get("ProtocolType") == "HTTP"]

    def find_stage_apis(self, name: str, http_name: str) -> tuple[list[Api], list[Api]]:
        """The WebSocket APIs called `name` and the HTTP APIs called `http_name`, from one
        listing (down looks for both)."""
        websocket, http = [], []
        for item in self._pages("get_apis"):
            if item.get("Name") == name and item.get("ProtocolType") == "WEBSOCKET":
                websocket.append(_api(item))
            elif item.get("Name") == http_name and item.get("ProtocolType") == "HTTP":
                http.append(_api(item))
        return websocket, http

    def create_http_api(self, name: str, tags: Mapping[str, str]) -> Api:
        return _api(self._call("apigatewayv2", "create_api", Name=name, ProtocolType="HTTP",
                               Description="Deployed by wsdeploy: the app's HTTP routes",
                               Tags=dict(tags)))

    def get_http_integrations(self, api_id: str) -> list[HttpIntegration]:
        return [_http_integration(i) for i in self._pages("get_integrations", ApiId=api_id)]

    def create_http_integration(self, api_id: str, function_arn: str) -> HttpIntegration:
        """AWS_PROXY to the function, the event in payload format 2.0."""
        return _http_integration(self._call(
            "apigatewayv2", "create_integration", ApiId=api_id, IntegrationType="AWS_PROXY",
            IntegrationMethod="POST", IntegrationUri=function_arn, PayloadFormatVersion="2.0"))

    def update_http_integration(self, api_id: str, integration_id: str, function_arn: str) -> None:
        self._call("apigatewayv2", "update_integration", ApiId=api_id, IntegrationId=integration_id,
                   IntegrationType="AWS_PROXY", IntegrationUri=function_arn,
                   PayloadFormatVersion="2.0")

    def create_http_route(self, api_id: str, key: str, target: str) -> Route:
        """AlreadyExists when the API has a route of this key."""
        return _route(self._call("apigatewayv2", "create_route", ApiId=api_id, RouteKey=key,
                                 Target=target))

    def update_http_route(self, api_id: str, route_id: str, target: str) -> None:
        self._call("apigatewayv2", "update_route", ApiId=api_id, RouteId=route_id, Target=target)


def _http_integration(data: Mapping) -> HttpIntegration:
    return HttpIntegration(data["IntegrationId"], data.get("IntegrationUri", ""),
                           data.get("PayloadFormatVersion", ""), data.get("IntegrationType", ""))
