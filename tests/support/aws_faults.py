"""Faults injected into AWS calls, the ways real AWS fails that moto never does: a call
refused (InternalFailure, throttling, "concurrent modification", a role IAM has not yet
propagated), or done by AWS with its answer lost, as a dropped connection loses it.

Every hook is on one botocore session's events: `before-call` may refuse a call instead of
moto, `before-send` (after moto did the work) may lose the answer through botocore's retry
handler, and `after-call` may break a call that already succeeded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.exceptions as bx
from botocore.awsrequest import AWSResponse

from tests.support.aws_strict import _error


@dataclass
class Faults:
    """Breaks the n-th call (1-based) counted from `arm()`, in one of three modes:

    - "before": AWS refuses it (InternalFailure) before doing anything;
    - "after": AWS did the work, and the answer never arrives, after every retry
      (ReadTimeoutError in after-call, past botocore's retry handler);
    - "lost": AWS did the work, and the answer to the first attempt is lost (ReadTimeoutError
      from `before-send`, run after moto's own `before-send` handler did the call), which
      goes through botocore's retry handler as a real dropped connection does: a client that
      retries sends the request again. A call the strict layer answers itself never reaches
      `before-send`; its answer is lost in after-call, as in "after".
    """

    fail_at: int | None = None
    mode: str = "before"
    count: int = 0
    failed: tuple[str, str] | None = None
    current: tuple[str, str] | None = None
    sends: list[str] = field(default_factory=list)     # operations of every attempt sent

    def attach(self, session: boto3.Session) -> "Faults":
        session.events.register_first("before-call.*.*", self._before)
        session.events.register_last("before-send", self._send)   # after moto answered
        session.events.register("after-call.*.*", self._after)
        return self

    def arm(self, fail_at: int | None, mode: str = "before") -> None:
        self.fail_at, self.mode, self.count, self.failed = fail_at, mode, 0, None
        self.sends.clear()

    def _before(self, model: Any, **_: Any) -> None:
        self.count += 1
        self.current = (model.service_model.service_name, model.name)
        if self.count == self.fail_at and self.mode == "before":
            self.failed = self.current
            raise bx.ClientError({"Error": {"Code": "InternalFailure",
                                            "Message": f"injected failure of {model.name}"}}, model.name)

    def _send(self, event_name: str, **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        self.sends.append(operation)
        if self.count == self.fail_at and self.mode == "lost" and self.failed is None:
            self.failed = self.current
            raise bx.ReadTimeoutError(endpoint_url=f"injected: answer to {operation} lost")

    def _after(self, model: Any, **_: Any) -> None:
        if self.count == self.fail_at and self.mode in ("after", "lost") and self.failed is None:
            self.failed = (model.service_model.service_name, model.name)
            raise bx.ReadTimeoutError(endpoint_url=f"injected: answer to {model.name} lost")



def role_not_assumable_for(session: boto3.Session, times: int) -> list[int]:
    """The first `times` CreateFunction calls fail as they do while IAM propagates a new role."""
    seen = [0]

    def refuse(model: Any, **_: Any) -> tuple[AWSResponse, dict] | None:
        if model.name == "CreateFunction" and seen[0] < times:
            seen[0] += 1
            return _error(model.name, "InvalidParameterValueException",
                          "The role defined for the function cannot be assumed by Lambda.")
        return None

    session.events.register("before-call.lambda.CreateFunction", refuse)
    return seen


CONCURRENT = "Unable to complete operation due to concurrent modification. Please try again later."


def refuse_first(session: boto3.Session, operation: str, times: int, code: str, message: str,
                 status: int = 409) -> list[int]:
    """The first `times` calls of `operation` are refused with code and message, as AWS does
    while something else is in progress; the list holds how many were refused."""
    seen = [0]

    def refuse(model: Any, **_: Any) -> tuple[AWSResponse, dict] | None:
        if seen[0] < times:
            seen[0] += 1
            return _error(model.name, code, message, status)
        return None

    session.events.register_first(f"before-call.*.{operation}", refuse)
    return seen


def refuse_sends(session: boto3.Session, operation: str, times: int, status: int, code: str,
                 message: str) -> list[int]:
    """The first `times` attempts of `operation` (a REST-JSON service's: API Gateway, Lambda)
    are answered with an HTTP error at `before-send`, instead of reaching moto: what botocore
    would retry on its own goes through its retry handler. The list holds how many were."""
    from moto.core.models import botocore_stubber
    seen, paused = [0], []

    def refuse(request: Any, event_name: str, **_: Any) -> AWSResponse | None:
        if seen[0] >= times or not event_name.endswith(f".{operation}"):
            return None
        seen[0] += 1
        if botocore_stubber.enabled:      # every before-send handler runs: moto must skip this one
            botocore_stubber.enabled = False
            paused.append(True)
        body = json.dumps({"message": message}).encode()
        return AWSResponse(request.url, status, {"x-amzn-ErrorType": code}, _RawBody(body))

    def resume(**_: Any) -> None:
        if paused:
            paused.clear()
            botocore_stubber.enabled = True

    # on "before-send" itself, moto's node: a more specific event's handlers would run after it
    session.events.register_first("before-send", refuse)
    session.events.register_last("before-send", resume)
    return seen


class _RawBody:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any):
        yield self._body

    def read(self, *_: Any) -> bytes:
        body, self._body = self._body, b""
        return body
