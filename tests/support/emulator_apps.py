"""Handler modules the emulator tests serve. `PROBE` records every event it receives in
`EVENTS`, so a test can read what the gateway sent, field by field."""

PROBE = '''
import json
import threading
import time

from wsdeploy.websocket import (ConnectionGone, broadcast, on_connect, on_disconnect,
                                on_message, on_route, send_message)

EVENTS = []
CONNECTED = []
GONE_DURING_CONNECT = []
FINISHED = []  # request ids of "sleep" handlers that have returned (or raised)


def _body(event):
    try:
        return json.loads(event.get("body") or "")
    except ValueError:
        return {}


@on_connect
def connect(event, context):
    EVENTS.append(event)
    connection_id = event["requestContext"]["connectionId"]
    query = event.get("queryStringParameters") or {}
    if "sleep" in query:
        time.sleep(float(query["sleep"]))
    if "reject" in query:
        return {"statusCode": int(query["reject"]), "body": "go away"}
    if "raise" in query:
        raise RuntimeError("connect failed on purpose")
    if "self_send" in query:
        try:
            send_message(connection_id, "too early")
        except ConnectionGone:
            GONE_DURING_CONNECT.append(connection_id)
    CONNECTED.append(connection_id)
    offered = event["headers"].get("Sec-WebSocket-Protocol")
    if offered:
        return {"statusCode": 200,
                "headers": {"Sec-WebSocket-Protocol": offered.split(",")[-1].strip()}}
    return {"statusCode": 200}


@on_disconnect
def disconnect(event, context):
    EVENTS.append(event)
    CONNECTED.remove(event["requestContext"]["connectionId"])


@on_message
def default(event, context):
    EVENTS.append(event)
    send_message(event["requestContext"]["connectionId"], {"route": "$default", "body": event["body"]})


@on_route("whoami", reply=True)
def whoami(event, context):
    EVENTS.append(event)
    return event


@on_route("custom")
def custom(event, context):
    send_message(event["requestContext"]["connectionId"], {"route": "custom"})


@on_route("quiet")
def quiet(event, context):
    pass  # takes a message and sends nothing back


@on_route("boom")
def boom(event, context):
    raise ValueError("boom on purpose")


@on_route("sleep")
def sleep(event, context):
    try:
        time.sleep(_body(event)["seconds"])
        send_message(event["requestContext"]["connectionId"], {"slept": _body(event)["seconds"]})
    finally:
        FINISHED.append(event["requestContext"]["requestId"])


@on_route("shout")
def shout(event, context):
    broadcast(list(CONNECTED), {"from": event["requestContext"]["connectionId"],
                                "text": _body(event)["text"]})


@on_route("self")
def to_self(event, context):
    connection_id = event["requestContext"]["connectionId"]
    for part in range(3):
        send_message(connection_id, {"n": _body(event)["n"], "part": part})
'''
