"""A Flask app and its WebSocket API in one function: the page at `/` opens a WebSocket and
shows what arrives; `POST /announce` (JSON {"message": "..."}) sends it to every client.

Locally `wsdeploy dev` serves both on one port; `wsdeploy up` deploys the Flask app behind an
HTTP API (https://...) and the handlers behind the WebSocket API (wss://...), one Lambda.
"""

import json
import os

from flask import Flask, jsonify, request
from wsdeploy.websocket import connections, on_connect, on_message

app = Flask(__name__)

PAGE = """<!doctype html>
<html>
<head><meta charset="utf-8"><title>flask-chat</title></head>
<body>
  <h1>flask-chat</h1>
  <p id="status">connecting...</p>
  <form id="say"><input id="text" placeholder="say something"><button>send</button></form>
  <ul id="log"></ul>
  <script>
    const status = document.getElementById("status"), log = document.getElementById("log");
    const ws = new WebSocket(WEBSOCKET_URL);
    ws.onopen = () => { status.textContent = "connected"; };
    ws.onclose = () => { status.textContent = "closed"; };
    ws.onmessage = (event) => {
      const item = document.createElement("li");
      item.textContent = JSON.parse(event.data).message;
      log.appendChild(item);
    };
    document.getElementById("say").onsubmit = (event) => {
      event.preventDefault();
      const text = document.getElementById("text");
      ws.send(JSON.stringify({action: "say", message: text.value}));
      text.value = "";
    };
  </script>
</body>
</html>
"""


def websocket_url() -> str:
    """The WebSocket API's URL, from the endpoint wsdeploy gives the function: on `wsdeploy dev`
    the same host and port as this page; deployed, the WebSocket API's own host."""
    endpoint = os.environ["WEBSOCKET_API_GATEWAY_ENDPOINT"]
    return endpoint.replace("https://", "wss://", 1).replace("http://", "ws://", 1)


@app.get("/")
def index():
    return PAGE.replace("WEBSOCKET_URL", json.dumps(websocket_url()))


@app.post("/announce")
def announce():
    message = (request.get_json(silent=True) or {}).get("message") or request.form.get("message")
    if not isinstance(message, str) or not message:
        return jsonify(error='send {"message": "..."}'), 400
    result = connections.broadcast({"type": "announcement", "message": message})
    return jsonify(sent=len(result.sent))


@on_connect
def connect(event, context):
    return {"statusCode": 200}   # connection tracking records it ([app.connections])


@on_message
def say(event, context):
    body = json.loads(event.get("body") or "{}")
    connections.broadcast({"type": "said", "message": str(body.get("message", ""))})
