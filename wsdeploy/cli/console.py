"""The CLI's Rich consoles: results on stdout, errors and progress on stderr."""

from rich.console import Console
from rich.markup import escape

from .options import CONFIG_OPTION, STAGE_ARGUMENT  # noqa: F401  (where commands used to find them)

# emoji=False: Rich would turn ":secret:" in a Secrets Manager ARN (and any ":name:") into an
# emoji, in JSON and messages alike
console = Console(emoji=False)
error_console = Console(stderr=True, emoji=False)
# On a terminal, Rich wraps lines between words (left to the terminal, a word would be cut in
# two at the edge). Elsewhere (CI logs, pipes) a message stays on one line, for grep, and the
# reader's viewer wraps it.
error_console.soft_wrap = not error_console.is_terminal

# `--exit-code`'s answer when there is something to do (0: nothing; 2 stays the usage error's).
CHANGES_PENDING = 3


def say(message: str, style: str = "") -> None:
    """A progress or notice line, on stderr so stdout keeps only results."""
    text = escape(message)
    error_console.print(f"[{style}]{text}[/]" if style else text, highlight=False)


def warn(message: str) -> None:
    error_console.print(f"[yellow]warning:[/] {escape(message)}", highlight=False)


def print_result(text: str, wrap: bool = True) -> None:
    """A result on stdout, as plain text. Never wrapped where it is not a terminal; on one, it
    wraps between words unless `wrap` is False (a URL or JSON to copy whole)."""
    console.print(text, highlight=False, markup=False, soft_wrap=not (wrap and console.is_terminal))
