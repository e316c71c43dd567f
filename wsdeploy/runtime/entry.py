"""The Lambda entry point: load the user's handler module once, then route gateway events."""

from __future__ import annotations

import importlib
import os
import _thread  # threading's lock without the import cost of threading itself
TYPE_CHECKING = False  # typing itself costs a cold start; type checkers still see the block

from .errors import HandlerConfigurationError
from .registry import REGISTRY

if TYPE_CHECKING:
    from typing import Any

# json and logging are imported where first needed: a CONNECT that accepts needs neither.

HANDLER_MODULE_ENV = "WSDEPLOY_HANDLER_MODULE"
ENDPOINT_ENV = "WEBSOCKET_API_GATEWAY_ENDPOINT"
EVENT_TYPES = ("CONNECT", "MESSAGE", "DISCONNECT")

_loaded_lock = _thread.allocate_lock()
_loaded_module: str | None = None


def load_handlers() -> None:
    """Import the module named by WSDEPLOY_HANDLER_MODULE and validate it, once per container.

    A failed import is not cached, so the next event retries it (as Lambda retries a cold start).
    """
    global _loaded_module
    if _loaded_module is not None:
        return
    with _loaded_lock:
        if _loaded_module is not None:
            return
        module_name = os.environ.get(HANDLER_MODULE_ENV, "").strip()
        if not module_name:
            raise HandlerConfigurationError(
                f"{HANDLER_MODULE_ENV} is not set: it must name the module that registers the "
                "handlers (for example 'app'); `wsdeploy up` sets it"
            )
        importlib.import_module(module_name)
        if not REGISTRY.routes():
            raise HandlerConfigurationError(
                f"module {module_name!r} registers no handlers: decorate functions with "
                "@on_connect and @on_message (from wsdeploy.websocket), or subclass WebSocketServer"
            )
        REGISTRY.validate()
        _loaded_module = module_name


def reset() -> None:
    """Forget the loaded module and every route, so the next event imports afresh (emulator reloads)."""
    global _loaded_module
    with _loaded_lock:
        _loaded_module = None
        REGISTRY.clear()


def _request_context(event: Any) -> dict:
    context = event.get("requestContext") if isinstance(event, dict) else None
    if not isinstance(context, dict) or context.get("eventType") not in EVENT_TYPES:
        kind = type(event).__name__ if not isinstance(event, dict) else f"keys {sorted(event)[:8]}"
        raise HandlerConfigurationError(
            "wsdeploy.runtime.lambda_handler received an event that is not an API Gateway "
            f"WebSocket event ({kind}); it expects requestContext.eventType to be one of "
            f"{', '.join(EVENT_TYPES)}. Point other triggers at a different handler."
        )
    return context


def management_endpoint(api_id: str, region: str, stage: str) -> str:
    """The @connections endpoint, built from the API id (not domainName, which custom domains change)."""
    return f"https://{api_id}.execute-api.{region}.amazonaws.com/{stage}"


def _ensure_endpoint(request_context: dict) -> None:
    if os.environ.get(ENDPOINT_ENV):
        return
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    api_id, stage = request_context.get("apiId"), request_context.get("stage")
    if region and api_id and stage:
        os.environ[ENDPOINT_ENV] = management_endpoint(api_id, region, stage)


def normalize_result(result: Any, reply: bool) -> dict:
    """Turn what a handler returned into the proxy response API Gateway expects."""
    if result is None:
        return {"statusCode": 200}
    if isinstance(result, dict) and "statusCode" in result:
        return result
    if reply:
        if isinstance(result, (dict, list)):
            import json

            return {"statusCode": 200, "body": json.dumps(result, separators=(",", ":"))}
        if isinstance(result, str):
            return {"statusCode": 200, "body": result}
        if isinstance(result, (bytes, bytearray)):
            return {"statusCode": 200, "body": bytes(result).decode("utf-8")}
        raise TypeError(
            f"a reply handler must return None, a dict, a list or a str, not {type(result).__name__}"
        )
    return {"statusCode": 200}


def _tracking() -> bool:
    return os.environ.get("WSDEPLOY_CONNECTIONS_TRACK") == "1"


def _track_before(event_type: str, request_context: dict) -> None:
    """With tracking on, record a $connect and forget a $disconnect before the handlers run."""
    from .connections import connections

    connection_id = request_context.get("connectionId", "")
    if event_type == "CONNECT":
        identity = request_context.get("identity") or {}
        connections.add(connection_id, connected_at=request_context.get("connectedAt"),
                        source_ip=identity.get("sourceIp"), user_agent=identity.get("userAgent"))
    elif event_type == "DISCONNECT":
        connections.remove(connection_id)


def _accepted(response: dict) -> bool:
    status = response.get("statusCode", 200)
    return isinstance(status, int) and 200 <= status < 300


def lambda_handler(event: dict, context: Any) -> dict:
    """The function's handler (`wsdeploy.runtime.lambda_handler`)."""
    request_context = _request_context(event)
    load_handlers()
    _ensure_endpoint(request_context)
    event_type = request_context["eventType"]
    route_key = request_context.get("routeKey", "")
    tracking = _tracking() and event_type != "MESSAGE"
    if tracking:
        _track_before(event_type, request_context)
    route = REGISTRY.resolve(event_type, route_key)
    response = {"statusCode": 200}
    try:
        if route is not None:
            response = normalize_result(route.handler(event, context), route.reply)
    except Exception:
        import logging

        logging.getLogger("wsdeploy").exception(
            "handler %s failed on route %s for connection %s",
            route.name, route_key, request_context.get("connectionId"),
        )
        if tracking and event_type == "CONNECT":
            _forget(request_context)
        raise
    if tracking and event_type == "CONNECT" and not _accepted(response):
        _forget(request_context)
    return response


def _forget(request_context: dict) -> None:
    """A rejected $connect never became a connection: undo its record."""
    from .connections import connections

    connections.remove(request_context.get("connectionId", ""))
