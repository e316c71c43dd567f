"""A pass-through HTTP proxy in front of a moto server that also answers API Gateway v2's
CreateDeployment, which moto lacks. Chalice deploys a WebSocket API with an explicit
deployment (wsdeploy's stage deploys by itself), so comparing the two against moto needs it.
Used by bench_provision.py only.
"""

from __future__ import annotations

import http.server
import json
import re
import threading
import urllib.error
import urllib.request
import uuid

_DEPLOYMENTS = re.compile(r"/v2/apis/[^/]+/deployments")
_HOP_BY_HOP = {"content-length", "transfer-encoding", "connection", "date", "server", "host"}


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream = ""

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        if self.command == "POST" and _DEPLOYMENTS.fullmatch(self.path):
            status, headers = 201, {"Content-Type": "application/json"}
            data = json.dumps({"deploymentId": uuid.uuid4().hex[:6],
                               "deploymentStatus": "DEPLOYED"}).encode()
        else:
            request = urllib.request.Request(
                self.upstream + self.path, data=body, method=self.command,
                headers={k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP})
            try:
                with urllib.request.urlopen(request) as answer:
                    status, headers, data = answer.status, dict(answer.headers), answer.read()
            except urllib.error.HTTPError as refused:
                status, headers, data = refused.code, dict(refused.headers), refused.read()
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in _HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _forward

    def log_message(self, *_: object) -> None:
        pass


def start(upstream: str) -> tuple[str, http.server.ThreadingHTTPServer]:
    """Serves on a free loopback port in a daemon thread; returns its URL and the server."""
    handler = type("Handler", (_Handler,), {"upstream": upstream})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server
