"""The step before `$connect`: the app's @on_authorize, or `auth = "iam"`'s signature check.

The authorizer runs as the deployed one does, through the runtime's entry point on a worker,
with the REQUEST event AWS documents; what its answer comes to is decided in authorize.py.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from ..runtime.registry import REGISTRY
from . import authorize, events, ids
from .authorize import AnswerCache, AuthorizerVerdict

if TYPE_CHECKING:
    from .connections import Connection
    from .invocations import Invocations
    from .settings import DevSettings

AUTHORIZER_ROUTE = "authorizer"   # how the event line names the step


class ConnectGuard:
    def __init__(self, settings: DevSettings, invocations: Invocations) -> None:
        self._settings = settings
        self._invocations = invocations
        self.cache = AnswerCache()

    async def check(self, api: events.Api, connection: Connection, target: str,
                    headers: list[tuple[str, str]]) -> tuple[AuthorizerVerdict, float] | None:
        """(verdict, milliseconds) before $connect, or None when nothing guards it. An Allow
        sets `connection.authorizer`, which every later event carries."""
        if self._settings.auth == "iam":
            if authorize.sigv4_signed(headers, parse_qs(urlsplit(target).query)):
                return None
            return authorize.unsigned(), 0.0
        function = self._settings.function
        method_arn = events.connect_method_arn(function.region, function.account, api)
        request_id, now_ms = ids.gateway_id(), connection.connected_at
        found: dict = {}

        def make_event(routes: dict[str, bool]) -> tuple[str, dict] | None:   # on a worker
            spec = REGISTRY.authorizer
            if spec is None:
                return None
            event = events.authorizer_event(api, connection, target, headers, request_id,
                                             now_ms, method_arn)
            found["spec"] = spec
            values = authorize.identity_values(spec.identity, event)
            if values is None:
                found["missing"] = authorize.missing_source(spec.identity, event)
                return None
            key = (spec.handler, spec.identity, values)
            found["key"] = key
            cached = self.cache.get(key) if values else None
            if cached is not None:
                found["cached"] = cached
                return None
            return "$connect", event

        started = time.perf_counter()
        outcome = await self._invocations.run(AUTHORIZER_ROUTE, make_event)
        spec = found.get("spec")
        if spec is None:
            return None   # no authorizer, or the app failed to import ($connect says so: 502)
        if "missing" in found:
            return authorize.missing_identity(found["missing"]), 0.0
        if "cached" in found:
            verdict, latency = found["cached"]
            verdict = AuthorizerVerdict(verdict.status, verdict.detail + " (cached)", verdict.principal,
                                        verdict.context, verdict.cacheable)
        else:
            latency = outcome.duration_ms or (time.perf_counter() - started) * 1000
            verdict = authorize.authorizer_verdict(outcome, method_arn)
            if spec is not None and found.get("key") and found["key"][2]:
                self.cache.put(found["key"], verdict, latency, spec.cache_seconds)
        if verdict.allowed:
            connection.authorizer = authorize.request_context_authorizer(verdict, latency)
        return verdict, latency
