"""A WSGI adapter of our own: an API Gateway HTTP API event (payload format 2.0) in, the
proxy response out. Standard library only, so a Flask or Django app needs nothing added.

PEP 3333 holds for the app: PATH_INFO decoded, headers as HTTP_*, the body in wsgi.input.
The response is read whole (API Gateway has no streaming for HTTP APIs) and closed."""

from __future__ import annotations

import base64
import io
import sys
from typing import Any, Callable, Iterable
from urllib.parse import unquote_to_bytes

# Content types whose bytes go back as text; everything else is base64 (isBase64Encoded).
TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/xml",
              "application/x-www-form-urlencoded", "image/svg+xml")
TEXT_SUFFIXES = ("+json", "+xml")


def request_body(event: dict) -> bytes:
    """The request's bytes: API Gateway base64-encodes bodies it does not take for text."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return base64.b64decode(body)
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


def split_stage(raw_path: str, stage: str) -> tuple[str, str]:
    """(SCRIPT_NAME, path): a named stage's prefix ("/dev/x" at stage "dev") is the script's
    name, as the app sits under it; the `$default` stage has none."""
    if stage and stage != "$default":
        prefix = "/" + stage
        if raw_path == prefix or raw_path.startswith(prefix + "/"):
            return prefix, raw_path[len(prefix):]
    return "", raw_path


def _latin1(text: str) -> str:
    """A URL path as PEP 3333 wants it: percent-decoded bytes read as latin-1."""
    return unquote_to_bytes(text).decode("latin-1")


def environ_for(event: dict, context: Any) -> dict:
    """The WSGI environ of one payload-2.0 event."""
    http = event["requestContext"]["http"]
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    script, path = split_stage(event.get("rawPath") or http.get("path") or "/",
                               event["requestContext"].get("stage", "$default"))
    body = request_body(event)
    host = headers.get("host") or event["requestContext"].get("domainName") or "localhost"
    name, _, port = host.partition(":")
    scheme = headers.get("x-forwarded-proto", "https")
    environ = {
        "REQUEST_METHOD": http.get("method", "GET").upper(),
        "SCRIPT_NAME": script,
        "PATH_INFO": _latin1(path) if path else ("" if script else "/"),
        "QUERY_STRING": event.get("rawQueryString") or "",
        "SERVER_NAME": name,
        "SERVER_PORT": port or headers.get("x-forwarded-port") or ("443" if scheme == "https" else "80"),
        "SERVER_PROTOCOL": http.get("protocol") or "HTTP/1.1",
        "REMOTE_ADDR": http.get("sourceIp") or "",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "aws.event": event,
        "aws.context": context,
    }
    for key, value in headers.items():
        if key == "content-type":
            environ["CONTENT_TYPE"] = value
        elif key != "content-length":
            environ["HTTP_" + key.upper().replace("-", "_")] = value
    cookies = event.get("cookies")
    if cookies:
        environ["HTTP_COOKIE"] = "; ".join(cookies)
    return environ


def is_text(content_type: str, content_encoding: str) -> bool:
    if content_encoding and content_encoding.lower() != "identity":
        return False  # gzip'd text is bytes
    kind = content_type.split(";")[0].strip().lower()
    return (not kind or kind.startswith(TEXT_TYPES) or kind.endswith(TEXT_SUFFIXES))


def proxy_response(status: str, headers: list[tuple[str, str]], body: bytes) -> dict:
    """The payload-2.0 response: repeated headers comma-joined, Set-Cookie as `cookies`,
    binary bodies base64-encoded."""
    joined: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in headers:
        key = name.lower()
        if key == "set-cookie":
            cookies.append(value)
        else:
            joined[key] = f"{joined[key]},{value}" if key in joined else value
    response: dict[str, Any] = {"statusCode": int(status.split(" ", 1)[0]), "headers": joined}
    if cookies:
        response["cookies"] = cookies
    text = None
    if is_text(joined.get("content-type", ""), joined.get("content-encoding", "")):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text = None
    if text is not None:
        response["body"], response["isBase64Encoded"] = text, False
    else:
        response["body"] = base64.b64encode(body).decode("ascii")
        response["isBase64Encoded"] = True
    return response


def call_wsgi(app: Callable, event: dict, context: Any) -> dict:
    """Run the app on one event and read its whole answer (iterables too), closing it."""
    started: list = []
    written: list[bytes] = []

    def start_response(status: str, headers: list, exc_info: Any = None) -> Callable:
        if exc_info and started:
            raise exc_info[1].with_traceback(exc_info[2])
        started[:] = [status, list(headers)]
        return written.append

    result: Iterable[bytes] = app(environ_for(event, context), start_response)
    try:
        for chunk in result:
            if chunk:
                written.append(bytes(chunk))
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    if not started:
        raise RuntimeError("the WSGI app returned without calling start_response")
    return proxy_response(started[0], started[1], b"".join(written))
