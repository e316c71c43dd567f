"""The API that wsdeploy apps import: `from wsdeploy.websocket import on_connect, send_message`.

Everything here is re-exported from `wsdeploy.runtime`, which imports only the standard library.
Sending (`send_message` & co) and `connections` load on first use (PEP 562): Lambda's task folder
is read-only, so every module a cold start imports is compiled anew, and an app pays only for
what it uses.
"""

from .runtime.errors import (
    ConnectionGone,
    HandlerConfigurationError,
    ManagementApiError,
    MessageTooLarge,
    WebSocketError,
)
from .runtime.registry import (
    REGISTRY,
    WebSocketServer,
    on_connect,
    on_disconnect,
    on_message,
    on_route,
    on_authorize,
)

# Zappa's name for the base class, so code written for `zappa.websocket` moves with its import
# line alone: the same class, not a subclass, so subclassing either registers the same way.
ZappaWebSocketServer = WebSocketServer

TYPE_CHECKING = False
if TYPE_CHECKING:  # what the lazy names below are, for type checkers and editors
    from .runtime.authorizer import Unauthorized, Verdict, allow, deny
    from .runtime.connections import connections
    from .runtime.management import (
        BroadcastResult,
        ConnectionInfo,
        broadcast,
        close_connection,
        get_connection,
        send_message,
    )

_LAZY = {
    "BroadcastResult": "management",
    "ConnectionInfo": "management",
    "broadcast": "management",
    "close_connection": "management",
    "get_connection": "management",
    "send_message": "management",
    "connections": "connections",
    "Unauthorized": "authorizer",
    "Verdict": "authorizer",
    "allow": "authorizer",
    "deny": "authorizer",
}

__all__ = [
    "REGISTRY",
    "BroadcastResult",
    "ConnectionGone",
    "ConnectionInfo",
    "HandlerConfigurationError",
    "ManagementApiError",
    "MessageTooLarge",
    "WebSocketError",
    "WebSocketServer",
    "ZappaWebSocketServer",
    "broadcast",
    "close_connection",
    "connections",
    "get_connection",
    "on_connect",
    "on_disconnect",
    "on_message",
    "on_route",
    "send_message",
    "Unauthorized",
    "Verdict",
    "allow",
    "deny",
    "on_authorize",
]


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"{__package__}.runtime.{module}"), name)
    globals()[name] = value  # once loaded, a plain attribute
    return value
