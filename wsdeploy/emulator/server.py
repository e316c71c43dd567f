"""The network shell: one port for WebSocket clients at `/{stage}` and for the @connections API
at `/{stage}/@connections/{id}`, around the pure core (events, routing, table, limits,
decisions): it runs handlers and moves bytes, and `decisions` says what each outcome comes to.

Handlers run on worker threads (`workers`) through the runtime's entry point; the event loop
only moves bytes and makes the cheap decisions (which route a message takes), so a handler that
blocks, or that posts to its own connection (the loop serves that POST meanwhile), never stalls
the server. `front_door` decides per TCP connection whether it is @connections traffic (served
there over keep-alive HTTP) or a WebSocket client (websockets').

Every connection whose `$connect` accepted gets exactly one `$disconnect`: from `_client` once
it has opened, or from `_never_opened` when its socket went away first (the client left while
`$connect` ran, or the gateway stopped and websockets answered the handshake with 503). The
real gateway refuses a malformed upgrade before calling the function; so does `_process_request`.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import time
import traceback
from dataclasses import dataclass
from typing import Any, Callable, Coroutine

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from ..errors import UserError
from . import decisions, events, http_replies, ids, limits, management_api
from .app_loader import AppLoader
from .connections import CONNECTING, Connection, ConnectionTable
from .decisions import MessageVerdict, Outcome
from .environment import Environment
from .front_door import FrontDoor, HttpRequest
from .http_replies import Reply, handshake_response
from .invoke import UNKNOWN, EventFactory, Invoker
from .routing import RouteSelector
from .settings import DevSettings
from .workers import WorkerPool

_SETTLE_SECONDS = 5.0  # after the grace: how long stopping waits for what it has just aborted


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


def _header(request: Request, name: str) -> str | None:
    values = request.headers.get_all(name)
    return ", ".join(values) if values else None


def _with_gateway_reasons(fail: Callable[..., None], code: int, reason: str = "") -> None:
    """websockets' `Protocol.fail`, closing over a size limit (1009) with the gateway's reason
    (limits.TOO_BIG) rather than websockets' own text, so the frame and `$disconnect` agree."""
    if code == limits.TOO_BIG.code:
        reason = limits.TOO_BIG.reason
    fail(code, reason)


def _internal_error(error: BaseException) -> str:
    return "wsdeploy dev failed:\n" + "".join(traceback.format_exception(error)).strip()


class Gateway:
    """A running local API Gateway. `await start()`, then `await stop()`."""

    def __init__(self, settings: DevSettings,
                 on_event: Callable[[EventRecord], None] = lambda record: None,
                 on_notice: Callable[[str, str], None] = lambda kind, text: None):
        self.settings = settings
        self.table = ConnectionTable()
        self.selector = RouteSelector(settings.route_selection)
        self._on_event = on_event
        self._on_notice = on_notice  # ("reloaded" | "failed" | "abandoned", text)
        self.loader = AppLoader(settings.source_dir, settings.handler_module, on_notice,
                                settings.exclude)
        self.invoker = Invoker(self.loader, settings.function)
        self._pool = WorkerPool(settings.workers)
        self._environment = Environment()
        self._doors: set[FrontDoor] = set()  # TCP connections not handed to websockets
        self._sockets: set[ServerConnection] = set()  # handed over, until their TCP connection ends
        self._connecting: set[ServerConnection] = set()  # whose $connect is running
        self._by_socket: dict[ServerConnection, Connection] = {}
        self._tasks: set[asyncio.Task] = set()
        self._server: Server | None = None
        self._sweeper: asyncio.Task | None = None
        self._stopping = False
        self._abandon: asyncio.Future | None = None  # done when stopping gives up on handlers
        self.api: events.Api | None = None

    # -- lifecycle ---------------------------------------------------------------------
    async def start(self) -> None:
        """Bind, set the function's environment, load the app, then accept clients."""
        s = self.settings
        self._abandon = asyncio.get_running_loop().create_future()
        try:
            self._server = await serve(
                self._client, s.host, s.port, process_request=self._process_request,
                create_connection=self._front_door, compression=None, ping_interval=None,
                open_timeout=60, server_header=None,
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
            await self._pool.run(self.loader.start, s.poll_seconds)
        except BaseException:
            self._server.close()
            await self._server.wait_closed()
            self._pool.shutdown()
            self._environment.restore()
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
        """Close every connection (1001, with `$disconnect`) and wait up to `stop_grace` seconds
        for the handlers under way; then give up on those still running (their threads run on,
        unheard) and release everything."""
        self._stopping = True
        if self._sweeper is not None:
            self._sweeper.cancel()
        for door in list(self._doors):
            door.shut()  # silent or idle connections close now, busy ones after their reply
        for ws in list(self._sockets):
            if ws.request is None:  # handed over, its handshake request not complete yet
                ws.transport.close()
        for connection in list(self.table):
            if connection.is_open:
                self._close(connection, limits.SHUTDOWN)
        if self._server is not None:
            self._server.close()  # no new clients; a handshake that ends now is answered 503
        if not await self._drain(self.settings.stop_grace):
            left = [f"{count} {what}" for count, what in (
                (self._pool.busy, "handler(s) still running, left behind"),
                (len(self._sockets) + len(self._doors), "connection(s) still open, dropped"))
                if count]
            self._on_notice("abandoned", f"stopped waiting after {self.settings.stop_grace:g} s: "
                                         + "; ".join(left or ["nothing left"]))
        if self._abandon is not None and not self._abandon.done():
            self._abandon.set_result(None)  # invocations still awaited end now
        for ws in list(self._sockets):
            ws.transport.abort()
        for door in list(self._doors):
            door.abort()
        await self._drain(_SETTLE_SECONDS)
        self._pool.shutdown()
        await asyncio.get_running_loop().run_in_executor(None, self.loader.close)
        self._environment.restore()

    async def _drain(self, timeout: float) -> bool:
        """Wait until the server has closed and every task of ours has ended; False on timeout."""
        try:
            async with asyncio.timeout(timeout):
                if self._server is not None:
                    await self._server.wait_closed()
                while self._tasks:
                    await asyncio.wait(set(self._tasks))
        except TimeoutError:
            return False
        return True

    def _spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task:
        """A task that stopping waits for."""
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _run(self, route_key: str, make_event: EventFactory) -> Outcome:
        """One invocation on a worker, bounded by the integration timeout and by stopping.

        `route_key` is the route chosen on the loop; the worker's outcome names its own (it may
        differ if the app was reloaded in between), or none for an event that failed before."""
        started = time.perf_counter()
        if self._abandon is not None and self._abandon.done():
            return Outcome(route_key, abandoned=True, error="wsdeploy dev has stopped")
        try:
            future = self._pool.run(self.invoker.invoke, make_event)
            waiting = {future} if self._abandon is None else {future, self._abandon}
            done, _ = await asyncio.wait(waiting, timeout=self.settings.integration_timeout,
                                         return_when=asyncio.FIRST_COMPLETED)
            if future in done:
                outcome = future.result()
            elif self._abandon is not None and self._abandon.done():
                outcome = Outcome(route_key, abandoned=True,
                                  error="wsdeploy dev stopped before the handler returned")
            else:  # the function runs on, as Lambda's does; the gateway answers for it
                outcome = Outcome(route_key, status=504, error=limits.TIMED_OUT, timed_out=True)
        except Exception as error:  # noqa: BLE001 - said in the event line, never lost
            outcome = Outcome(route_key, error=_internal_error(error))
        if outcome.route_key == UNKNOWN:
            outcome.route_key = route_key
        if not outcome.duration_ms:
            outcome.duration_ms = (time.perf_counter() - started) * 1000
        return outcome

    def _log(self, route_key: str, connection: Connection, outcome: Outcome,
             status: int | str, detail: str | None = None) -> None:
        self._on_event(EventRecord(route_key, connection.connection_id, status,
                                   outcome.duration_ms,
                                   (outcome.error or "") if detail is None else detail))

    # -- HTTP: handshakes and @connections ----------------------------------------------
    def _front_door(self, protocol: Any, server: Server, **options: Any) -> FrontDoor:
        """websockets' connection factory: a door that serves @connections or hands over."""
        protocol.fail = functools.partial(_with_gateway_reasons, protocol.fail)

        def hand_over() -> ServerConnection:
            ws = ServerConnection(protocol, server, **options)
            self._sockets.add(ws)
            self._spawn(self._watch(ws))
            return ws

        return FrontDoor(hand_over, self._management, self._doors, self._spawn,
                         self.settings.first_line_timeout)

    async def _process_request(self, ws: ServerConnection, request: Request) -> Response:
        path = request.path.split("?", 1)[0]
        if path.rstrip("/") != f"/{self.settings.stage}":
            return handshake_response(http_replies.forbidden())
        if "websocket" not in (_header(request, "Upgrade") or "").lower():
            return handshake_response(http_replies.upgrade_required(self.url))
        handshake = ws.protocol.accept(request)  # websockets' own checks of the upgrade
        if handshake.status_code != 101:
            return handshake  # malformed: refused before any $connect, as the gateway does
        return await self._connect(ws, request, handshake)

    async def _connect(self, ws: ServerConnection, request: Request,
                       handshake: Response) -> Response:
        assert self.api is not None
        now_ms = _now_ms()
        connection = Connection(
            ids.gateway_id(), now_ms,
            domain_name=_header(request, "Host") or f"{self.settings.host}:{self.port}",
            source_ip=str(ws.remote_address[0]), user_agent=_header(request, "User-Agent"),
            channel=ws)
        self.table.add(connection)
        self._by_socket[ws] = connection
        self._connecting.add(ws)
        try:
            return await self._connect_verdict(ws, request, handshake, connection)
        finally:
            self._connecting.discard(ws)
            if ws.connection_lost_waiter.done():
                self._never_opened(ws)  # the client left while $connect ran

    async def _connect_verdict(self, ws: ServerConnection, request: Request, handshake: Response,
                               connection: Connection) -> Response:
        """Run `$connect` and turn its result into the handshake's response."""
        assert self.api is not None
        api, request_id, now_ms = self.api, ids.gateway_id(), connection.connected_at

        def make_event(routes: dict[str, bool]) -> tuple[str, dict]:
            headers = events.connect_headers(request.headers.raw_items(), connection.source_ip,
                                             api.port, now_ms / 1000)
            return "$connect", events.connect_event(api, connection, request.path, headers,
                                                    request_id, now_ms)

        outcome = await self._run("$connect", make_event)
        verdict = decisions.connect_verdict(outcome, self._stopping)
        if verdict.forget:
            self._forget(ws)
        self._log("$connect", connection, outcome, verdict.status, verdict.detail)
        if verdict.reply is not None:
            return handshake_response(verdict.reply)
        for name, value in verdict.headers:  # e.g. Sec-WebSocket-Protocol
            if name in handshake.headers:
                del handshake.headers[name]
            handshake.headers[name] = value
        return handshake

    async def _watch(self, ws: ServerConnection) -> None:
        """A task from hand-over until the TCP connection ends (so stopping waits for it)."""
        try:
            await ws.wait_closed()
        finally:
            self._sockets.discard(ws)
        if ws not in self._connecting:  # else _connect sees to it when $connect returns
            self._never_opened(ws)

    def _never_opened(self, ws: ServerConnection) -> None:
        """The TCP connection of a client ended: if `$connect` had accepted it and it never
        opened (the client left while `$connect` ran, or the gateway answered 503 as it
        stopped), raise its `$disconnect` (1006) and forget it."""
        connection = self._by_socket.get(ws)
        if connection is None or connection.state is not CONNECTING:
            return  # refused, or opened (then _client raises its $disconnect)
        cause = connection.end(limits.ABNORMAL)
        self._forget(ws)
        self._spawn(self._disconnect(connection, cause))

    def _forget(self, ws: ServerConnection) -> None:
        connection = self._by_socket.pop(ws, None)
        if connection is not None:
            self.table.remove(connection.connection_id)

    async def _management(self, request: HttpRequest) -> Reply:
        plan = management_api.plan(request.method, request.target, request.headers,
                                   request.body, self.settings.stage, self.table)
        if plan.action == "post" and plan.connection is not None:
            if not await self._send(plan.connection, plan.payload):
                return http_replies.gone(plan.connection.connection_id)
        elif plan.action == "delete" and plan.connection is not None:
            self._close(plan.connection, limits.DELETED)
        return plan.reply

    # -- WebSocket: frames -------------------------------------------------------------
    async def _client(self, ws: ServerConnection) -> None:
        connection = self._by_socket.get(ws)
        if connection is None or not connection.open():
            return  # its socket went away first: _never_opened has raised its $disconnect
        if self._stopping:  # opened as stopping began, after it closed the others
            self._close(connection, limits.SHUTDOWN)
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
            cause = connection.end(self._client_cause(ws))
            self._forget(ws)
            self._spawn(self._disconnect(connection, cause))

    @staticmethod
    def _client_cause(ws: ServerConnection) -> limits.CloseCause:
        received, sent = ws.protocol.close_rcvd, ws.protocol.close_sent
        return decisions.client_cause(
            None if received is None else decisions.Close(received.code, received.reason),
            None if sent is None else decisions.Close(sent.code, sent.reason),
            ws.protocol.close_rcvd_then_sent)

    async def _message(self, connection: Connection, body: str, now_ms: int) -> None:
        assert self.api is not None
        api, request_id, message_id = self.api, ids.gateway_id(), ids.gateway_id()
        route_key = UNKNOWN
        try:
            routes = self.loader.routes  # the version serving now; None if none ever loaded
            if routes is not None:
                route_key = self.selector.select(body, routes)
                if route_key is None:  # decided here: no worker needed
                    await self._answer(connection, decisions.no_route(), 0.0, request_id)
                    return
            selected = route_key

            def make_event(current: dict[str, bool]) -> tuple[str, dict] | None:
                key = selected if current is routes else self.selector.select(
                    body, current)  # reloaded since: select again
                if key is None:
                    return None
                return key, events.message_event(api, connection, key, body, request_id,
                                                 message_id, now_ms)

            outcome = await self._run(route_key, make_event)
            verdict = decisions.message_verdict(outcome, route_key)
            await self._answer(connection, verdict, outcome.duration_ms, request_id)
        except Exception as error:  # noqa: BLE001 - a bug of ours: said, and answered as one
            self._on_event(EventRecord(route_key, connection.connection_id, "error", 0.0,
                                       _internal_error(error)))
            with contextlib.suppress(Exception):
                await self._error_frame(connection, limits.INTERNAL_ERROR, request_id)

    async def _answer(self, connection: Connection, verdict: MessageVerdict,
                      duration_ms: float, request_id: str) -> None:
        """Say the message's event line, then send the client what the verdict says."""
        self._on_event(EventRecord(verdict.route_key, connection.connection_id, verdict.status,
                                   duration_ms, verdict.detail))
        if verdict.gateway_frame is not None:
            await self._error_frame(connection, verdict.gateway_frame, request_id)
        elif verdict.reply is not None:
            await self._send(connection, verdict.reply.encode("utf-8"))

    async def _error_frame(self, connection: Connection, message: str, request_id: str) -> None:
        frame = limits.gateway_frame(message, connection.connection_id, request_id)
        await self._send(connection, frame.encode("utf-8"))

    async def _disconnect(self, connection: Connection, cause: limits.CloseCause) -> None:
        assert self.api is not None
        api, request_id, now_ms = self.api, ids.gateway_id(), _now_ms()
        try:
            outcome = await self._run("$disconnect", lambda routes: (
                "$disconnect", events.disconnect_event(api, connection, cause, request_id, now_ms)))
            self._log("$disconnect", connection, outcome, decisions.disconnect_status(outcome))
        except Exception as error:  # noqa: BLE001 - a bug of ours: said, never silent
            self._on_event(EventRecord("$disconnect", connection.connection_id, "error", 0.0,
                                       _internal_error(error)))

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
        if connection.close(cause):
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
