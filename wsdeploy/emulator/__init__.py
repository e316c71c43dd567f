"""`wsdeploy dev`: a local API Gateway WebSocket API in front of the app's handlers.

A pure core holds the gateway's rules and is tested without sockets: events, routing,
connections (the table, and each connection's states), limits, management_api, decisions (what
each handler outcome comes to) and http_replies (every HTTP reply the emulator sends). `server`
and `front_door` are the thin network shell around it; `app_loader` and `invoke` run the user's
handlers through the runtime's entry point, on the daemon threads of `workers`. The runtime
never imports this package.
"""

from .server import EventRecord, Gateway
from .settings import DevSettings

__all__ = ["DevSettings", "EventRecord", "Gateway"]
