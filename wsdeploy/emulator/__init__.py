"""`wsdeploy dev`: a local API Gateway WebSocket API in front of the app's handlers.

A pure core (events, routing, connections, limits, management_api) holds the gateway's rules
and is tested without sockets; `server` and `front_door` are the thin network shell around it,
`app_loader` and `invoke` run the user's handlers through the runtime's entry point, on the daemon
threads of `workers`. The runtime never imports this package.
"""

from .server import EventRecord, Gateway
from .settings import DevSettings

__all__ = ["DevSettings", "EventRecord", "Gateway"]
