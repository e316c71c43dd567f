"""The environment variables the runtime reads, named once: `wsdeploy up` sets them on the
function, `wsdeploy dev` in its own process, and the runtime reads them on each event."""

HANDLER_MODULE_ENV = "WSDEPLOY_HANDLER_MODULE"           # the module that registers the handlers
ENDPOINT_ENV = "WEBSOCKET_API_GATEWAY_ENDPOINT"          # https://{apiId}.execute-api.{region}.amazonaws.com/{stage}
CONNECTIONS_TABLE_ENV = "WSDEPLOY_CONNECTIONS_TABLE"     # [app.connections]: the DynamoDB table
CONNECTIONS_TRACK_ENV = "WSDEPLOY_CONNECTIONS_TRACK"     # "1": record $connect, forget $disconnect
CONNECTIONS_TTL_ENV = "WSDEPLOY_CONNECTIONS_TTL_HOURS"   # how long records live
HTTP_APP_ENV = "WSDEPLOY_HTTP_APP"                       # http_app: "module:attribute" of a WSGI/ASGI app

OWN_VARIABLES = frozenset({HANDLER_MODULE_ENV, ENDPOINT_ENV, CONNECTIONS_TABLE_ENV,
                           CONNECTIONS_TRACK_ENV, CONNECTIONS_TTL_ENV, HTTP_APP_ENV})
SECRETS_ENV = "WSDEPLOY_SECRETS"   # [app.secrets]: JSON of name -> reference (secrets.py)
OWN_VARIABLES = OWN_VARIABLES | {SECRETS_ENV}


def hours_text(hours: float) -> str:
    """2 -> "2", 2.0 -> "2", 1.5 -> "1.5": what the runtime reads with float()."""
    return str(int(hours)) if float(hours).is_integer() else repr(float(hours))


def connections_environment(table: str, ttl_hours: float, track: bool) -> dict[str, str]:
    """[app.connections], when enabled, as the runtime reads it."""
    return {CONNECTIONS_TABLE_ENV: table, CONNECTIONS_TTL_ENV: hours_text(ttl_hours),
            **({CONNECTIONS_TRACK_ENV: "1"} if track else {})}


def function_environment(user: dict[str, str], handler_module: str, endpoint: str,
                         connections: dict[str, str] | None = None,
                         http_app: str | None = None) -> dict[str, str]:
    """The whole environment of the function, the same deployed (`wsdeploy up`) and local
    (`wsdeploy dev`): the user's variables, then wsdeploy's own, sorted by name."""
    environment = {**user, **(connections or {}), HANDLER_MODULE_ENV: handler_module,
                   ENDPOINT_ENV: endpoint, **({HTTP_APP_ENV: http_app} if http_app else {})}
    return dict(sorted(environment.items()))
