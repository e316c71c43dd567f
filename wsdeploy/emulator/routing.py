"""Route selection for messages (section 3 of the spec), as the gateway evaluates it.

Two forms of `RouteSelectionExpression` are understood: `$request.body.a.b` (the whole
expression is one JSON path) and templates such as `${request.body.type}:${request.body.room}`
(paths rendered into static text, a missing path as the empty string).
"""

from __future__ import annotations

import json
import re
from typing import Any, Collection

DEFAULT = "$default"
LIFECYCLE = frozenset({"$connect", "$disconnect"})  # never selected by a message

_NAME = r"[A-Za-z0-9_\-]+"
_PATH = rf"{_NAME}(?:\.{_NAME})*"
_WHOLE = re.compile(rf"^\$request\.body\.({_PATH})$")
_PLACEHOLDER = re.compile(rf"\$\{{request\.body\.({_PATH})\}}")
_MISSING = object()


class RouteSelectionError(ValueError):
    """The expression is not one the gateway (or this emulator) evaluates."""


def _render(value: Any) -> str:
    """How a selected JSON value becomes a route key (non-strings as JSON: unverified)."""
    if value is _MISSING or value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def _lookup(document: Any, path: tuple[str, ...]) -> Any:
    for name in path:
        if not isinstance(document, dict) or name not in document:
            return _MISSING
        document = document[name]
    return document


class RouteSelector:
    """A compiled `RouteSelectionExpression`."""

    def __init__(self, expression: str):
        self.expression = expression
        whole = _WHOLE.match(expression)
        if whole:
            self._parts: list[str | tuple[str, ...]] = [tuple(whole.group(1).split("."))]
            return
        parts: list[str | tuple[str, ...]] = []
        position = 0
        for match in _PLACEHOLDER.finditer(expression):
            parts.append(expression[position:match.start()])
            parts.append(tuple(match.group(1).split(".")))
            position = match.end()
        parts.append(expression[position:])
        if not any(isinstance(part, tuple) for part in parts) or any(
            "$" in part for part in parts if isinstance(part, str)
        ):
            raise RouteSelectionError(
                f"route selection expression {expression!r} is not supported: use "
                "$request.body.NAME (e.g. $request.body.action), a nested path such as "
                "$request.body.meta.type, or a template such as "
                "${request.body.type}:${request.body.room}"
            )
        self._parts = [part for part in parts if part != ""]

    def evaluate(self, body: str) -> str | None:
        """The selected key for a message body, or None when the body is not JSON."""
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
            return None
        return "".join(
            _render(_lookup(document, part)) if isinstance(part, tuple) else part
            for part in self._parts
        )

    def select(self, body: str, route_keys: Collection[str]) -> str | None:
        """The route for a message: its exact key, else `$default`, else None (Forbidden)."""
        key = self.evaluate(body)
        if key is not None and key in route_keys and key not in LIFECYCLE:
            return key
        return DEFAULT if DEFAULT in route_keys else None
