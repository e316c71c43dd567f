"""The CLI's Rich consoles: results on stdout, errors and progress on stderr."""

from rich.console import Console

console = Console()
# Messages are never broken at 80 columns where there is no terminal (CI logs, pipes): the
# reader's terminal wraps them, and a sentence stays on one line for grep.
error_console = Console(stderr=True, soft_wrap=True)
