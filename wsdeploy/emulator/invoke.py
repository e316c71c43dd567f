"""Invoking the handlers as Lambda would: through `wsdeploy.runtime.lambda_handler`, with a
Lambda-like context, on a worker thread (never on the event loop).
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from typing import Callable

from ..runtime import lambda_handler
from .app_loader import AppLoader
from .context import Function, LambdaContext, log_stream_name


@dataclass
class Outcome:
    """What one invocation came to. `route_key` is None when no route matched (Forbidden)."""

    route_key: str | None
    status: int | None = None
    result: dict = field(default_factory=dict)
    error: str | None = None  # a one-line summary when the handler (or the import) failed
    duration_ms: float = 0.0
    reply: bool = False  # the route sends its result's body back

    @property
    def body(self) -> str | None:
        body = self.result.get("body")
        if body is None or isinstance(body, str):
            return body
        import json

        return json.dumps(body, separators=(",", ":"))

    @property
    def headers(self) -> dict[str, str]:
        headers = self.result.get("headers") or {}
        return {str(k): str(v) for k, v in headers.items()} if isinstance(headers, dict) else {}


# Builds the event once the route table is known: (route key, event), or None for no route.
EventFactory = Callable[[dict[str, bool]], "tuple[str, dict] | None"]


class Invoker:
    """Runs events through the runtime's entry point; call its methods from a worker thread."""

    def __init__(self, loader: AppLoader, function: Function):
        self.loader = loader
        self.function = function
        self.log_stream = log_stream_name()  # one "container" for the emulator's life

    def invoke(self, make_event: EventFactory) -> Outcome:
        with self.loader.serving() as routes:
            if routes is None:
                return Outcome("?", error=f"the handler module failed to import:\n{self.loader.failure}")
            built = make_event(routes)
            if built is None:
                return Outcome(None)
            route_key, event = built
            outcome = Outcome(route_key, reply=routes.get(route_key, False))
            context = LambdaContext(self.function, self.log_stream)
            started = time.perf_counter()
            try:
                result = lambda_handler(event, context)
            except (Exception, SystemExit) as error:  # noqa: BLE001 - 502 or an error frame
                outcome.error = "".join(traceback.format_exception_only(type(error), error)).strip()
            else:
                outcome.result = result if isinstance(result, dict) else {}
                outcome.status = _status(outcome.result)
            outcome.duration_ms = (time.perf_counter() - started) * 1000
            return outcome


def _status(result: dict) -> int:
    try:
        return int(result.get("statusCode", 200))
    except (TypeError, ValueError):
        return 502  # the gateway cannot read it: a malformed Lambda response
