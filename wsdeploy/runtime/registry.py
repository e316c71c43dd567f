"""Handler registration: decorators and the `WebSocketServer` base class fill one registry.

The registry is plain data so that deploy tooling can import a handler module, read which
routes exist and which reply, and validate them before anything touches AWS.
"""

from __future__ import annotations

import _thread  # threading's lock without the import cost of threading itself

from .errors import HandlerConfigurationError

TYPE_CHECKING = False  # typing costs a cold start milliseconds; annotations are strings here
if TYPE_CHECKING:
    from typing import Any, Callable

    from .authorizer import AuthorizerSpec

    Handler = Callable[[dict, Any], Any]

CONNECT = "$connect"
DISCONNECT = "$disconnect"
DEFAULT = "$default"
MAX_ROUTES = 300  # the gateway's quota per API

# Lifecycle route key -> its decorator, which is also the WebSocketServer method's name.
LIFECYCLE = {
    CONNECT: "on_connect",
    DISCONNECT: "on_disconnect",
    DEFAULT: "on_message",
}
REQUIRED = (CONNECT, DEFAULT)

class Route:
    """One registered route: its key, whether its result is sent back, and who handles it.

    `name` says where the handler is defined ("app.handle_message"), for messages; `owner` is
    the WebSocketServer subclass of a class-based route.
    """

    __slots__ = ("key", "reply", "handler", "name", "owner")

    def __init__(self, key: str, reply: bool, handler: Handler, name: str,
                 owner: type | None = None):
        self.key, self.reply, self.handler, self.name, self.owner = key, reply, handler, name, owner

    def __repr__(self) -> str:
        return f"Route({self.key!r}, reply={self.reply}, handler={self.name})"


def _qualified_name(func: Callable) -> str:
    return f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', repr(func))}"


def _defined_in_class_body(func: Callable) -> bool:
    """True for a function written inside a class body (its qualname is `Class.method`)."""
    parts = getattr(func, "__qualname__", "").split(".")
    return len(parts) > 1 and parts[-2] != "<locals>"


class _MethodHandler:
    """Calls a method on the lazily created singleton of a WebSocketServer subclass."""

    def __init__(self, cls: type[WebSocketServer], method_name: str):
        self.cls = cls
        self.method_name = method_name

    def __call__(self, event: dict, context: Any) -> Any:
        return getattr(self.cls.instance(), self.method_name)(event, context)

    def __repr__(self) -> str:
        return f"<{self.cls.__qualname__}.{self.method_name}>"


class Registry:
    """Every route of the app, keyed by route key."""

    def __init__(self) -> None:
        self._routes: dict[str, Route] = {}
        self._servers: list[type[WebSocketServer]] = []
        self._pending: dict[str, str] = {}  # class-body decorations not yet claimed by a class
        self._lock = _thread.allocate_lock()
        self._resolved: dict[str, Route] | None = None  # routes(), cached until the next change
        self.authorizer: AuthorizerSpec | None = None  # @on_authorize's, for $connect

    # -- filling it -------------------------------------------------------------------
    def add(self, route: Route) -> None:
        with self._lock:
            existing = self._routes.get(route.key)
            if existing is not None and existing.handler is not route.handler:
                raise HandlerConfigurationError(
                    f"route {route.key!r} is registered twice: by {existing.name} and by "
                    f"{route.name}; keep one of them"
                )
            self._routes[route.key] = route
            self._resolved = None

    def set_authorizer(self, spec: AuthorizerSpec) -> None:
        """Register the one authorizer; a second, different one is a mistake."""
        with self._lock:
            existing = self.authorizer
            if (existing is not None and existing.handler is not spec.handler
                    and not (existing.owner and spec.owner and issubclass(spec.owner, existing.owner))):
                raise HandlerConfigurationError(
                    f"two authorizers are registered: {existing.name} and {spec.name}; an API "
                    "has one $connect authorizer, keep one of them"
                )
            self.authorizer = spec

    def mark_method(self, func: Callable, key: str) -> None:
        """Remember a decorator used in a class body; the class claims it when defined."""
        self._pending[_qualified_name(func)] = key

    def add_server(self, cls: type[WebSocketServer]) -> None:
        """Register a WebSocketServer subclass; a subclass of a registered class replaces it."""
        routes, claimed = _class_routes(cls)
        with self._lock:
            replaced = [old for old in self._servers if issubclass(cls, old)]
            for old in replaced:
                self._servers.remove(old)
                self._routes = {k: r for k, r in self._routes.items() if r.owner is not old}
            self._servers.append(cls)
            self._resolved = None
            for name in claimed:
                self._pending.pop(name, None)
        authorizer = _class_authorizer(cls)
        for klass in cls.__mro__:   # its @on_authorize methods are claimed, as its routes are
            for value in vars(klass).values():
                func = getattr(value, "__func__", value)
                if getattr(func, _AUTHORIZER_MARK, None) is not None:
                    self._pending.pop(_qualified_name(func), None)
        if authorizer is not None:
            self.set_authorizer(authorizer)
        for attr_name, key, reply in routes:
            self.add(
                Route(key, reply, _MethodHandler(cls, attr_name),
                      f"{cls.__module__}.{cls.__qualname__}.{attr_name}", owner=cls)
            )

    def clear(self) -> None:
        """Forget everything (the emulator reloads the app this way)."""
        with self._lock:
            self._routes.clear()
            self._servers.clear()
            self._pending.clear()
            self._resolved = None
            self.authorizer = None

    # -- reading it -------------------------------------------------------------------
    def routes(self) -> dict[str, Route]:
        """All routes, with a server class's default methods filling unclaimed lifecycle keys."""
        resolved = self._resolved
        if resolved is not None:
            return resolved
        routes = dict(self._routes)
        if self._servers:
            server = self._servers[-1]
            for key, method_name in LIFECYCLE.items():
                if key not in routes:
                    routes[key] = Route(key, False, _MethodHandler(server, method_name),
                                        f"{server.__module__}.{server.__qualname__}.{method_name}",
                                        owner=server)
        self._resolved = routes
        return routes

    def problems(self) -> list[str]:
        """What is wrong with the registration, as sentences; empty when it is deployable."""
        routes = self.routes()
        found = []
        if routes:
            missing = [f"@{LIFECYCLE[key]} ({key})" for key in REQUIRED if key not in routes]
            if missing:
                found.append(
                    "missing " + " and ".join(missing)
                    + ": a WebSocket app needs both, as decorated functions or as methods of a "
                    "WebSocketServer subclass"
                )
        if len(routes) > MAX_ROUTES:
            found.append(f"{len(routes)} routes registered; API Gateway allows at most {MAX_ROUTES}")
        for name, key in sorted(self._pending.items()):
            found.append(
                f"{name} is decorated "
                + ("with @on_authorize" if key == "@on_authorize" else f"for route {key!r}")
                + " inside a class that does not subclass "
                "WebSocketServer; subclass it, or move the function to module level"
            )
        return found

    def validate(self) -> None:
        found = self.problems()
        if found:
            raise HandlerConfigurationError("; ".join(found))

    def describe(self) -> dict:
        """A JSON-ready summary for deploy tooling: the routes, and what is wrong."""
        described = {
            "routes": [
                {"key": r.key, "reply": r.reply, "handler": r.name}
                for r in sorted(self.routes().values(), key=lambda r: r.key)
            ],
            "problems": self.problems(),
        }
        if self.authorizer is not None:  # only then: apps without one describe as before
            described["authorizer"] = self.authorizer.describe()
        return described

    def resolve(self, event_type: str, route_key: str) -> Route | None:
        """The route for an event: its own key, or `$default` for an unknown message key."""
        routes = self.routes()
        if event_type == "CONNECT":
            return routes.get(CONNECT)
        if event_type == "DISCONNECT":
            return routes.get(DISCONNECT)
        return routes.get(route_key) or routes.get(DEFAULT)


REGISTRY = Registry()


# -- decorators ---------------------------------------------------------------------------
def _check_custom_key(key: Any) -> str:
    if not isinstance(key, str) or not key:
        raise HandlerConfigurationError(f"on_route needs a route key string such as 'join', got {key!r}")
    if key.startswith("$"):
        raise HandlerConfigurationError(
            f"custom route key {key!r} starts with '$', which API Gateway reserves; "
            "use @on_connect, @on_disconnect or @on_message for the built-in routes"
        )
    return key


def _register(func: Callable, key: str, reply: bool) -> Callable:
    if not callable(func):
        raise HandlerConfigurationError(f"a handler for {key!r} must be a function, got {func!r}")
    if _defined_in_class_body(func):
        func.__wsdeploy_route__ = (key, reply)  # claimed by WebSocketServer.__init_subclass__
        REGISTRY.mark_method(func, key)
    else:
        REGISTRY.add(Route(key, reply, func, _qualified_name(func)))
    return func


def _route_decorator(key: str, func: Callable | None, reply: bool, allow_reply: bool):
    if reply and not allow_reply:
        raise HandlerConfigurationError(
            f"{key} cannot reply: API Gateway sends no route response on {key}"
        )
    if func is None:
        return lambda f: _register(f, key, reply)
    return _register(func, key, reply)


def on_connect(func: Callable | None = None, *, reply: bool = False):
    """Handle `$connect`. A 2xx statusCode accepts the connection; any other rejects it."""
    return _route_decorator(CONNECT, func, reply, allow_reply=False)


def on_disconnect(func: Callable | None = None, *, reply: bool = False):
    """Handle `$disconnect` (best effort: the gateway may deliver it late, or not at all)."""
    return _route_decorator(DISCONNECT, func, reply, allow_reply=False)


def on_message(func: Callable | None = None, *, reply: bool = False):
    """Handle `$default`: every message no custom route matches. `reply=True` sends the result back."""
    return _route_decorator(DEFAULT, func, reply, allow_reply=True)


def on_route(key: str, *, reply: bool = False):
    """Handle the custom route `key`, matched against the API's route selection expression."""
    if callable(key):
        raise HandlerConfigurationError(
            f"on_route needs the route key: write @on_route('join'), not @on_route "
            f"(on {_qualified_name(key)})"
        )
    return lambda func: _register(func, _check_custom_key(key), reply)


# -- the base class -----------------------------------------------------------------------
def _class_routes(cls: type) -> tuple[list[tuple[str, str, bool]], list[str]]:
    """(attribute, route key, reply) for each route `cls` handles, and the marked functions it
    claims. Marks come from every class of the MRO (mixins too); an attribute a subclass
    overrides loses its parent's mark unless decorated again."""
    found: dict[str, tuple[str, str, bool]] = {}
    claimed: list[str] = []
    seen: set[str] = set()
    for klass in cls.__mro__:
        if klass in (WebSocketServer, object):
            continue
        for attr_name, value in vars(klass).items():
            func = getattr(value, "__func__", value)  # staticmethod, classmethod
            mark = getattr(func, "__wsdeploy_route__", None)
            if mark is None:
                continue
            claimed.append(_qualified_name(func))
            if attr_name in seen:
                continue  # overridden further down the MRO
            key, reply = mark
            if key in found:
                raise HandlerConfigurationError(
                    f"route {key!r} is registered twice in {cls.__qualname__}: by "
                    f"{found[key][0]} and by {attr_name}; keep one of them"
                )
            found[key] = (attr_name, key, reply)
        seen.update(vars(klass))
    for key, method_name in LIFECYCLE.items():
        if key not in found and getattr(cls, method_name) is not getattr(WebSocketServer, method_name):
            found[key] = (method_name, key, False)
    return list(found.values()), claimed


class WebSocketServer:
    """Subclass and override `on_connect`, `on_disconnect`, `on_message`; decorate other
    methods with `@on_route("key")`. Defining the class registers it. One instance is created
    on first use and kept for the life of the Lambda container, so instance state persists.
    """

    _instance_lock = _thread.RLock()  # re-entrant: one server's __init__ may use another's instance

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        REGISTRY.add_server(cls)

    @classmethod
    def instance(cls) -> WebSocketServer:
        """The container-wide singleton, created on first use."""
        existing = cls.__dict__.get("_wsdeploy_instance")
        if existing is not None:
            return existing
        with WebSocketServer._instance_lock:
            if cls.__dict__.get("_wsdeploy_instance") is None:
                cls._wsdeploy_instance = cls()
            return cls.__dict__["_wsdeploy_instance"]

    def on_connect(self, event: dict, context: Any) -> Any:
        return {"statusCode": 200}

    def on_disconnect(self, event: dict, context: Any) -> Any:
        return {"statusCode": 200}

    def on_message(self, event: dict, context: Any) -> Any:
        return {"statusCode": 200}


# -- the $connect authorizer --------------------------------------------------------------
_AUTHORIZER_MARK = "__wsdeploy_authorizer__"


def _register_authorizer(func: Callable, identity: tuple[str, ...], cache_seconds: int) -> Callable:
    from .authorizer import AuthorizerSpec

    if not callable(func):
        raise HandlerConfigurationError(f"on_authorize decorates a function, got {func!r}")
    if _defined_in_class_body(func):
        setattr(func, _AUTHORIZER_MARK, (identity, cache_seconds))  # the class claims it
        REGISTRY.mark_method(func, "@on_authorize")
    else:
        REGISTRY.set_authorizer(AuthorizerSpec(func, identity, cache_seconds, _qualified_name(func)))
    return func


def on_authorize(func: Callable | None = None, *, identity: Any = None, cache_seconds: int = 300):
    """Guard `$connect` with this function as API Gateway's Lambda REQUEST authorizer.

    `identity`: where the credential is (route.request.querystring.token, ...); a handshake
    without one gets 401 before the function runs. Bare `@on_authorize` names none: the
    function runs for every handshake. Return `allow(...)`/`deny(...)`, or raise Unauthorized.
    """
    from .authorizer import check_cache_seconds, check_identity  # only apps with one load it

    sources = check_identity(identity)
    ttl = check_cache_seconds(cache_seconds)
    if func is None:
        return lambda f: _register_authorizer(f, sources, ttl)
    return _register_authorizer(func, sources, ttl)


def _class_authorizer(cls: type) -> AuthorizerSpec | None:
    """A WebSocketServer subclass's authorizer: a method decorated with @on_authorize, or one
    named `on_authorize` (no identity sources then)."""
    mark_found = any(getattr(getattr(v, "__func__", v), _AUTHORIZER_MARK, None) is not None
                     for klass in cls.__mro__ for v in vars(klass).values())
    if not mark_found and not callable(getattr(cls, "on_authorize", None)):
        return None
    from .authorizer import DEFAULT_CACHE_SECONDS, AuthorizerSpec

    for klass in cls.__mro__:
        if klass in (WebSocketServer, object):
            continue
        for attr_name, value in vars(klass).items():
            mark = getattr(getattr(value, "__func__", value), _AUTHORIZER_MARK, None)
            if mark is not None:
                return AuthorizerSpec(_MethodHandler(cls, attr_name), mark[0], mark[1],
                                      f"{cls.__module__}.{cls.__qualname__}.{attr_name}", owner=cls)
    if callable(getattr(cls, "on_authorize", None)):
        return AuthorizerSpec(_MethodHandler(cls, "on_authorize"), (), DEFAULT_CACHE_SECONDS,
                              f"{cls.__module__}.{cls.__qualname__}.on_authorize", owner=cls)
    return None
