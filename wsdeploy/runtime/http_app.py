"""The app's own HTTP routes (`http_app` in wsdeploy.toml), served by the same function as
the WebSocket API: HTTP API events (payload format 2.0) go to a WSGI or ASGI app.

Loaded on the first HTTP event only, so a function (or a container) that only ever sees
WebSocket events never imports a web framework. WSGI goes through `wsgi.py` (standard
library); ASGI through mangum, the maintained adapter (lifespan, HTTP API 2.0), which the
app's requirements must name: ours would duplicate it without the lifespan support that
FastAPI's startup code relies on."""

from __future__ import annotations

import _thread
import importlib
import os
import sys

from .env import HTTP_APP_ENV
from .errors import HandlerConfigurationError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

MANGUM_MISSING = ("the HTTP app {spec!r} is an ASGI app (FastAPI, Starlette, ...): wsdeploy "
                  "serves ASGI apps through mangum, which is not installed; add mangum to "
                  "your requirements file")

_lock = _thread.allocate_lock()
_loaded: tuple[str, Callable[[dict, Any], dict]] | None = None


def is_http_event(event: Any) -> bool:
    """An API Gateway HTTP API event of payload format 2.0 (version "2.0", requestContext.http)."""
    if not isinstance(event, dict) or event.get("version") != "2.0":
        return False
    context = event.get("requestContext")
    return isinstance(context, dict) and isinstance(context.get("http"), dict)


def parse_spec(spec: str) -> tuple[str, str]:
    """"pkg.mod:app" -> ("pkg.mod", "app")."""
    module, sep, attribute = spec.strip().partition(":")
    if not sep or not module or not attribute:
        raise HandlerConfigurationError(
            f"{HTTP_APP_ENV}={spec!r} is not 'module:attribute' (for example 'app:app')")
    return module, attribute


def find_app(spec: str) -> Any:
    """Import the module and follow the attribute's dots; AttributeError names what is missing."""
    module_name, attribute = parse_spec(spec)
    target: Any = importlib.import_module(module_name)
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise HandlerConfigurationError(
                f"module {module_name!r} has no attribute {attribute!r}: http_app must name "
                "the WSGI or ASGI app object it defines (for example app = Flask(__name__))")
        target = getattr(target, part)
    return target


def is_asgi(app: Any) -> bool:
    """ASGI apps are coroutine functions, or objects whose __call__ is one (FastAPI,
    Starlette); WSGI apps are plain callables (Flask, Django)."""
    import inspect

    if inspect.iscoroutinefunction(app):
        return True
    call = getattr(type(app), "__call__", None) if not inspect.isfunction(app) else None
    return call is not None and inspect.iscoroutinefunction(call)


def kind_of(app: Any) -> str:
    """"asgi", "wsgi", or raise: what `wsdeploy package` checks and the runtime dispatches on."""
    if not callable(app):
        raise HandlerConfigurationError(
            f"the HTTP app is not callable (an object of type {type(app).__name__}): http_app must name a WSGI "
            "app (Flask, Django) or an ASGI app (FastAPI, Starlette)")
    return "asgi" if is_asgi(app) else "wsgi"


def _asgi_caller(app: Any, spec: str) -> Callable[[dict, Any], dict]:
    try:
        from mangum import Mangum
    except ImportError:
        raise HandlerConfigurationError(MANGUM_MISSING.format(spec=spec)) from None
    handler = Mangum(app, lifespan="auto")

    def call(event: dict, context: Any) -> dict:
        _ensure_event_loop()
        return handler(event, context)
    return call


def _ensure_event_loop() -> None:
    """mangum asks for the thread's current event loop. Lambda calls the handler on its main
    thread, which has one; `wsdeploy dev` calls it on worker threads, which have none until
    given one (each keeps its own)."""
    import asyncio

    try:
        if not asyncio.get_event_loop_policy().get_event_loop().is_closed():
            return
    except RuntimeError:
        pass
    asyncio.set_event_loop(asyncio.new_event_loop())


def _wsgi_caller(app: Any) -> Callable[[dict, Any], dict]:
    from .wsgi import call_wsgi

    return lambda event, context: call_wsgi(app, event, context)


def load_http_app() -> Callable[[dict, Any], dict]:
    """The caller of the app named by WSDEPLOY_HTTP_APP, imported once per container.
    A failed import is undone, so the next event retries it as a fresh container would."""
    global _loaded
    spec = os.environ.get(HTTP_APP_ENV, "").strip()
    if _loaded is not None and _loaded[0] == spec:
        return _loaded[1]
    with _lock:
        if _loaded is not None and _loaded[0] == spec:
            return _loaded[1]
        if not spec:
            raise HandlerConfigurationError(
                f"an HTTP API event arrived but {HTTP_APP_ENV} is not set: set http_app = "
                "\"module:attribute\" in wsdeploy.toml (`wsdeploy up` passes it on)")
        before = set(sys.modules)
        try:
            app = find_app(spec)
            caller = _asgi_caller(app, spec) if kind_of(app) == "asgi" else _wsgi_caller(app)
        except BaseException:
            _undo_import(before)
            raise
        _loaded = (spec, caller)
        return caller


def _undo_import(before: set[str]) -> None:
    """Drop the modules the failed load imported, and the routes they registered when the
    handlers are not loaded yet (the handler module may be the app's own module)."""
    from . import entry
    from .registry import REGISTRY

    for name in set(sys.modules) - before:
        del sys.modules[name]
    if entry._loaded_module is None:
        REGISTRY.clear()


def reset() -> None:
    """Forget the loaded app (the emulator's reload)."""
    global _loaded
    with _lock:
        _loaded = None


def handle_http(event: dict, context: Any) -> dict:
    """Serve one HTTP API event with the app; a failure is logged and raised (a 500)."""
    caller = load_http_app()
    try:
        return caller(event, context)
    except BaseException:
        import logging

        http = event["requestContext"]["http"]
        logging.getLogger("wsdeploy").exception(
            "the HTTP app failed on %s %s", http.get("method"), event.get("rawPath"))
        raise
