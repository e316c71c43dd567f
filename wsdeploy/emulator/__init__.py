"""`wsdeploy dev`: a local API Gateway WebSocket API in front of the app's handlers.

A pure core holds the gateway's rules and is tested without sockets: events, routing,
connections (the table, and each connection's states), limits, management_api, decisions (what
each handler outcome comes to), http_replies (every HTTP reply the emulator sends) and flow
(how much of one client's input is taken on at once). `server`, `client_socket` (websockets'
connection, handing over whole messages) and `front_door` (@connections over HTTP, and its
limits) are the thin network shell around it; `app_loader` and `invoke` run the user's handlers
through the runtime's entry point, on the daemon threads of `workers`, started and answered by
`invocations`, whose calls back to the loop `handoff` batches. The runtime never imports this
package: the emulator installs its connections store and its in-process gateway into it.
"""

from .server import EventRecord, Gateway
from .settings import DevSettings

__all__ = ["DevSettings", "EventRecord", "Gateway"]
