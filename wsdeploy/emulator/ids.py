"""Identifiers in the gateway's own formats, so code that parses or stores them meets real shapes.

Connection, request and message ids are 16 characters: the URL-safe base64 of 11 bytes, ending
in `=` (e.g. "BFHPhfCWIAMCKlQ=", "JC1dgf9yoAMCK-g="): the gateway's ids hold `-` and `_`, never
`+` or `/`. Only the `=` needs percent-encoding in a URL path, which the runtime does.
"""

from __future__ import annotations

import base64
import hashlib
import os
import random
import re
import time
import uuid

GATEWAY_ID = re.compile(r"^[A-Za-z0-9_-]{15}=$")
API_ID = re.compile(r"^[a-z0-9]{10}$")


_random = random.Random(os.urandom(16))  # unique, not secret: no system call per id


def gateway_id() -> str:
    """A fresh connection id, request id or message id."""
    return base64.urlsafe_b64encode(_random.randbytes(11)).decode("ascii")


def request_uuid() -> str:
    """A version-4 UUID, as Lambda's request ids and the API's x-amzn-RequestId are."""
    return str(uuid.UUID(int=_random.getrandbits(128), version=4))


def trace_id(now: float | None = None) -> str:
    """An X-Amzn-Trace-Id header value: Root=1-<epoch seconds, 8 hex>-<24 hex>."""
    seconds = int(time.time() if now is None else now)
    return f"Root=1-{seconds:08x}-{_random.randbytes(12).hex()}"


def api_id_for(name: str) -> str:
    """A stable, API-id-shaped (10 lowercase alphanumerics) id for a local API, from its name."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(alphabet[byte % len(alphabet)] for byte in digest[:10])
