"""A Lambda-like context object, so handlers that read it behave as they will on AWS."""

from __future__ import annotations

import datetime as _dt
import time
import uuid
from dataclasses import dataclass

from .ids import request_uuid


@dataclass(frozen=True)
class Function:
    """What the emulated function is called and how it is sized (from wsdeploy.toml)."""

    name: str
    region: str
    memory_mb: int = 128
    timeout_s: int = 30
    account: str = "000000000000"

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.name}"

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.name}"


class LambdaContext:
    """The attributes and method of the context Lambda's Python runtime passes to handlers."""

    function_version = "$LATEST"
    identity = None
    client_context = None

    def __init__(self, function: Function, log_stream: str):
        self.function_name = function.name
        self.invoked_function_arn = function.arn
        self.memory_limit_in_mb = str(function.memory_mb)  # Lambda passes it as a string
        self.log_group_name = function.log_group
        self.log_stream_name = log_stream
        self.aws_request_id = request_uuid()
        self._deadline = time.monotonic() + function.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))

    def __repr__(self) -> str:
        return f"LambdaContext(function_name={self.function_name!r}, aws_request_id={self.aws_request_id!r})"


def log_stream_name() -> str:
    """A stream name in Lambda's form: 2024/11/11/[$LATEST]<32 hex>."""
    return f"{_dt.datetime.now(_dt.timezone.utc):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
