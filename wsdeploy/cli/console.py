"""The CLI's Rich consoles: results on stdout, errors and progress on stderr."""

from rich.console import Console

console = Console()
error_console = Console(stderr=True)
