"""Talking to connected clients through the gateway's @connections management API.

Importing this module is nearly free: http.client, json, the signer and the thread pool load
on the first call that needs them, so a cold start that only accepts a connection skips them.
"""

from __future__ import annotations

import os
import _thread  # threading's lock without the import cost of threading itself
import time
TYPE_CHECKING = False  # typing itself costs a cold start; type checkers still see the block

from .env import ENDPOINT_ENV
from .errors import ConnectionGone, HandlerConfigurationError, ManagementApiError, MessageTooLarge

if TYPE_CHECKING:
    import datetime
    import http.client
    from concurrent.futures import ThreadPoolExecutor
    from typing import Any, Iterable

MAX_MESSAGE_BYTES = 128 * 1024  # the gateway's payload quota
BROADCAST_WORKERS = 32
_ATTEMPTS = 3  # throttling and 5xx are retried with jittered backoff, as botocore's standard mode
_RETRY_STATUSES = {500, 502, 503, 504}
_TIMEOUT_SECONDS = 10


def encode(data: Any) -> bytes:
    """The bytes sent for `data`: dicts and lists as compact JSON, str as UTF-8, bytes as they are."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        payload = bytes(data)
    elif isinstance(data, str):
        payload = data.encode("utf-8")
    elif isinstance(data, (dict, list)):
        from .json_text import compact_json

        payload = compact_json(data, "the message").encode("utf-8")
    else:
        raise TypeError(
            f"send_message takes a dict, list, str or bytes, not {type(data).__name__}"
        )
    if len(payload) > MAX_MESSAGE_BYTES:
        raise MessageTooLarge(len(payload), MAX_MESSAGE_BYTES)
    return payload


class _Record:
    """A small value class (dataclasses would cost the cold start an import)."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and all(
            getattr(self, name) == getattr(other, name) for name in self.__slots__)

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"


class ConnectionInfo(_Record):
    """What the gateway knows about one connection (GetConnection)."""

    __slots__ = ("connection_id", "connected_at", "last_active_at", "source_ip", "user_agent")

    def __init__(self, connection_id: str, connected_at: datetime.datetime,
                 last_active_at: datetime.datetime, source_ip: str, user_agent: str | None):
        self.connection_id = connection_id
        self.connected_at = connected_at
        self.last_active_at = last_active_at
        self.source_ip = source_ip
        self.user_agent = user_agent


class BroadcastResult(_Record):
    """Which connections got the message, which are gone (prune them), which failed and why."""

    __slots__ = ("sent", "gone", "failed")

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.gone: list[str] = []
        self.failed: dict[str, Exception] = {}


class ManagementClient:
    """A signed HTTP client for one endpoint; each thread keeps its own keep-alive connection."""

    def __init__(self, endpoint: str):
        import threading
        from urllib.parse import quote, urlsplit

        from . import sigv4

        self._sigv4 = sigv4
        parts = urlsplit(endpoint.rstrip("/"))
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise HandlerConfigurationError(
                f"{ENDPOINT_ENV} must be an https:// URL such as "
                f"https://abc123.execute-api.us-east-1.amazonaws.com/dev, got {endpoint!r}"
            )
        self.endpoint = f"{parts.scheme}://{parts.netloc}{parts.path}"
        self._scheme, self._netloc, self._base_path = parts.scheme, parts.netloc, parts.path
        self._region = sigv4.region_for(endpoint)
        self._quote = quote
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            import http.client

            cls = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
            conn = self._local.conn = cls(self._netloc, timeout=_TIMEOUT_SECONDS)
        return conn

    def _drop_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def call(self, method: str, connection_id: str, body: bytes = b"") -> tuple[int, bytes]:
        """Send one signed request; return (status, body) or raise the matching error.

        Retries never risk a second delivery: a POST is resent only when it cannot have been
        processed (refused connection, a stale keep-alive socket, throttling); GET and DELETE,
        being idempotent, are also retried after a network error or a 5xx.
        """
        import http.client

        _check_connection_id(connection_id)
        path = f"{self._base_path}/@connections/{self._quote(connection_id, safe='')}"
        url = f"{self._scheme}://{self._netloc}{path}"
        idempotent = method != "POST"
        for attempt in range(1, _ATTEMPTS + 1):
            last = attempt == _ATTEMPTS
            sigv4 = self._sigv4
            headers = sigv4.sign(method, url, body, sigv4.current_credentials(), self._region)
            if body:
                headers["content-length"] = str(len(body))
            reused = getattr(self._local, "conn", None) is not None
            try:
                conn = self._connection()
                conn.request(method, path, body=body or None, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except (http.client.HTTPException, OSError) as error:
                self._drop_connection()
                unsent = isinstance(error, ConnectionRefusedError) or (
                    reused and isinstance(error, (ConnectionResetError, BrokenPipeError)))
                if (idempotent or unsent) and not last:
                    continue
                raise ManagementApiError(0, "NetworkError", f"{type(error).__name__}: {error}",
                                         connection_id) from error
            retry = response.status == 429 or (idempotent and response.status in _RETRY_STATUSES)
            if retry and not last:
                import random

                time.sleep(random.uniform(0, 0.05 * 2**attempt))
                continue
            if response.status >= 300:
                raise _error_for(response.status, response.getheader("x-amzn-ErrorType", ""),
                                 data, connection_id, len(body))
            return response.status, data
        raise AssertionError("unreachable")


def _check_connection_id(connection_id: Any) -> None:
    """Refuses, before any request, an id that would change the URL's meaning: "" names the
    @connections collection itself, "." and ".." are dot segments that HTTP clients and
    servers resolve away (/dev/@connections/.. is /dev/), so the call would reach another path."""
    if not isinstance(connection_id, str):
        raise TypeError(f"a connection id is a string, not {type(connection_id).__name__}")
    if connection_id in ("", ".", ".."):
        raise ValueError(f"{connection_id!r} is not a connection id: the gateway's ids look like "
                         "'GDvEhc9SoAMCJvg=' (requestContext.connectionId of an event)")


def _error_for(status: int, error_type: str, data: bytes, connection_id: str, size: int) -> Exception:
    import json

    message = ""
    try:
        parsed = json.loads(data or b"{}")
        if isinstance(parsed, dict):
            error_type = error_type or str(parsed.get("__type", ""))
            message = str(parsed.get("message") or parsed.get("Message") or "")
    except ValueError:
        message = data[:200].decode("utf-8", "replace")
    error_type = error_type.split(":")[0].split("#")[-1]
    if status == 410 or error_type == "GoneException":
        return ConnectionGone(connection_id)
    if status == 413 or error_type == "PayloadTooLargeException":
        return MessageTooLarge(size, MAX_MESSAGE_BYTES, refused_by_gateway=True)
    return ManagementApiError(status, error_type, message, connection_id)


class InProcessClient:
    """Calls handed to a gateway in this process instead of signed HTTP requests, with the same
    errors raised. `call(method, connection_id, body)` answers (status, error type, body)."""

    __slots__ = ("endpoint", "_call")

    def __init__(self, endpoint: str, call: Any):
        self.endpoint = endpoint
        self._call = call

    def call(self, method: str, connection_id: str, body: bytes = b"") -> tuple[int, bytes]:
        status, error_type, data = self._call(method, connection_id, body)
        if status >= 300:
            raise _error_for(status, error_type, data, connection_id, len(body))
        return status, data


_clients: dict[str, ManagementClient | InProcessClient] = {}
_clients_lock = _thread.allocate_lock()


def install_gateway(endpoint: str, call: Any) -> None:
    """Send what is meant for `endpoint` to `call` in this process; None goes back to HTTP.

    `wsdeploy dev` installs its gateway here, as it installs the connections store, so that the
    handlers it runs reach it without a signed HTTP round trip (the runtime never imports the
    emulator). In Lambda nothing is installed."""
    with _clients_lock:
        if call is not None:
            _clients[endpoint] = InProcessClient(endpoint, call)
        elif isinstance(_clients.get(endpoint), InProcessClient):
            del _clients[endpoint]


def client_for(endpoint: str | None = None) -> ManagementClient | InProcessClient:
    """The cached client for `endpoint`, or for WEBSOCKET_API_GATEWAY_ENDPOINT."""
    endpoint = endpoint or os.environ.get(ENDPOINT_ENV)
    if not endpoint:
        raise HandlerConfigurationError(
            f"{ENDPOINT_ENV} is not set, so there is no gateway to send through: inside a "
            "handler wsdeploy sets it; elsewhere set it to "
            "https://{apiId}.execute-api.{region}.amazonaws.com/{stage} or pass endpoint="
        )
    with _clients_lock:
        client = _clients.get(endpoint)
        if client is None:
            client = _clients[endpoint] = ManagementClient(endpoint)
        return client


def send_message(connection_id: str, data: Any, *, endpoint: str | None = None) -> None:
    """Push `data` (dict, list, str or bytes) to one connected client."""
    payload = encode(data)
    client_for(endpoint).call("POST", connection_id, payload)


def _timestamp(value: Any) -> datetime.datetime:
    """The gateway sends ISO-8601; tolerate epoch seconds too (as some emulators send)."""
    import datetime

    if isinstance(value, (int, float)):
        return datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
    return datetime.datetime.fromisoformat(value)


def get_connection(connection_id: str, *, endpoint: str | None = None) -> ConnectionInfo:
    """When the client connected, when it was last active, and where from."""
    import json

    _, data = client_for(endpoint).call("GET", connection_id)
    info = json.loads(data)
    identity = info.get("identity") or {}
    return ConnectionInfo(
        connection_id=connection_id,
        connected_at=_timestamp(info["connectedAt"]),
        last_active_at=_timestamp(info["lastActiveAt"]),
        source_ip=identity.get("sourceIp", ""),
        user_agent=identity.get("userAgent"),
    )


def close_connection(connection_id: str, *, endpoint: str | None = None) -> None:
    """Disconnect a client (the gateway then raises $disconnect for it)."""
    client_for(endpoint).call("DELETE", connection_id)


_pool: ThreadPoolExecutor | None = None
_pool_lock = _thread.allocate_lock()


def _shared_pool() -> ThreadPoolExecutor:
    """One bounded pool per container, so warm invocations reuse threads and their connections."""
    global _pool
    with _pool_lock:
        if _pool is None:
            from concurrent.futures import ThreadPoolExecutor

            _pool = ThreadPoolExecutor(BROADCAST_WORKERS, thread_name_prefix="wsdeploy-send")
        return _pool


def broadcast(connection_ids: Iterable[str], data: Any, *, endpoint: str | None = None) -> BroadcastResult:
    """Send one message to many clients at once; a failure never stops the others."""
    if isinstance(connection_ids, (str, bytes)):
        raise TypeError("broadcast takes a list of connection ids; for one, use send_message")
    payload = encode(data)
    client = client_for(endpoint)
    ids = list(dict.fromkeys(connection_ids))  # each client once, in order
    if isinstance(client, InProcessClient):  # no network to wait for: one after the other
        futures = [(cid, _Done(client.call, cid, payload)) for cid in ids]
    else:
        futures = [(cid, _shared_pool().submit(client.call, "POST", cid, payload)) for cid in ids]
    result = BroadcastResult()
    for cid, future in futures:
        try:
            future.result()
        except ConnectionGone:
            result.gone.append(cid)
        except Exception as error:  # noqa: BLE001 - reported to the caller per connection
            result.failed[cid] = error
        else:
            result.sent.append(cid)
    return result


class _Done:
    """An in-process send made at once, looking like a future of the pool's."""

    __slots__ = ("_error",)

    def __init__(self, call: Any, connection_id: str, payload: bytes):
        try:
            call("POST", connection_id, payload)
            self._error = None
        except Exception as error:  # noqa: BLE001 - raised by result(), as a future would
            self._error = error

    def result(self) -> None:
        if self._error is not None:
            raise self._error
