"""The network shell: one port for WebSocket clients at `/{stage}` and for the @connections API
at `/{stage}/@connections/{id}`, around the pure core (events, routing, table, limits).

Handlers run on a thread pool through the runtime's entry point; the event loop only moves
bytes, so a handler that blocks, or that posts to its own connection (the loop serves that
POST meanwhile), never stalls the server. `front_door` decides per TCP connection whether it
is @connections traffic (served here over keep-alive HTTP) or a WebSocket client (websockets').
"""

from __future__ import annotations

import asyncio
import email.utils
import errno
import http
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from ..errors import UserError
from . import events, ids, limits, management_api
from .app_loader import AppLoader
from .connections import CLOSING, OPEN, Connection, ConnectionTable
from .environment import Environment
from .front_door import FrontDoor, HttpRequest
from .invoke import Invoker, Outcome
from .routing import RouteSelector
from .settings import DevSettings

_NOT_FORWARDED = {"connection", "upgrade", "sec-websocket-accept", "content-length",
                  "transfer-encoding"}


@dataclass(frozen=True)
class EventRecord:
    """One line of the event log: which route ran for whom, how it ended, how long it took."""

    route_key: str
    connection_id: str
    status: int | str  # the handler's statusCode, or what the gateway did instead
    duration_ms: float
    detail: str = ""


def _now_ms() -> int:
    return int(time.time() * 1000)


def http_response(status: int, body: bytes = b"", error_type: str | None = None,
                  content_type: str = "application/json") -> Response:
    """An HTTP reply that closes the connection (websockets serves one request per socket)."""
    headers = Headers([("Date", email.utils.formatdate(usegmt=True)),
                       ("Content-Type", content_type), ("Content-Length", str(len(body))),
                       ("Connection", "close"), ("x-amzn-RequestId", ids.request_uuid())])
    if error_type:
        headers["x-amzn-ErrorType"] = error_type
    return Response(status, http.HTTPStatus(status).phrase, headers, body)


def gateway_frame(message: str, connection_id: str, request_id: str) -> str:
    """The gateway's own frames ("Forbidden", "Internal server error"), in its JSON layout."""
    return json.dumps({"message": message, "connectionId": connection_id,
                       "requestId": request_id})


class Gateway:
    """A running local API Gateway. `await start()`, then `await stop()`."""

    def __init__(self, settings: DevSettings,
                 on_event: Callable[[EventRecord], None] = lambda record: None,
                 on_notice: Callable[[str, str], None] = lambda kind, text: None,
                 route_table: Callable[[dict[str, bool]], dict[str, bool]] | None = None):
        self.settings = settings
        self.table = ConnectionTable()
        self.selector = RouteSelector(settings.route_selection)
        self._on_event = on_event
        self._route_table = route_table or (lambda routes: routes)  # tests narrow it
        self.loader = AppLoader(settings.source_dir, settings.handler_module, on_notice,
                                settings.exclude)
        self.invoker = Invoker(self.loader, settings.function)
        self._pool = ThreadPoolExecutor(settings.workers, thread_name_prefix="wsdeploy-dev")
        self._environment = Environment()
        self._doors: set[FrontDoor] = set()  # keep-alive @connections clients
        self._by_socket: dict[ServerConnection, Connection] = {}
        self._accept_headers: dict[ServerConnection, dict[str, str]] = {}
        self._tasks: set[asyncio.Task] = set()
        self._server: Server | None = None
        self._sweeper: asyncio.Task | None = None
        self.api: events.Api | None = None

    # -- lifecycle ---------------------------------------------------------------------
    async def start(self) -> None:
        """Bind, set the function's environment, load the app, then accept clients."""
        s = self.settings
        try:
            self._server = await serve(
                self._client, s.host, s.port, process_request=self._process_request,
                process_response=self._process_response, create_connection=self._front_door,
                compression=None, ping_interval=None, open_timeout=60, server_header=None,
                max_size=(limits.MAX_MESSAGE_BYTES, limits.MAX_FRAME_BYTES),
                start_serving=False)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise UserError(f"port {s.port} on {s.host} is in use: stop what runs there, "
                                "or pick another port with --port") from None
            raise UserError(f"cannot listen on {s.host}:{s.port}: {error.strerror}") from None
        port = self._server.sockets[0].getsockname()[1]
        self.api = events.Api(s.api_id, s.stage, port)
        self._environment.apply(s, self.management_url)
        try:
            await asyncio.get_running_loop().run_in_executor(self._pool, self.loader.start,
                                                            s.poll_seconds)
        except BaseException:
            await self._close_server()
            raise
        await self._server.start_serving()
        self._sweeper = asyncio.create_task(self._sweep())

    @property
    def port(self) -> int:
        assert self.api is not None, "start() first"
        return self.api.port

    @property
    def url(self) -> str:
        return f"ws://{self.settings.host}:{self.port}/{self.settings.stage}"

    @property
    def management_url(self) -> str:
        return f"http://{self.settings.host}:{self.port}/{self.settings.stage}"

    async def stop(self) -> None:
        """Close every connection (1001, with `$disconnect`), then release everything."""
        if self._sweeper is not None:
            self._sweeper.cancel()
        for connection in list(self.table):
            self._close(connection, limits.SHUTDOWN)
        for door in list(self._doors):
            door.shut()
        await self._close_server()
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=5)
        self._pool.shutdown(wait=False, cancel_futures=True)
        await asyncio.get_running_loop().run_in_executor(None, self.loader.close)
        self._environment.restore()

    async def _close_server(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, make_event: Any) -> Outcome:
        """One invocation on the pool, bounded by the gateway's integration timeout."""
        future = asyncio.get_running_loop().run_in_executor(
            self._pool, self.invoker.invoke, make_event)
        done, _ = await asyncio.wait((future,), timeout=self.settings.integration_timeout)
        if done:
            return future.result()
        return Outcome("?", status=504, error="Endpoint request timed out",  # it runs on
                       duration_ms=self.settings.integration_timeout * 1000)

    def _log(self, route_key: str, connection: Connection, outcome: Outcome,
             status: int | str) -> None:
        self._on_event(EventRecord(route_key, connection.connection_id, status,
                                   outcome.duration_ms, outcome.error or ""))

    # -- HTTP: handshakes and @connections ----------------------------------------------
    def _front_door(self, protocol: Any, server: Server, **options: Any) -> FrontDoor:
        """websockets' connection factory: a door that serves @connections or hands over."""
        return FrontDoor(lambda: ServerConnection(protocol, server, **options),
                         self._management, self._doors)

    async def _process_request(self, ws: ServerConnection, request: Request) -> Response | None:
        path = urlsplit(request.path).path
        if path.rstrip("/") != f"/{self.settings.stage}":
            return http_response(403, b'{"message":"Forbidden"}', "ForbiddenException")
        if "websocket" not in request.headers.get("Upgrade", "").lower():
            return http_response(
                426, f"This is a WebSocket endpoint: connect with a WebSocket client, e.g. "
                     f"wscat -c {self.url}\n".encode(), content_type="text/plain; charset=utf-8")
        return await self._connect(ws, request)

    async def _connect(self, ws: ServerConnection, request: Request) -> Response | None:
        assert self.api is not None
        now_ms = _now_ms()
        connection = Connection(
            ids.gateway_id(), now_ms,
            domain_name=request.headers.get("Host", f"{self.settings.host}:{self.port}"),
            source_ip=str(ws.remote_address[0]), user_agent=request.headers.get("User-Agent"),
            channel=ws)
        self.table.add(connection)
        self._by_socket[ws] = connection
        headers = events.connect_headers(request.headers.raw_items(), connection.source_ip,
                                         self.port, now_ms / 1000)
        event = events.connect_event(self.api, connection, request.path, headers,
                                     ids.gateway_id(), now_ms)
        outcome = await self._run(lambda routes: ("$connect", event))
        if outcome.error:
            self._forget(ws)
            status = 504 if outcome.status == 504 else 502
            self._log("$connect", connection, outcome, status)
            message = "Endpoint request timed out" if status == 504 else "Internal server error"
            return http_response(status, json.dumps({"message": message}).encode())
        status = outcome.status or 200
        self._log("$connect", connection, outcome, status)
        if not 200 <= status < 300:
            self._forget(ws)
            body = (outcome.body or "").encode()
            reply = http_response(status if 100 <= status < 600 else 502, body)
            return reply
        self._accept_headers[ws] = {name: value for name, value in outcome.headers.items()
                                    if name.lower() not in _NOT_FORWARDED}
        return None

    def _process_response(self, ws: ServerConnection, request: Request,
                          response: Response) -> None:
        """Adds `$connect`'s result headers (e.g. Sec-WebSocket-Protocol) to the 101."""
        extra = self._accept_headers.pop(ws, {})
        if ws in self._by_socket and response.status_code != 101:
            self._forget(ws)  # websockets refused a malformed handshake after $connect
        for name, value in extra.items():
            if name in response.headers:
                del response.headers[name]
            response.headers[name] = value

    def _forget(self, ws: ServerConnection) -> None:
        connection = self._by_socket.pop(ws, None)
        if connection is not None:
            self.table.remove(connection.connection_id)

    async def _management(self, request: HttpRequest) -> management_api.Reply:
        plan = management_api.plan(request.method, request.target, request.headers,
                                   request.body, self.settings.stage, self.table)
        if plan.action == "post" and plan.connection is not None:
            if not await self._send(plan.connection, plan.payload):
                return management_api.gone(plan.connection.connection_id)
        elif plan.action == "delete" and plan.connection is not None:
            self._close(plan.connection, limits.DELETED)
        return plan.reply

    # -- WebSocket: frames -------------------------------------------------------------
    async def _client(self, ws: ServerConnection) -> None:
        connection = self._by_socket[ws]
        connection.state = OPEN
        try:
            async for message in ws:
                if isinstance(message, bytes):
                    self._close(connection, limits.BINARY)
                    break
                connection.last_active_at = now_ms = _now_ms()
                self._spawn(self._message(connection, message, now_ms))
        except ConnectionClosed:
            pass  # over the size limits (websockets closed it with 1009), or the network
        finally:
            await ws.wait_closed()
            cause = connection.close_cause or self._client_cause(ws)
            connection.state = CLOSING
            self._forget(ws)
            self._spawn(self._disconnect(connection, cause))

    @staticmethod
    def _client_cause(ws: ServerConnection) -> limits.CloseCause:
        received, sent = ws.protocol.close_rcvd, ws.protocol.close_sent
        if received is not None and (sent is None or ws.protocol.close_rcvd_then_sent):
            return limits.client_close(received.code, received.reason)
        if sent is not None:  # websockets closed it: 1009 over a size limit, 1002, ...
            return limits.CloseCause(sent.code, sent.reason)
        return limits.ABNORMAL

    async def _message(self, connection: Connection, body: str, now_ms: int) -> None:
        assert self.api is not None
        api, request_id, message_id = self.api, ids.gateway_id(), ids.gateway_id()

        def make_event(routes: dict[str, bool]) -> tuple[str, dict] | None:
            key = self.selector.select(body, self._route_table(routes))
            if key is None:
                return None
            return key, events.message_event(api, connection, key, body, request_id,
                                             message_id, now_ms)

        outcome = await self._run(make_event)
        frame: str | None = None
        if outcome.route_key is None:
            frame = gateway_frame("Forbidden", connection.connection_id, request_id)
            self._log("(no route)", connection, outcome, "Forbidden")
        elif outcome.error:
            text = "Endpoint request timed out" if outcome.status == 504 else "Internal server error"
            frame = gateway_frame(text, connection.connection_id, request_id)
            self._log(outcome.route_key, connection, outcome, "error")
        else:
            self._log(outcome.route_key, connection, outcome, outcome.status or 200)
            if outcome.reply:
                frame = outcome.body
        if frame is not None:
            await self._send(connection, frame.encode("utf-8"))

    async def _disconnect(self, connection: Connection, cause: limits.CloseCause) -> None:
        assert self.api is not None
        event = events.disconnect_event(self.api, connection, cause, ids.gateway_id(), _now_ms())
        outcome = await self._run(lambda routes: ("$disconnect", event))
        status = "error" if outcome.error else (outcome.status or 200)
        self._log("$disconnect", connection, outcome, status)

    async def _send(self, connection: Connection, payload: bytes) -> bool:
        """One message to the client, cut into 32 KB frames; False if it is gone."""
        ws = connection.channel
        if not connection.is_open:
            return False
        try:
            text = True
            payload.decode("utf-8")
        except UnicodeDecodeError:
            text = False  # unverified: how the gateway frames non-UTF-8 data
        try:
            if len(payload) > limits.MAX_FRAME_BYTES:
                await ws.send(list(limits.frames(payload)), text=text)
            else:
                await ws.send(payload, text=text)
        except ConnectionClosed:
            return False
        connection.last_active_at = _now_ms()
        return True

    def _close(self, connection: Connection, cause: limits.CloseCause) -> None:
        """Begin closing a connection from the gateway's side; don't wait for the client."""
        if connection.close_cause is None:
            connection.close_cause = cause
        connection.state = CLOSING
        self._spawn(connection.channel.close(cause.code, cause.reason))

    async def _sweep(self) -> None:
        """Close connections past the idle timeout or the maximum duration."""
        s = self.settings
        tick = min(1.0, max(0.05, min(s.idle_timeout, s.max_duration) / 4))
        while True:
            await asyncio.sleep(tick)
            now_ms = _now_ms()
            for connection in list(self.table):
                if connection.is_open:
                    cause = connection.expired(now_ms, s.idle_timeout, s.max_duration)
                    if cause is not None:
                        self._close(connection, cause)
