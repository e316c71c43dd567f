"""The README's samples, read by the tests that replay them or check their figures."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
FIRST_SESSION = ("<!-- the session below is replayed by tests/e2e/test_first_session.py, and with "
                 "wscat by tests/e2e/test_wscat.py -->")


def block_after(marker: str) -> str:
    """The first fenced code block after `marker` in the README."""
    text = README.read_text()
    assert marker in text, f"the README lost the block after {marker!r}"
    return re.search(r"```[a-z]*\n(.*?)```", text.split(marker, 1)[1], re.S).group(1)


def first_session() -> tuple[str, list[str], list[str]]:
    """The README's first session: the command line, the lines typed after "> " and the lines
    received after "< "."""
    block = block_after(FIRST_SESSION)
    command = block.splitlines()[0].removeprefix("$ ")
    sent = [line[2:] for line in block.splitlines() if line.startswith("> ")]
    received = [line[2:] for line in block.splitlines() if line.startswith("< ")]
    return command, sent, received
