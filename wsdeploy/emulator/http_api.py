"""The HTTP API of `http_app` (issue 17), emulated: a request in, the payload format 2.0 event
API Gateway would send the function; the function's answer back as the HTTP reply the HTTP
API would write. Pure, so every field is unit-tested.

The event follows AWS's "Working with AWS Lambda proxy integrations for HTTP APIs": routeKey
`$default`, rawPath, rawQueryString, `cookies` (the Cookie headers, split), headers lower-cased
with repeated ones comma-joined, queryStringParameters comma-joined, requestContext.http
(method, path, protocol, sourceIp, userAgent), and a body base64-encoded unless it is text.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qsl, unquote, urlsplit

from ..runtime.wsgi import is_text
from .events import Api, request_time
from .http_replies import Reply, message_body

ROUTE_KEY = "$default"
STAGE = "$default"


def http_event(api: Api, method: str, target: str, headers: dict[str, str], body: bytes,
               source_ip: str, request_id: str, now_ms: int) -> dict:
    """The event of one request. `headers`: lower-case names, repeated values comma-joined."""
    parts = urlsplit(target)
    raw_path = parts.path or "/"
    gateway = {"x-forwarded-for": source_ip, "x-forwarded-port": str(api.port),
               "x-forwarded-proto": "http"}
    sent = {k: v for k, v in headers.items() if k != "cookie"}
    sent.update({k: (f"{sent[k]}, {v}" if k == "x-forwarded-for" and k in sent else v)
                 for k, v in gateway.items()})
    sent["content-length"] = str(len(body))
    event: dict = {"version": "2.0", "routeKey": ROUTE_KEY, "rawPath": raw_path,
                   "rawQueryString": parts.query}
    cookies = [c.strip() for raw in headers.get("cookie", "").split(",") for c in raw.split(";")]
    if any(cookies):
        event["cookies"] = [c for c in cookies if c]
    event["headers"] = sent
    if parts.query:
        joined: dict[str, str] = {}
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            joined[key] = f"{joined[key]},{value}" if key in joined else value
        event["queryStringParameters"] = joined
    host = headers.get("host", f"127.0.0.1:{api.port}")
    event["requestContext"] = {
        "accountId": "123456789012", "apiId": api.api_id, "domainName": host,
        "domainPrefix": host.split(".", 1)[0],
        "http": {"method": method, "path": unquote(raw_path), "protocol": "HTTP/1.1",
                 "sourceIp": source_ip, "userAgent": headers.get("user-agent", "")},
        "requestId": request_id, "routeKey": ROUTE_KEY, "stage": STAGE,
        "time": request_time(now_ms), "timeEpoch": now_ms,
    }
    if body:
        text = _as_text(body, headers.get("content-type", ""), headers.get("content-encoding", ""))
        event["body"] = text if text is not None else base64.b64encode(body).decode("ascii")
        event["isBase64Encoded"] = text is None
    else:
        event["isBase64Encoded"] = False
    return event


def _as_text(body: bytes, content_type: str, content_encoding: str) -> str | None:
    if not is_text(content_type, content_encoding):
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def reply_from(result: object) -> Reply:
    """The function's answer as the HTTP API writes it. A dict with statusCode is a response
    (headers, cookies as Set-Cookie, body, isBase64Encoded); anything else is, as AWS reads
    payload 2.0, a JSON body with status 200."""
    if not isinstance(result, dict) or "statusCode" not in result:
        body = result if isinstance(result, str) else json.dumps(result)
        return Reply(200, body.encode(), content_type="application/json")
    try:
        status = int(result["statusCode"])
    except (TypeError, ValueError):
        return internal_error()
    headers = [(str(k), str(v)) for k, v in (result.get("headers") or {}).items()]
    headers += [("Set-Cookie", str(c)) for c in result.get("cookies") or ()]
    body = result.get("body") or ""
    try:
        data = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode("utf-8")
    except ValueError:
        return internal_error()
    content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
    kept = tuple((k, v) for k, v in headers
                 if k.lower() not in ("content-type", "content-length", "connection",
                                      "transfer-encoding", "date"))
    return Reply(status, data, content_type=content_type, headers=kept)


def internal_error() -> Reply:
    """What the HTTP API answers when the function fails or answers what it cannot read."""
    return Reply(500, message_body("Internal Server Error"))


def timed_out() -> Reply:
    """The HTTP API's answer when the integration does not answer in time."""
    return Reply(503, message_body("Service Unavailable"))
