"""The Lambda entry point: load the user's handler module once, then route gateway events."""

from __future__ import annotations

import _thread  # threading's lock without the import cost of threading itself
import importlib
import os
import sys

from .env import CONNECTIONS_TRACK_ENV, ENDPOINT_ENV, HANDLER_MODULE_ENV, SECRETS_ENV
from .errors import HandlerConfigurationError
from .registry import REGISTRY

TYPE_CHECKING = False  # typing itself costs a cold start; type checkers still see the block
if TYPE_CHECKING:
    from typing import Any

# json and logging are imported where first needed: a CONNECT that accepts needs neither.

EVENT_TYPES = ("CONNECT", "MESSAGE", "DISCONNECT")

_loaded_lock = _thread.allocate_lock()
_loaded_module: str | None = None


def load_handlers() -> None:
    """Import the module named by WSDEPLOY_HANDLER_MODULE and validate it, once per container.

    A failed import is undone (its modules and any routes it registered before failing), so the
    next event retries it cleanly, as a fresh container would.
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
        if os.environ.get(SECRETS_ENV):   # before the module, which may read them at import
            from .secrets import resolve_once
            resolve_once()
        before = set(sys.modules)
        try:
            importlib.import_module(module_name)
        except BaseException:
            REGISTRY.clear()
            for name in set(sys.modules) - before:
                del sys.modules[name]
            raise
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
        secrets = sys.modules.get(f"{__package__}.secrets")
        if secrets is not None:    # read again too, as a fresh container would
            secrets.reset()
    http_app = sys.modules.get(__package__ + ".http_app")
    if http_app is not None:
        http_app.reset()


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


def _body_text(body: Any) -> str:
    """A response body as the gateway wants it: text, with dicts and lists as compact JSON."""
    if isinstance(body, str):
        return body
    if isinstance(body, (bytes, bytearray)):
        return bytes(body).decode("utf-8")
    if isinstance(body, (dict, list)):
        from .json_text import compact_json

        return compact_json(body, "the reply")
    raise TypeError(
        f"a reply must be None, a dict, a list, a str or bytes, not {type(body).__name__}"
    )


def _status_number(status: Any) -> Any:
    """A statusCode as the gateway reads it: a string of digits ("403") counts as that number,
    as Lambda proxy integrations of REST APIs read it (observed on AWS; for a WebSocket API's
    $connect unverified and assumed the same). Made an int here, so that the gateway, the
    emulator and connection tracking all see the one number. Anything else is left as it is."""
    if isinstance(status, str) and status.isascii() and status.isdigit():
        return int(status)
    return status


def normalize_result(result: Any, reply: bool) -> dict:
    """Turn what a handler returned into the proxy response API Gateway expects."""
    if result is None:
        return {"statusCode": 200}
    if isinstance(result, dict) and ("statusCode" in result or "headers" in result):
        response = {"statusCode": 200, **result}  # a proxy response ($connect headers, say)
        response["statusCode"] = _status_number(response["statusCode"])
        if response.get("body") is not None:
            response["body"] = _body_text(response["body"])
        return response
    if reply:
        return {"statusCode": 200, "body": _body_text(result)}
    return {"statusCode": 200}


def _tracking() -> bool:
    return os.environ.get(CONNECTIONS_TRACK_ENV) == "1"


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
    """Whether the gateway completes the handshake: a 2xx status (any other value, a boolean
    or "OK", is a rejection or a malformed result: either way no connection)."""
    status = response.get("statusCode", 200)
    return type(status) is int and 200 <= status < 300


def lambda_handler(event: dict, context: Any) -> dict:
    """The function's handler (`wsdeploy.runtime.lambda_handler`): WebSocket events go to the
    handlers, REQUEST authorizer events to the `@on_authorize` function, HTTP API events
    (payload format 2.0) to the `http_app`."""
    if isinstance(event, dict) and event.get("type") == "REQUEST" and "methodArn" in event:
        from .authorizer import authorize  # $connect's authorizer: only apps with one load it

        load_handlers()
        return authorize(REGISTRY.authorizer, event, context)
    if isinstance(event, dict) and event.get("version") == "2.0":
        from .http_app import handle_http, is_http_event

        if is_http_event(event):
            return handle_http(event, context)
    request_context = _request_context(event)
    load_handlers()
    _ensure_endpoint(request_context)
    event_type = request_context["eventType"]
    route_key = request_context.get("routeKey", "")
    tracking = _tracking() and event_type != "MESSAGE"
    if tracking:
        try:
            _track_before(event_type, request_context)
        except Exception:
            _log_failure("connection tracking", route_key, request_context)
            if event_type == "CONNECT":
                raise  # accepting a client we could not record would hide it from broadcasts
    route = REGISTRY.resolve(event_type, route_key)
    response = {"statusCode": 200}
    try:
        if route is not None:
            response = normalize_result(route.handler(event, context), route.reply)
    except BaseException:  # SystemExit and KeyboardInterrupt too: logged and undone, then raised
        _log_failure(f"handler {route.name}", route_key, request_context)
        if tracking and event_type == "CONNECT":
            _forget(request_context)
        raise
    if tracking and event_type == "CONNECT" and not _accepted(response):
        _forget(request_context)
    return response


def _forget(request_context: dict) -> None:
    """A rejected $connect never became a connection: undo its record (best effort: the
    record expires by TTL anyway, and the handler's own error must stay the one raised)."""
    from .connections import connections

    try:
        connections.remove(request_context.get("connectionId", ""))
    except Exception:
        _log_failure("forgetting a rejected connection", "$connect", request_context)


def _log_failure(what: str, route_key: str, request_context: dict) -> None:
    import logging

    logging.getLogger("wsdeploy").exception(
        "%s failed on route %s for connection %s",
        what, route_key, request_context.get("connectionId"),
    )
