"""A local HTTP server that plays API Gateway's @connections management API.

It records every request (method, raw path, headers, body), answers from a script per
connection id, can delay each answer (to measure concurrency), and checks each request's
SigV4 signature with botocore's own signer, an implementation independent of ours.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import unquote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


@dataclass
class Recorded:
    method: str
    path: str  # as sent on the wire, still percent-encoded
    headers: dict[str, str]  # names in lower case
    body: bytes
    client_port: int = 0  # the same port for two requests means one keep-alive connection
    signature_ok: bool | None = None

    @property
    def connection_id(self) -> str:
        return unquote(self.path.rsplit("/", 1)[-1])


@dataclass
class Answer:
    status: int
    error_type: str = ""
    body: bytes = b""
    drop_connection: bool = False  # close the socket after answering, without saying so


@dataclass
class FakeGateway:
    stage: str = "dev"
    delay: float = 0.0
    secret_key: str | None = None  # when set, every request's signature is checked
    region: str = "us-east-1"  # the region a signature must be scoped to
    requests: list[Recorded] = field(default_factory=list)
    script: dict[str, list[Answer]] = field(default_factory=dict)  # per connection id, in order
    connections: dict[str, dict] = field(default_factory=dict)  # GetConnection answers
    in_flight: int = 0
    max_in_flight: int = 0  # the most requests it was answering at one moment

    def answer(self, connection_id: str, *answers: Answer) -> None:
        self.script.setdefault(connection_id, []).extend(answers)

    def gone(self, connection_id: str) -> None:
        self.answer(connection_id, *[Answer(410, "GoneException", b'{"message":null}')] * 10)

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/{self.stage}"

    def start(self) -> FakeGateway:
        gateway = self
        self._lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the real gateway
            disable_nagle_algorithm = True  # header and body writes would stall on delayed ACKs

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {name.lower(): value for name, value in self.headers.items()}
                record = Recorded(self.command, self.path, headers, body, self.client_address[1])
                if gateway.secret_key is not None:
                    record.signature_ok = gateway.check_signature(record)
                with gateway._lock:
                    gateway.requests.append(record)
                    queue = gateway.script.get(record.connection_id)
                    answer = queue.pop(0) if queue else None
                    gateway.in_flight += 1
                    gateway.max_in_flight = max(gateway.max_in_flight, gateway.in_flight)
                if gateway.delay:
                    time.sleep(gateway.delay)
                with gateway._lock:
                    gateway.in_flight -= 1
                if answer is None:
                    answer = gateway.default_answer(record)
                self.send_response(answer.status)
                if answer.error_type:
                    self.send_header("x-amzn-ErrorType", answer.error_type)
                self.send_header("content-length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)
                if answer.drop_connection:  # as a gateway dropping an idle keep-alive socket
                    self.close_connection = True

            do_POST = do_GET = do_DELETE = _handle

            def log_message(self, *args: object) -> None:
                pass

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 512  # the default backlog of 5 drops a burst of new connections

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeGateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def default_answer(self, record: Recorded) -> Answer:
        if record.method == "GET":
            info = self.connections.get(record.connection_id)
            return Answer(200, body=json.dumps(info).encode()) if info else Answer(410, "GoneException")
        if record.method == "DELETE":
            return Answer(204)
        return Answer(200)

    def check_signature(self, record: Recorded) -> bool:
        """Recompute the signature with botocore from what arrived, and compare."""
        authorization = record.headers.get("authorization", "")
        try:
            scope = authorization.split("Credential=")[1].split(",")[0]
            access_key, _, region, service, _ = scope.split("/")
        except (IndexError, ValueError):
            return False
        if (region, service) != (self.region, "execute-api"):
            return False
        request = AWSRequest(
            method=record.method,
            url=f"http://{record.headers['host']}{record.path}",
            data=record.body,
            headers={"Host": record.headers["host"], "X-Amz-Date": record.headers["x-amz-date"]},
        )
        token = record.headers.get("x-amz-security-token")
        if token:
            request.headers["X-Amz-Security-Token"] = token
        signer = SigV4Auth(Credentials(access_key, self.secret_key, token), service, region)
        request.context["timestamp"] = record.headers["x-amz-date"]
        canonical = signer.canonical_request(request)
        expected = signer.signature(signer.string_to_sign(request, canonical), request)
        return authorization.endswith(f"Signature={expected}")
