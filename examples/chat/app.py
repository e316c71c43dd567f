"""A chat with rooms: the class-based style, with wsdeploy's connection tracking.

Messages (the route selection expression is $request.body.action):
    {"action": "join", "room": "lobby"}
    {"action": "send", "room": "lobby", "message": "hi all"}
    {"action": "leave", "room": "lobby"}
Connect with ?name=alice to be named in messages. Clients that vanish without a
$disconnect are pruned by `connections.broadcast` the first time a send finds them gone.
"""

import json

from wsdeploy.websocket import WebSocketServer, connections, on_route, send_message


def _body(event):
    try:
        body = json.loads(event.get("body") or "{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _room(body):
    room = body.get("room")
    return room if isinstance(room, str) and room else None


class ChatRoom(WebSocketServer):
    def on_connect(self, event, context):
        params = event.get("queryStringParameters") or {}
        connection_id = event["requestContext"]["connectionId"]
        connections.update(connection_id, name=params.get("name") or "anonymous")
        return {"statusCode": 200}

    # $disconnect needs no code: tracking removes the connection and its rooms.

    @on_route("join")
    def join(self, event, context):
        connection_id = event["requestContext"]["connectionId"]
        room = _room(_body(event))
        if room is None:
            return send_message(connection_id, {"type": "error", "message": "join needs a room"})
        connections.join(connection_id, room)
        name = (connections.get(connection_id) or {}).get("name", "anonymous")
        connections.broadcast({"type": "joined", "room": room, "name": name}, room=room)

    @on_route("leave")
    def leave(self, event, context):
        connection_id = event["requestContext"]["connectionId"]
        room = _room(_body(event))
        if room is not None:
            connections.leave(connection_id, room)
            send_message(connection_id, {"type": "left", "room": room})

    @on_route("send")
    def send(self, event, context):
        connection_id = event["requestContext"]["connectionId"]
        body = _body(event)
        room = _room(body)
        if room is None or room not in connections.rooms(connection_id):
            return send_message(connection_id, {"type": "error", "message": f"join {room!r} first"})
        name = (connections.get(connection_id) or {}).get("name", "anonymous")
        connections.broadcast(
            {"type": "message", "room": room, "name": name, "message": body.get("message")},
            room=room,
        )

    def on_message(self, event, context):
        connection_id = event["requestContext"]["connectionId"]
        send_message(connection_id, {
            "type": "error",
            "message": 'unknown action; use {"action": "join"|"send"|"leave", "room": "..."}',
        })
