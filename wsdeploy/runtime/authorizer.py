"""Who may connect: the `$connect` REQUEST authorizer's pieces, kept apart from the routes.

API Gateway calls the same function as a Lambda REQUEST authorizer before `$connect` (only
`$connect` can be guarded on a WebSocket API). The authorizer answers with `allow(...)` or
`deny(...)`, which hold no policy yet: the entry point completes them with the event's
`methodArn`, so the user's code never has to copy it. Standard library only, as the runtime.
"""

from __future__ import annotations

from .errors import HandlerConfigurationError, WebSocketError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Iterable

MAX_CACHE_SECONDS = 3600  # API Gateway's upper bound for an authorizer's result TTL
DEFAULT_CACHE_SECONDS = 300
# Where an identity value may come from on a WebSocket API, as API Gateway spells it.
IDENTITY_PREFIXES = (
    "route.request.header.",
    "route.request.querystring.",
    "stageVariables.",
    "context.",
)
_NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


class Unauthorized(WebSocketError):
    """Raise in the authorizer to refuse the handshake with 401 (no credentials, bad token)."""

    def __init__(self, message: str = "Unauthorized"):
        super().__init__(message)


class Verdict:
    """What `allow`/`deny` return: turned into the gateway's policy document by the entry point."""

    __slots__ = ("principal_id", "effect", "context")

    def __init__(self, principal_id: str, effect: str, context: dict | None):
        if not isinstance(principal_id, str) or not principal_id:
            raise TypeError(
                f"{effect.lower()}() needs the principal id as a non-empty string (the user's id), "
                f"got {principal_id!r}"
            )
        self.principal_id = principal_id
        self.effect = effect
        self.context = check_context(context)

    def document(self, method_arn: str) -> dict:
        """The answer API Gateway expects from a REQUEST authorizer, on the event's methodArn."""
        answer = {
            "principalId": self.principal_id,
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Action": "execute-api:Invoke",
                    "Effect": self.effect,
                    "Resource": method_arn,
                }],
            },
        }
        if self.context:
            answer["context"] = dict(self.context)
        return answer

    def __repr__(self) -> str:
        return f"Verdict({self.effect}, {self.principal_id!r}, context={self.context!r})"


def check_context(context: Any) -> dict:
    """The authorizer's context as the gateway passes it on: flat, of strings, numbers, booleans."""
    if context is None:
        return {}
    if not isinstance(context, dict):
        raise TypeError(f"the authorizer's context must be a dict, not {type(context).__name__}")
    for key, value in context.items():
        if not isinstance(key, str):
            raise TypeError(f"the authorizer's context key {key!r} must be a string")
        if not isinstance(value, (str, int, float, bool)):
            raise TypeError(
                f"the authorizer's context value for {key!r} is a {type(value).__name__}; API "
                "Gateway passes on only strings, numbers and booleans (encode it as a string)"
            )
    return dict(context)


def allow(principal_id: str, context: dict | None = None) -> Verdict:
    """Let the client connect; `principal_id` and `context` reach every event of its connection."""
    return Verdict(principal_id, "Allow", context)


def deny(principal_id: str, context: dict | None = None) -> Verdict:
    """Refuse the handshake with 403 (known client, not allowed in)."""
    return Verdict(principal_id, "Deny", context)


class AuthorizerSpec:
    """The registered authorizer: its function, identity sources and result TTL."""

    __slots__ = ("handler", "identity", "cache_seconds", "name", "owner")

    def __init__(self, handler: Callable, identity: tuple[str, ...], cache_seconds: int,
                 name: str, owner: type | None = None):
        self.handler, self.identity, self.cache_seconds = handler, identity, cache_seconds
        self.name, self.owner = name, owner

    def describe(self) -> dict:
        return {"identity": list(self.identity), "cache_seconds": self.cache_seconds,
                "handler": self.name}

    def __repr__(self) -> str:
        return f"AuthorizerSpec({self.name}, identity={self.identity}, cache={self.cache_seconds})"


def check_identity(identity: Iterable[str] | str | None) -> tuple[str, ...]:
    """The identity sources, checked as API Gateway checks them for a WebSocket API."""
    if identity is None:
        return ()
    if isinstance(identity, str):
        identity = [identity]
    sources = []
    for source in identity:
        prefix = next((p for p in IDENTITY_PREFIXES if isinstance(source, str)
                       and source.startswith(p)), None)
        name = source[len(prefix):] if prefix else ""
        if prefix is None or not name or not set(name) <= _NAME_CHARACTERS:
            raise HandlerConfigurationError(
                f"on_authorize identity source {source!r} is not one API Gateway takes for a "
                "WebSocket API: use route.request.header.NAME, route.request.querystring.NAME, "
                "stageVariables.NAME or context.NAME (NAME of letters, digits, '.', '_', '-')"
            )
        if source not in sources:
            sources.append(source)
    return tuple(sources)


def check_cache_seconds(cache_seconds: Any) -> int:
    if type(cache_seconds) is not int or not 0 <= cache_seconds <= MAX_CACHE_SECONDS:
        raise HandlerConfigurationError(
            f"on_authorize cache_seconds must be a whole number from 0 to {MAX_CACHE_SECONDS}, "
            f"got {cache_seconds!r}"
        )
    return cache_seconds


def authorize(spec: AuthorizerSpec | None, event: dict, context: Any) -> dict:
    """Run the authorizer and answer as API Gateway expects; Unauthorized becomes its 401."""
    if spec is None:
        raise HandlerConfigurationError(
            "this function was called as a REQUEST authorizer, but the app registers none: "
            "decorate a function with @on_authorize (from wsdeploy.websocket)"
        )
    try:
        result = spec.handler(event, context)
    except Unauthorized:
        raise Exception("Unauthorized") from None  # the exact text API Gateway turns into 401
    if isinstance(result, Verdict):
        return result.document(event["methodArn"])
    if isinstance(result, dict) and "principalId" in result and "policyDocument" in result:
        return result  # a policy the app built itself
    raise TypeError(
        f"the authorizer {spec.name} returned {type(result).__name__}; return allow(principal_id) "
        "or deny(principal_id), or raise Unauthorized"
    )
