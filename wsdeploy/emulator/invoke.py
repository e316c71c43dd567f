"""Invoking the handlers as Lambda would: through `wsdeploy.runtime.lambda_handler`, with a
Lambda-like context, on a worker thread (never on the event loop).
"""

from __future__ import annotations

import time
import traceback
from typing import Callable

from ..runtime import lambda_handler
from .app_loader import AppLoader
from .context import Function, LambdaContext, log_stream_name
from .decisions import Outcome

UNKNOWN = "?"  # the route of an event that failed before its route was known


# Builds the event once the route table is known: (route key, event), or None for no route.
EventFactory = Callable[[dict[str, bool]], "tuple[str, dict] | None"]


def _summary(error: BaseException) -> str:
    return "".join(traceback.format_exception_only(type(error), error)).strip()


class Invoker:
    """Runs events through the runtime's entry point; call its methods from a worker thread."""

    def __init__(self, loader: AppLoader, function: Function):
        self.loader = loader
        self.function = function
        self.log_stream = log_stream_name()  # one "container" for the emulator's life

    def invoke(self, make_event: EventFactory) -> Outcome:
        """Never raises: whatever fails, here or in the handler, comes back as an error Outcome."""
        try:
            return self._invoke(make_event)
        except (Exception, SystemExit) as error:  # noqa: BLE001 - a bug of ours, said as one
            return Outcome(UNKNOWN, error="wsdeploy dev failed to run the event:\n"
                                          + "".join(traceback.format_exception(error)).strip())

    def _invoke(self, make_event: EventFactory) -> Outcome:
        with self.loader.serving() as routes:
            if routes is None:
                return Outcome(UNKNOWN, error="the handler module failed to import:\n"
                                              f"{self.loader.failure}")
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
                outcome.error = _summary(error)
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
