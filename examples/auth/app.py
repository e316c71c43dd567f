"""A chat only clients with a valid token may join: `$connect`'s authorizer verifies a JWT.

Browsers cannot set headers on a WebSocket, so the token travels in the query string:
    new WebSocket("wss://.../dev?token=" + token)
Messages (any JSON with "message") go to everyone connected, with who sent them:
    > {"message": "hi all"}
    < {"from":"ann","plan":"pro","message":"hi all"}
"""

import json
import os

import jwt

from wsdeploy.websocket import (Unauthorized, allow, connections, deny, on_authorize,
                                on_connect, on_message, send_message)

ALGORITHMS = ["HS256"]


@on_authorize(identity=["route.request.querystring.token"], cache_seconds=300)
def authorize(event, context):
    """Runs before $connect; a handshake without ?token= gets 401 before it is even called."""
    token = event["queryStringParameters"]["token"]
    try:
        claims = jwt.decode(token, os.environ["JWT_SECRET"], algorithms=ALGORITHMS,
                            options={"require": ["sub", "exp"]})
    except jwt.InvalidTokenError:
        raise Unauthorized from None                      # 401
    user = claims["sub"]
    if user in os.environ.get("BANNED_USERS", "").split(","):
        return deny(user)                                 # 403
    return allow(user, context={"plan": str(claims.get("plan", "free"))})


def _who(event):
    """What the authorizer allowed with: on $connect and on every later event of the connection."""
    authorizer = event["requestContext"].get("authorizer") or {}
    return authorizer.get("principalId", "?"), authorizer.get("plan", "free")


@on_connect
def connect(event, context):
    user, _ = _who(event)
    connections.update(event["requestContext"]["connectionId"], name=user)
    return {"statusCode": 200}


@on_message
def message(event, context):
    user, plan = _who(event)
    try:
        text = json.loads(event.get("body") or "{}").get("message")
    except (ValueError, AttributeError):
        text = None
    if not isinstance(text, str):
        return send_message(event["requestContext"]["connectionId"],
                            {"error": 'send {"message": "..."}'})
    connections.broadcast({"from": user, "plan": plan, "message": text})
