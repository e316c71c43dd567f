"""The environment variables the runtime reads, named once: `wsdeploy up` sets them on the
function, `wsdeploy dev` in its own process, and the runtime reads them on each event."""

HANDLER_MODULE_ENV = "WSDEPLOY_HANDLER_MODULE"           # the module that registers the handlers
ENDPOINT_ENV = "WEBSOCKET_API_GATEWAY_ENDPOINT"          # https://{apiId}.execute-api.{region}.amazonaws.com/{stage}
CONNECTIONS_TABLE_ENV = "WSDEPLOY_CONNECTIONS_TABLE"     # [app.connections]: the DynamoDB table
CONNECTIONS_TRACK_ENV = "WSDEPLOY_CONNECTIONS_TRACK"     # "1": record $connect, forget $disconnect
CONNECTIONS_TTL_ENV = "WSDEPLOY_CONNECTIONS_TTL_HOURS"   # how long records live
