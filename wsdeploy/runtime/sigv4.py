"""AWS Signature Version 4 for the @connections API, on the standard library.

Signing here instead of building a boto3 client keeps the first send of a cold container
cheap (see bench/bench_runtime.py). Credentials come from the environment, which is where
Lambda puts them; anywhere else we defer to botocore's full provider chain.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import os
import re
import _thread  # threading's lock without the import cost of threading itself
from urllib.parse import quote, urlsplit

SERVICE = "execute-api"
_REGION_IN_HOST = re.compile(r"\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$")


class Credentials:
    """Access key, secret and optional session token (a plain class: typing costs the cold start)."""

    __slots__ = ("access_key", "secret_key", "token")

    def __init__(self, access_key: str, secret_key: str, token: str | None = None):
        self.access_key, self.secret_key, self.token = access_key, secret_key, token


_botocore_credentials = None
_botocore_lock = _thread.allocate_lock()


def current_credentials() -> Credentials:
    """Environment credentials first (as botocore orders them), else botocore's chain."""
    access_key = os.environ.get("AWS_ACCESS_KEY_ID")
    secret_key = os.environ.get("AWS_SECRET_ACCESS_KEY")
    if access_key and secret_key:
        return Credentials(access_key, secret_key, os.environ.get("AWS_SESSION_TOKEN") or None)
    return _credentials_from_botocore()


def _credentials_from_botocore() -> Credentials:
    """botocore's provider chain, resolved once; a failed lookup is retried on the next call."""
    global _botocore_credentials
    with _botocore_lock:
        if _botocore_credentials is None:
            try:
                import botocore.session  # lazy: profiles, SSO, IMDS, containers
            except ImportError:  # pragma: no cover - Lambda always has botocore
                found = None
            else:
                found = botocore.session.get_session().get_credentials()
            _botocore_credentials = found
        credentials = _botocore_credentials
    if credentials is None:
        from .errors import WebSocketError

        raise WebSocketError(
            "no AWS credentials found to sign the @connections request: set AWS_ACCESS_KEY_ID "
            "and AWS_SECRET_ACCESS_KEY, or configure a profile"
        )
    frozen = credentials.get_frozen_credentials()  # refreshes when near expiry
    return Credentials(frozen.access_key, frozen.secret_key, frozen.token)


def region_for(endpoint: str) -> str:
    """The region to sign for: the one in the execute-api host, else the configured one."""
    match = _REGION_IN_HOST.search(urlsplit(endpoint).hostname or "")
    if match:
        return match.group(1)
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def host_header(url: str) -> str:
    """The Host header botocore would send: no default port, IPv6 in brackets."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    default_port = {"https": 443, "http": 80}.get(parts.scheme)
    if parts.port is None or parts.port == default_port:
        return host
    return f"{host}:{parts.port}"


def sign(
    method: str,
    url: str,
    body: bytes,
    credentials: Credentials,
    region: str,
    now: _dt.datetime | None = None,
    service: str = SERVICE,
) -> dict[str, str]:
    """The headers (Host, X-Amz-Date, Authorization, token) that sign one request to
    `service` (execute-api by default; ssm and secretsmanager for secrets.py)."""
    now = now or _dt.datetime.now(_dt.timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    datestamp = amz_date[:8]
    headers = {"host": host_header(url), "x-amz-date": amz_date}
    if credentials.token:
        headers["x-amz-security-token"] = credentials.token
    signed_names = ";".join(sorted(headers))
    canonical_request = "\n".join([
        method,
        quote(urlsplit(url).path or "/", safe="/~"),  # execute-api double-encodes the path
        "",
        "".join(f"{name}:{headers[name].strip()}\n" for name in sorted(headers)),
        signed_names,
        hashlib.sha256(body).hexdigest(),
    ])
    scope = f"{datestamp}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join([
        "AWS4-HMAC-SHA256", amz_date, scope,
        hashlib.sha256(canonical_request.encode("utf-8")).hexdigest(),
    ])
    key = _hmac(("AWS4" + credentials.secret_key).encode("utf-8"), datestamp)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={credentials.access_key}/{scope}, "
        f"SignedHeaders={signed_names}, Signature={signature}"
    )
    return headers
