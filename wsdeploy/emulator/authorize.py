"""Who may connect, as the gateway decides before `$connect` (issue 11): pure functions of data.

With a Lambda REQUEST authorizer: a handshake missing an identity source gets 401 without the
function running; the function's `Unauthorized` is 401, a Deny 403, an error or an answer the
gateway cannot read 500; an Allow lets `$connect` run, with `principalId`, the context and the
authorizer's latency in every later event's `requestContext.authorizer`. Answers are kept per
identity value for the decorator's `cache_seconds` (the deployed WebSocket API does not cache:
API Gateway takes a result TTL for HTTP APIs only; README, "Who may connect").

With `auth = "iam"`: a handshake with no SigV4 signature (an `Authorization: AWS4-HMAC-SHA256
...` header, or an `X-Amz-Signature` query parameter) gets 403; the signature is not checked.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .decisions import Outcome

UNAUTHORIZED = "Exception: Unauthorized"   # how the runtime's `raise Exception("Unauthorized")` reads
SIGV4 = "AWS4-HMAC-SHA256"


@dataclass(frozen=True)
class AuthorizerVerdict:
    """How the authorizer step ends: `status` 200 lets `$connect` run; any other refuses."""

    status: int
    detail: str                       # for the event line: the verdict and the principal
    principal: str | None = None
    context: dict = field(default_factory=dict)
    cacheable: bool = False           # an Allow or a Deny the function returned

    @property
    def allowed(self) -> bool:
        return self.status == 200


def identity_values(identity: tuple[str, ...], event: dict) -> tuple[str, ...] | None:
    """The value of each identity source in the authorizer's event; None when one is missing
    or empty (the gateway then answers 401 without calling the function)."""
    values = []
    for source in identity:
        value = _source_value(source, event)
        if not value:
            return None
        values.append(value)
    return tuple(values)


def missing_source(identity: tuple[str, ...], event: dict) -> str:
    return next((s for s in identity if not _source_value(s, event)), "")


def _source_value(source: str, event: dict) -> str | None:
    if source.startswith("route.request.header."):
        name = source.removeprefix("route.request.header.").lower()
        return next((v for k, v in (event.get("headers") or {}).items() if k.lower() == name), None)
    if source.startswith("route.request.querystring."):
        return (event.get("queryStringParameters") or {}).get(source.removeprefix("route.request.querystring."))
    if source.startswith("stageVariables."):
        return (event.get("stageVariables") or {}).get(source.removeprefix("stageVariables."))
    if source.startswith("context."):
        value = event.get("requestContext", {}).get(source.removeprefix("context."))
        return None if value is None else str(value)
    return None


def missing_identity(source: str) -> AuthorizerVerdict:
    return AuthorizerVerdict(401, f"unauthorized: no {source} (the authorizer was not called)")


def authorizer_verdict(outcome: Outcome, method_arn: str) -> AuthorizerVerdict:
    """What the gateway makes of the authorizer's outcome."""
    if outcome.abandoned:
        return AuthorizerVerdict(503, outcome.error or "stopped")
    if outcome.error:
        if outcome.error.strip().splitlines()[-1] == UNAUTHORIZED:
            return AuthorizerVerdict(401, "unauthorized (the authorizer raised Unauthorized)")
        return AuthorizerVerdict(500, f"authorizer failed: {outcome.error.strip().splitlines()[-1]}")
    return _read_policy(outcome.result, method_arn)


def _read_policy(answer: Any, method_arn: str) -> AuthorizerVerdict:
    principal = answer.get("principalId") if isinstance(answer, dict) else None
    policy = answer.get("policyDocument") if isinstance(answer, dict) else None
    statements = policy.get("Statement") if isinstance(policy, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    context = answer.get("context") or {} if isinstance(answer, dict) else {}
    if (not isinstance(principal, str) or not isinstance(statements, list)
            or not all(isinstance(s, dict) for s in statements) or not isinstance(context, dict)
            or not all(isinstance(v, (str, int, float, bool)) for v in context.values())):
        return AuthorizerVerdict(500, "authorizer answered something the gateway cannot read: "
                                      "return allow(...) or deny(...)")
    effects = {s.get("Effect") for s in statements if _covers(s, method_arn)}
    if "Allow" in effects and "Deny" not in effects:
        return AuthorizerVerdict(200, f"allow {principal}", principal, dict(context), cacheable=True)
    return AuthorizerVerdict(403, f"deny {principal}", principal, dict(context), cacheable=True)


def _covers(statement: dict, method_arn: str) -> bool:
    actions = statement.get("Action")
    resources = statement.get("Resource")
    actions = [actions] if isinstance(actions, str) else actions or []
    resources = [resources] if isinstance(resources, str) else resources or []
    return (any(a in ("execute-api:Invoke", "execute-api:*", "*") for a in actions)
            and any(_arn_matches(r, method_arn) for r in resources))


def _arn_matches(pattern: str, arn: str) -> bool:
    from fnmatch import fnmatchcase
    return fnmatchcase(arn, pattern.replace("?", "[?]"))


def request_context_authorizer(verdict: AuthorizerVerdict, latency_ms: float) -> dict:
    """`requestContext.authorizer` of `$connect` and of every later event of the connection."""
    return {**verdict.context, "principalId": verdict.principal,
            "integrationLatency": int(latency_ms)}


class AnswerCache:
    """The authorizer's verdicts per identity value, each kept `seconds` (0: none kept)."""

    def __init__(self, clock=time.monotonic) -> None:
        self._clock = clock
        self._kept: dict[tuple, tuple[float, AuthorizerVerdict, float]] = {}

    def get(self, key: tuple) -> tuple[AuthorizerVerdict, float] | None:
        found = self._kept.get(key)
        if found is None:
            return None
        expires, verdict, latency = found
        if self._clock() >= expires:
            del self._kept[key]
            return None
        return verdict, latency

    def put(self, key: tuple, verdict: AuthorizerVerdict, latency: float, seconds: int) -> None:
        if seconds > 0 and verdict.cacheable:
            self._kept[key] = (self._clock() + seconds, verdict, latency)

    def clear(self) -> None:
        self._kept.clear()


def sigv4_signed(headers: list[tuple[str, str]], query: dict[str, list[str]]) -> bool:
    """Whether the handshake carries a SigV4 signature (header or presigned query)."""
    authorization = next((v for n, v in headers if n.lower() == "authorization"), "")
    return authorization.startswith(SIGV4) or bool(query.get("X-Amz-Signature"))


def unsigned() -> AuthorizerVerdict:
    return AuthorizerVerdict(403, 'auth = "iam": the handshake is not signed with SigV4 '
                                  "(an Authorization header or a presigned URL)")
