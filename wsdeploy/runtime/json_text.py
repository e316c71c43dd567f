"""Dicts and lists as the compact JSON text clients receive, shared by replies and sends.

Python's json writes NaN and Infinity as bare words (`{"x":NaN}`) that no JSON parser reads, so
a client would get a message it cannot parse and nobody would hear of it: they are refused here,
naming where they are. `json` loads on the first call, not at cold start.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing itself costs a cold start; type checkers still see the block
if TYPE_CHECKING:
    from typing import Any


def compact_json(data: Any, what: str) -> str:
    """`data` as compact JSON (non-ASCII characters kept as they are); ValueError naming the
    first NaN or infinity, for `what` ("the reply", "the message")."""
    import json

    try:
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except ValueError:
        found = _first_non_finite(data, "")
        if found is None:
            raise  # another ValueError (a circular reference): json's own message says it
        where, value = found
        raise ValueError(
            f"{what} holds {value} at {where or 'its top'}, and JSON has no such number (it would "
            "go out as a bare NaN or Infinity, which clients cannot parse): send None or a string "
            "instead"
        ) from None


def _first_non_finite(data: Any, where: str) -> tuple[str, float] | None:
    """Where the first NaN or infinity is, as a subscript path (`["scores"][2]`), and its value."""
    if isinstance(data, float):
        return (where, data) if data != data or data in (float("inf"), float("-inf")) else None
    if isinstance(data, dict):
        items = ((f"[{key!r}]" if isinstance(key, str) else f"[{key}]", value) for key, value in data.items())
    elif isinstance(data, (list, tuple)):
        items = ((f"[{index}]", value) for index, value in enumerate(data))
    else:
        return None
    for step, value in items:
        found = _first_non_finite(value, where + step)
        if found is not None:
            return found
    return None
