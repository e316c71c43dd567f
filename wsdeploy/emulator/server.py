"""The network shell: one port for WebSocket clients at `/{stage}` and for the @connections API
at `/{stage}/@connections/{id}`, around the pure core (events, routing, table, limits,
decisions, flow): it runs handlers and moves bytes, and `decisions` says what each outcome
comes to.

Handlers run on worker threads (`workers`, through `invocations`) via the runtime's entry point;
the event loop only moves bytes and makes the cheap decisions (which route a message takes), so
a handler that blocks never stalls the server. A handler's `send_message` reaches the gateway
in-process (`_local_call`, installed into the runtime by `environment`): the same checks as the
@connections API, then the frame is written by the loop, without a signed HTTP round trip.
`front_door` decides per TCP connection whether it is @connections traffic (served there over
keep-alive HTTP, for boto3 and outside callers) or a WebSocket client (websockets').

One client costs only itself: a send never waits for a client to read (one that lets
`max_unsent_bytes` pile up is dropped, see limits.UNREAD); a client's handlers take at most
`max_running_per_connection` workers, and once `max_queued_bytes` of its messages wait for one,
its socket is not read until they drain (`flow`).

Every connection whose `$connect` accepted gets exactly one `$disconnect`: from `_client` once
it has opened, or from `_never_opened` when its socket went away first (the client left while
`$connect` ran, or the gateway stopped and websockets answered the handshake with 503). The
real gateway refuses a malformed upgrade before calling the function; so does `_process_request`.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import time
from dataclasses import dataclass
from typing import Any, Callable, Coroutine

from websockets.asyncio.server import Server, serve
from websockets.http11 import Request, Response

from ..errors import UserError
from . import decisions, events, http_api, http_replies, ids, limits, management_api
from .app_loader import AppLoader
from .client_socket import ClientSocket
from .connect_guard import AUTHORIZER_ROUTE, ConnectGuard
from .connections import CONNECTING, OPEN, Connection, ConnectionTable
from .decisions import MessageVerdict, Outcome
from .environment import Environment
from .flow import Inflow
from .front_door import FrontDoor, HttpRequest, open_file_limit
from .handoff import Handoff
from .http_replies import Reply, handshake_response
from .invocations import Invocations, internal_error
from .invoke import UNKNOWN, Invoker
from .limit_log import LimitLog
from .routing import RouteSelector
from .settings import DevSettings
from .workers import WorkerPool

_SETTLE_SECONDS = 5.0  # after the grace: how long stopping waits for what it has just aborted
_DRAIN_TICK = 0.01  # how often stopping looks whether everything under way has ended


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


def _is_utf8(payload: bytes) -> bool:
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


class Gateway:
    """A running local API Gateway. `await start()`, then `await stop()`."""

    def __init__(self, settings: DevSettings,
                 on_event: Callable[[EventRecord], None] = lambda record: None,
                 on_notice: Callable[[str, str], None] = lambda kind, text: None):
        self.settings = settings
        self.table = ConnectionTable()
        self.selector = RouteSelector(settings.route_selection)
        self._on_event = on_event
        self._on_notice = on_notice  # ("reloaded" | "failed" | "abandoned" | "limit", text)
        self._limit = LimitLog(on_notice)
        self.loader = AppLoader(settings.source_dir, settings.handler_module, on_notice,
                                settings.exclude)
        self.invoker = Invoker(self.loader, settings.function)
        self._pool = WorkerPool(settings.workers)
        self._invocations = Invocations(self._pool, self.invoker, settings.integration_timeout)
        self.guard = ConnectGuard(settings, self._invocations)   # @on_authorize, auth = "iam"
        self._environment = Environment()
        self._doors: set[FrontDoor] = set()  # TCP connections not handed to websockets
        self._sockets: set[ClientSocket] = set()  # handed over, until their TCP connection ends
        self._connecting: set[ClientSocket] = set()  # whose $connect is running
        self._by_socket: dict[ClientSocket, Connection] = {}
        self._tasks: set[asyncio.Task] = set()
        self._server: Server | None = None
        self._sweeper: asyncio.Task | None = None
        self._stopping = False
        self._handoff: Handoff | None = None  # how workers reach the loop
        self.api: events.Api | None = None

    # -- lifecycle ---------------------------------------------------------------------
    async def start(self) -> None:
        """Bind, set the function's environment, load the app, then accept clients."""
        s = self.settings
        self._handoff = self._invocations.handoff = Handoff(asyncio.get_running_loop())
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
        self._environment.apply(s, self.management_url, self._local_call)
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
        self._invocations.abandon()  # invocations still awaited end now
        for ws in list(self._sockets):
            ws.transport.abort()
        for door in list(self._doors):
            door.abort()
        await self._drain(_SETTLE_SECONDS)
        self._pool.shutdown()
        await asyncio.get_running_loop().run_in_executor(None, self.loader.close)
        self._environment.restore()

    async def _drain(self, timeout: float) -> bool:
        """Wait until the server has closed, every task of ours has ended and every invocation
        has been answered; False on timeout."""
        try:
            async with asyncio.timeout(timeout):
                if self._server is not None:
                    await self._server.wait_closed()
                while self._tasks or self._invocations.unanswered:
                    await asyncio.sleep(_DRAIN_TICK)
        except TimeoutError:
            return False
        return True

    def _spawn(self, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task:
        """A task that stopping waits for."""
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _log(self, route_key: str, connection: Connection, outcome: Outcome,
             status: int | str, detail: str | None = None) -> None:
        self._on_event(EventRecord(route_key, connection.connection_id, status,
                                   outcome.duration_ms,
                                   (outcome.error or "") if detail is None else detail))

    # -- HTTP: handshakes and @connections ----------------------------------------------
    def _front_door(self, protocol: Any, server: Server, **options: Any) -> FrontDoor:
        """websockets' connection factory: a door that serves @connections or hands over."""
        protocol.fail = functools.partial(_with_gateway_reasons, protocol.fail)
        s = self.settings

        def hand_over() -> ClientSocket:
            ws = ClientSocket(protocol, server, on_message=self._received,
                              inflow=Inflow(s.max_running_per_connection, s.max_queued_bytes),
                              **options)
            self._sockets.add(ws)
            self._spawn(self._watch(ws))
            return ws

        app = self._serve_app if s.http_app else None
        return FrontDoor(hand_over, self._management, self._doors, self._spawn,
                         s.http_limits(open_file_limit()), self._limit.hit, app, self._is_upgrade)

    def _is_upgrade(self, target: str, headers: dict[str, str]) -> bool:
        """The WebSocket API's request: an upgrade at /{stage}. With http_app, every other
        request is the HTTP app's, as the HTTP API beside it would have it."""
        path = target.split("?", 1)[0]
        return (path.rstrip("/") == f"/{self.settings.stage}"
                and "websocket" in headers.get("upgrade", "").lower())

    async def _serve_app(self, request: HttpRequest) -> Reply:
        """One request for the HTTP app (issue 17): a payload 2.0 event through the runtime's
        entry point, on a worker, as the HTTP API beside the WebSocket API sends it."""
        assert self.api is not None
        now_ms, request_id = _now_ms(), ids.gateway_id()
        event = http_api.http_event(self.api, request.method, request.target, request.headers,
                                    request.body, request.source_ip, request_id, now_ms)
        outcome = await self._invocations.run(http_api.ROUTE_KEY,
                                              lambda routes: (http_api.ROUTE_KEY, event))
        if outcome.timed_out:
            reply = http_api.timed_out()
        elif outcome.error is not None or outcome.abandoned:
            reply = http_api.internal_error()
        else:
            reply = http_api.reply_from(outcome.result)
        path = request.target.split("?", 1)[0]
        self._on_event(EventRecord(f"{request.method} {path}", "HTTP", reply.status,
                                   outcome.duration_ms, outcome.error or ""))
        return reply

    async def _process_request(self, ws: ClientSocket, request: Request) -> Response:
        path = request.path.split("?", 1)[0]
        if path.rstrip("/") != f"/{self.settings.stage}":
            return handshake_response(http_replies.forbidden())
        if "websocket" not in (_header(request, "Upgrade") or "").lower():
            return handshake_response(http_replies.upgrade_required(self.url))
        handshake = ws.protocol.accept(request)  # websockets' own checks of the upgrade
        if handshake.status_code != 101:
            return handshake  # malformed: refused before any $connect, as the gateway does
        return await self._connect(ws, request, handshake)

    async def _connect(self, ws: ClientSocket, request: Request, handshake: Response) -> Response:
        assert self.api is not None
        now_ms = _now_ms()
        connection = Connection(
            ids.gateway_id(), now_ms,
            domain_name=_header(request, "Host") or f"{self.settings.host}:{self.port}",
            source_ip=str(ws.remote_address[0]), user_agent=_header(request, "User-Agent"),
            channel=ws)
        self.table.add(connection)
        self._by_socket[ws] = connection
        ws.gateway_connection = connection
        self._connecting.add(ws)
        try:
            return await self._connect_verdict(ws, request, handshake, connection)
        finally:
            self._connecting.discard(ws)
            if ws.connection_lost_waiter.done():
                self._never_opened(ws)  # the client left while $connect ran

    async def _connect_verdict(self, ws: ClientSocket, request: Request, handshake: Response,
                               connection: Connection) -> Response:
        """Run `$connect` and turn its result into the handshake's response."""
        assert self.api is not None
        api, request_id, now_ms = self.api, ids.gateway_id(), connection.connected_at
        headers = events.connect_headers(request.headers.raw_items(), connection.source_ip,
                                         api.port, now_ms / 1000)
        guarded = await self.guard.check(api, connection, request.path, headers)
        if guarded is not None:
            verdict, latency = guarded
            self._on_event(EventRecord(AUTHORIZER_ROUTE, connection.connection_id, verdict.status,
                                       latency, verdict.detail))
            if not verdict.allowed:
                self._forget(ws)
                return handshake_response(http_replies.authorizer_refused(verdict.status))

        def make_event(routes: dict[str, bool]) -> tuple[str, dict]:
            return "$connect", events.connect_event(api, connection, request.path, headers,
                                                    request_id, now_ms)

        outcome = await self._invocations.run("$connect", make_event)
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

    async def _watch(self, ws: ClientSocket) -> None:
        """A task from hand-over until the TCP connection ends (so stopping waits for it)."""
        try:
            await ws.wait_closed()
        finally:
            self._sockets.discard(ws)
        if ws not in self._connecting:  # else _connect sees to it when $connect returns
            self._never_opened(ws)

    def _never_opened(self, ws: ClientSocket) -> None:
        """The TCP connection of a client ended: if `$connect` had accepted it and it never
        opened (the client left while `$connect` ran, or the gateway answered 503 as it
        stopped), raise its `$disconnect` (1006) and forget it."""
        connection = self._by_socket.get(ws)
        if connection is None or connection.state is not CONNECTING:
            return  # refused, or opened (then _client raises its $disconnect)
        cause = connection.end(limits.ABNORMAL)
        self._forget(ws)
        self._disconnect(connection, cause)

    def _forget(self, ws: ClientSocket) -> None:
        connection = self._by_socket.pop(ws, None)
        ws.inflow.drop()
        if connection is not None:
            self.table.remove(connection.connection_id)

    async def _management(self, request: HttpRequest) -> Reply:
        """One @connections HTTP request (on the loop)."""
        plan = management_api.plan(request.method, request.target, request.headers,
                                   request.body, self.settings.stage, self.table)
        return self._carry_out(plan)

    def _carry_out(self, plan: management_api.Plan) -> Reply:
        """Do what a planned call says (on the loop), and say how it went."""
        if plan.action == "post" and plan.connection is not None:
            if not self._deliver(plan.connection, plan.payload):
                return http_replies.gone(plan.connection.connection_id)
        elif plan.action == "delete" and plan.connection is not None:
            self._close(plan.connection, limits.DELETED)
        return plan.reply

    def _local_call(self, method: str, connection_id: str, body: bytes) -> tuple[int, str, bytes]:
        """A call of the runtime's (`send_message`, `get_connection`, `close_connection`,
        `broadcast`) from a handler on a worker: decided here with the checks of the
        @connections API, carried out by the loop without waiting for it. A post to a client
        that already has `max_unsent_bytes` waiting fails at once, with 410."""
        plan = management_api.decide(method, connection_id, body, self.table)
        connection, reply = plan.connection, plan.reply
        if connection is not None and plan.action is not None:
            held = len(plan.payload)
            over = held > 0 and self._over_limit(connection, held)
            if not over:
                connection.channel.hold(held)  # counted as unsent until the loop takes it
            try:  # in order with the handler's other calls and its return
                if over:
                    self._handoff.call(self._overflow, connection)  # type: ignore[union-attr]
                else:
                    self._handoff.call(self._carry_out_held, plan)  # type: ignore[union-attr]
            except RuntimeError:  # the loop is closed: the gateway has stopped
                over = True
            if over:
                reply = http_replies.gone(connection_id)
        return reply.status, reply.error_type or "", reply.body

    def _carry_out_held(self, plan: management_api.Plan) -> None:
        plan.connection.channel.release(len(plan.payload))  # type: ignore[union-attr]
        self._carry_out(plan)

    # -- WebSocket: messages -----------------------------------------------------------
    async def _client(self, ws: ClientSocket) -> None:
        """From the handshake's end to the TCP connection's end: messages come in through
        `_received` meanwhile."""
        connection = self._by_socket.get(ws)
        if connection is None or not connection.open():
            return  # its socket went away first: _never_opened has raised its $disconnect
        if self._stopping:  # opened as stopping began, after it closed the others
            self._close(connection, limits.SHUTDOWN)
        else:
            self._pump(connection)  # messages that came with the handshake
        try:
            await ws.wait_closed()
        finally:
            cause = connection.end(self._client_cause(ws))
            self._forget(ws)
            self._disconnect(connection, cause)

    @staticmethod
    def _client_cause(ws: ClientSocket) -> limits.CloseCause:
        received, sent = ws.protocol.close_rcvd, ws.protocol.close_sent
        return decisions.client_cause(
            None if received is None else decisions.Close(received.code, received.reason),
            None if sent is None else decisions.Close(sent.code, sent.reason),
            ws.protocol.close_rcvd_then_sent)

    def _received(self, ws: ClientSocket, message: str | bytes) -> None:
        """A whole message from a client (on the loop, as its last frame arrives)."""
        connection = ws.gateway_connection
        if connection is None or connection.state not in (CONNECTING, OPEN):
            return  # closing: what it still sends is not handled
        if isinstance(message, bytes) and connection.is_open:
            self._close(connection, limits.BINARY)
            return
        connection.last_active_at = now_ms = _now_ms()
        ws.inflow.add((message, now_ms), len(message))
        self._pump(connection)
        if ws.inflow.should_pause():
            self._limit.hit("queued", f"connection {connection.connection_id}: "
                            f"{ws.inflow.queued_bytes:,} bytes of its messages wait for a worker: "
                            "not reading from it until they drain")
            ws.transport.pause_reading()

    def _pump(self, connection: Connection) -> None:
        """Start the connection's waiting messages while it has free slots."""
        ws = connection.channel
        while connection.is_open:
            item = ws.inflow.take()
            if item is None:
                break
            body, now_ms = item
            if isinstance(body, bytes):  # binary, sent before the handshake's end was seen
                ws.inflow.finished()
                self._close(connection, limits.BINARY)
                break
            self._message(connection, body, now_ms)
        if ws.inflow.should_resume():
            ws.transport.resume_reading()

    def _slot_free(self, connection: Connection) -> None:
        connection.channel.inflow.finished()
        self._pump(connection)

    def _message(self, connection: Connection, body: str, now_ms: int) -> None:
        """Route one message and start its handler; it holds one of the connection's slots
        until the handler returns."""
        assert self.api is not None
        api, request_id, message_id = self.api, ids.gateway_id(), ids.gateway_id()
        route_key = UNKNOWN
        started = False
        try:
            routes = self.loader.routes  # the version serving now; None if none ever loaded
            if routes is not None:
                route_key = self.selector.select(body, routes)
                if route_key is None:  # decided here: no worker needed
                    self._answer(connection, decisions.no_route(), 0.0, request_id)
                    return
            selected = route_key

            def make_event(current: dict[str, bool]) -> tuple[str, dict] | None:
                key = selected if current is routes else self.selector.select(
                    body, current)  # reloaded since: select again
                if key is None:
                    return None
                return key, events.message_event(api, connection, key, body, request_id,
                                                 message_id, now_ms)

            self._invocations.start(
                selected, make_event,
                lambda outcome: self._message_answered(connection, outcome, selected, request_id),
                lambda: self._slot_free(connection))
            started = True
        except Exception as error:  # noqa: BLE001 - a bug of ours: said, and answered as one
            self._failed(connection, route_key, error, request_id)
        finally:
            if not started:
                connection.channel.inflow.finished()

    def _message_answered(self, connection: Connection, outcome: Outcome, selected: str,
                          request_id: str) -> None:
        try:
            verdict = decisions.message_verdict(outcome, selected)
            self._answer(connection, verdict, outcome.duration_ms, request_id)
        except Exception as error:  # noqa: BLE001 - a bug of ours: said, and answered as one
            self._failed(connection, outcome.route_key or selected, error, request_id)

    def _failed(self, connection: Connection, route_key: str, error: Exception,
                request_id: str) -> None:
        self._on_event(EventRecord(route_key, connection.connection_id, "error", 0.0,
                                   internal_error(error)))
        try:
            self._gateway_frame(connection, limits.INTERNAL_ERROR, request_id)
        except Exception:  # noqa: BLE001 - said already; the client may be gone
            pass

    def _answer(self, connection: Connection, verdict: MessageVerdict,
                duration_ms: float, request_id: str) -> None:
        """Say the message's event line, then send the client what the verdict says."""
        self._on_event(EventRecord(verdict.route_key, connection.connection_id, verdict.status,
                                   duration_ms, verdict.detail))
        if verdict.gateway_frame is not None:
            self._gateway_frame(connection, verdict.gateway_frame, request_id)
        elif verdict.reply is not None:
            self._deliver(connection, verdict.reply.encode("utf-8"))

    def _gateway_frame(self, connection: Connection, message: str, request_id: str) -> None:
        frame = limits.gateway_frame(message, connection.connection_id, request_id)
        self._deliver(connection, frame.encode("utf-8"))

    def _disconnect(self, connection: Connection, cause: limits.CloseCause) -> None:
        assert self.api is not None
        api, request_id, now_ms = self.api, ids.gateway_id(), _now_ms()

        def said(outcome: Outcome) -> None:
            self._log("$disconnect", connection, outcome, decisions.disconnect_status(outcome))

        try:
            self._invocations.start("$disconnect", lambda routes: (
                "$disconnect", events.disconnect_event(api, connection, cause, request_id,
                                                       now_ms)), said)
        except Exception as error:  # noqa: BLE001 - a bug of ours: said, never silent
            self._on_event(EventRecord("$disconnect", connection.connection_id, "error", 0.0,
                                       internal_error(error)))

    # -- WebSocket: sending and closing --------------------------------------------------
    def _over_limit(self, connection: Connection, size: int) -> bool:
        return connection.channel.unsent + size > self.settings.max_unsent_bytes

    def _deliver(self, connection: Connection, payload: bytes) -> bool:
        """Write one message to the client now (cut into 32 KB frames); False if it is not
        open, or if it has left too much unread (then it is dropped: limits.UNREAD)."""
        if not connection.is_open:
            return False
        if self._over_limit(connection, len(payload)):
            self._overflow(connection)
            return False
        text = _is_utf8(payload)  # unverified: how the gateway frames non-UTF-8 data
        if not connection.channel.write_message(payload, text):
            return False
        connection.last_active_at = _now_ms()
        return True

    def _overflow(self, connection: Connection) -> None:
        """The client does not read: drop its TCP connection (limits.UNREAD)."""
        if connection.close(limits.UNREAD):
            ws = connection.channel
            self._limit.hit("unread", f"connection {connection.connection_id}: "
                            f"{ws.unsent:,} bytes sent to it wait unread (the limit is "
                            f"{self.settings.max_unsent_bytes:,}): dropped it, code "
                            f"{limits.UNREAD.code}; sends to it get 410 Gone")
            ws.inflow.drop()
            ws.transport.abort()

    def _close(self, connection: Connection, cause: limits.CloseCause) -> None:
        """Begin closing a connection from the gateway's side; don't wait for the client."""
        if connection.close(cause):
            ws = connection.channel
            ws.inflow.drop()  # messages still waiting will not run
            if ws.inflow.should_resume():
                ws.transport.resume_reading()  # so the client's close frame can be read
            self._spawn(ws.close(cause.code, cause.reason))

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
