"""Run an example app's handlers through the Lambda entry point, with a local @connections API.

Usage: python examples/run_through_runtime.py examples/echo
Feeds a CONNECT, a few MESSAGE events and a DISCONNECT to `wsdeploy.runtime.lambda_handler`
and prints what the app sent back to the client. (`wsdeploy dev` is the interactive way.)
"""

import http.server
import json
import os
import sys
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
EVENTS = HERE.parent / "tests" / "fixtures" / "events"


class Gateway(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        print(f"  < sent to {self.path.rsplit('/', 1)[-1]}: {body.decode()}")
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def main(app_dir: str) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    os.environ.update({
        "WSDEPLOY_HANDLER_MODULE": "app",
        "WEBSOCKET_API_GATEWAY_ENDPOINT": f"http://127.0.0.1:{server.server_port}/dev",
        "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "local"),
        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "local"),
    })
    sys.path.insert(0, str(Path(app_dir).resolve()))
    from wsdeploy.runtime import lambda_handler

    def run(kind: str, body: str | None = None) -> None:
        event = json.loads((EVENTS / f"{kind}.json").read_text())
        if body is not None:
            event["body"] = body
            print(f"  > {body}")
        result = lambda_handler(event, None)
        print(f"{event['requestContext']['routeKey']}: {result}")

    run("connect")
    for body in ('{"action": "echo", "data": "hello"}', '{"action": "ping"}', '{"action": "dance"}'):
        run("message", body)
    run("disconnect")
    server.shutdown()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(HERE / "echo"))
