"""The API that wsdeploy apps import: `from wsdeploy.websocket import on_connect, send_message`.

Everything here is re-exported from `wsdeploy.runtime`, which imports only the standard library,
so importing it costs a Lambda cold start almost nothing.
"""

from .runtime.connections import connections
from .runtime.errors import (
    ConnectionGone,
    HandlerConfigurationError,
    ManagementApiError,
    MessageTooLarge,
    WebSocketError,
)
from .runtime.management import (
    BroadcastResult,
    ConnectionInfo,
    broadcast,
    close_connection,
    get_connection,
    send_message,
)
from .runtime.registry import (
    REGISTRY,
    WebSocketServer,
    on_connect,
    on_disconnect,
    on_message,
    on_route,
)

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
    "broadcast",
    "close_connection",
    "connections",
    "get_connection",
    "on_connect",
    "on_disconnect",
    "on_message",
    "on_route",
    "send_message",
]
