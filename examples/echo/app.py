"""The echo app: the decorator pattern, answering echo and ping, and naming unknown actions.

Try it locally with `make dev`, then in another terminal:
    npx wscat -c ws://127.0.0.1:8765/dev
    > {"action": "echo", "data": "hello"}
"""

import json
import logging

from wsdeploy.websocket import on_connect, on_disconnect, on_message, send_message

logger = logging.getLogger(__name__)

# Who is connected, per Lambda container only: use a shared store to track clients for real.
connections = set()


@on_connect
def handle_connect(event, context):
    """A client opened a connection; returning 200 accepts it."""
    connection_id = event["requestContext"]["connectionId"]
    connections.add(connection_id)
    logger.info("connected: %s", connection_id)
    return {"statusCode": 200}


@on_disconnect
def handle_disconnect(event, context):
    """A client went away (best effort: the gateway may report it late)."""
    connection_id = event["requestContext"]["connectionId"]
    connections.discard(connection_id)
    logger.info("disconnected: %s", connection_id)


@on_message
def handle_message(event, context):
    """Every message: {"action": "echo", "data": ...} or {"action": "ping"}."""
    connection_id = event["requestContext"]["connectionId"]
    try:
        body = json.loads(event.get("body") or "{}")
    except ValueError:
        body = {}
    action = body.get("action") if isinstance(body, dict) else None

    if action == "echo":
        send_message(connection_id, {"type": "echo", "data": body.get("data")})
    elif action == "ping":
        send_message(connection_id, {"type": "pong"})
    else:
        send_message(connection_id, {"type": "error", "message": f"Unknown action: {action}"})
