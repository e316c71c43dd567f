"""Gateway-shaped Lambda proxy events (section 1 of the spec), built field by field.

Key order follows events captured from real APIs (tests/fixtures/events), which makes a
printed event easy to compare with one from CloudWatch.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable
from urllib.parse import parse_qsl, urlsplit

from . import ids
from .connections import Connection
from .limits import CloseCause

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_NOT_PASSED = {"connection", "upgrade"}  # hop-by-hop: the gateway keeps them to itself


@dataclass(frozen=True)
class Api:
    """The local API's identity, the same on every event."""

    api_id: str
    stage: str
    port: int  # the port clients connect to, for X-Forwarded-Port


def request_time(epoch_ms: int) -> str:
    """Common Log Format in UTC, as the gateway writes it: 11/Nov/2024:11:35:24 +0000."""
    return _request_time(epoch_ms // 1000)


@lru_cache(maxsize=4)  # whole seconds: most events of a second share their text
def _request_time(epoch_s: int) -> str:
    t = _dt.datetime.fromtimestamp(epoch_s, _dt.timezone.utc)
    return f"{t.day:02d}/{_MONTHS[t.month - 1]}/{t.year}:{t:%H:%M:%S} +0000"


def _multi(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Single-value (last one wins) and multi-value maps, keeping the names' case."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


def connect_headers(client_headers: Iterable[tuple[str, str]], source_ip: str,
                    port: int, now_s: float) -> list[tuple[str, str]]:
    """The client's handshake headers without Connection/Upgrade, plus the gateway's own."""
    kept = [(n, v) for n, v in client_headers if n.lower() not in _NOT_PASSED]
    forwarded = [v for n, v in kept if n.lower() == "x-forwarded-for"]
    kept = [(n, v) for n, v in kept
            if n.lower() not in ("x-forwarded-for", "x-forwarded-port", "x-forwarded-proto",
                                 "x-amzn-trace-id")]
    kept += [
        ("X-Amzn-Trace-Id", ids.trace_id(now_s)),
        ("X-Forwarded-For", ", ".join(forwarded + [source_ip])),
        ("X-Forwarded-Port", str(port)),  # the gateway says 443; here, the port in the URL
        ("X-Forwarded-Proto", "http"),  # and the scheme the client really used
    ]
    return kept


def _context(api: Api, connection: Connection, route_key: str, event_type: str,
             request_id: str, now_ms: int, extra_front: dict, extra_mid: dict) -> dict:
    identity = {"sourceIp": connection.source_ip}
    if connection.user_agent is not None:
        identity["userAgent"] = connection.user_agent
    return {
        "routeKey": route_key,
        **({"authorizer": dict(connection.authorizer)} if connection.authorizer else {}),
        **extra_front,
        "eventType": event_type,
        "extendedRequestId": request_id,
        "requestTime": request_time(now_ms),
        "messageDirection": "IN",
        **extra_mid,
        "stage": api.stage,
        "connectedAt": connection.connected_at,
        "requestTimeEpoch": now_ms,
        "identity": identity,
        "requestId": request_id,
        "domainName": connection.domain_name,
        "connectionId": connection.connection_id,
        "apiId": api.api_id,
    }


def connect_event(api: Api, connection: Connection, target: str,
                  headers: list[tuple[str, str]], request_id: str, now_ms: int) -> dict:
    """CONNECT: headers (already with the gateway's, see connect_headers), query if any."""
    single, multi = _multi(headers)
    event: dict = {"headers": single, "multiValueHeaders": multi}
    query = urlsplit(target).query
    if query:
        q_single, q_multi = _multi(parse_qsl(query, keep_blank_values=True))
        event["queryStringParameters"] = q_single
        event["multiValueQueryStringParameters"] = q_multi
    event["requestContext"] = _context(api, connection, "$connect", "CONNECT",
                                       request_id, now_ms, {}, {})
    event["isBase64Encoded"] = False
    return event


def authorizer_event(api: Api, connection: Connection, target: str,
                     headers: list[tuple[str, str]], request_id: str, now_ms: int,
                     method_arn: str) -> dict:
    """The REQUEST authorizer's input for a WebSocket API, as AWS documents it: the handshake's
    headers and query, the stage's variables (wsdeploy sets none) and $connect's context."""
    single, multi = _multi(headers)
    q_single, q_multi = _multi(parse_qsl(urlsplit(target).query, keep_blank_values=True))
    return {
        "type": "REQUEST",
        "methodArn": method_arn,
        "headers": single,
        "multiValueHeaders": multi,
        "queryStringParameters": q_single,
        "multiValueQueryStringParameters": q_multi,
        "stageVariables": {},
        "requestContext": _context(api, connection, "$connect", "CONNECT", request_id, now_ms,
                                   {}, {}),
    }


def connect_method_arn(region: str, account: str, api: Api) -> str:
    """What an authorizer's policy names: this API's stage's $connect."""
    return f"arn:aws:execute-api:{region}:{account}:{api.api_id}/{api.stage}/$connect"


def message_event(api: Api, connection: Connection, route_key: str, body: str,
                  request_id: str, message_id: str, now_ms: int) -> dict:
    """MESSAGE: the text frame as `body`, and the only event with a `messageId`."""
    return {
        "requestContext": _context(api, connection, route_key, "MESSAGE", request_id, now_ms,
                                   {"messageId": message_id}, {}),
        "body": body,
        "isBase64Encoded": False,
    }


def disconnect_event(api: Api, connection: Connection, cause: CloseCause,
                     request_id: str, now_ms: int) -> dict:
    """DISCONNECT: fixed headers, plus the close code and reason."""
    single, multi = _multi([("Host", connection.domain_name), ("x-api-key", ""),
                            ("X-Forwarded-For", ""), ("x-restapi", "")])
    return {
        "headers": single,
        "multiValueHeaders": multi,
        "requestContext": _context(
            api, connection, "$disconnect", "DISCONNECT", request_id, now_ms,
            {"disconnectStatusCode": cause.code}, {"disconnectReason": cause.reason}),
        "isBase64Encoded": False,
    }
