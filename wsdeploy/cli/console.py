"""The CLI's Rich consoles: results on stdout, errors and progress on stderr."""

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

console = Console()
# Messages are never broken at 80 columns where there is no terminal (CI logs, pipes): the
# reader's terminal wraps them, and a sentence stays on one line for grep.
error_console = Console(stderr=True, soft_wrap=True)

# `--exit-code`'s answer when there is something to do (0: nothing; 2 stays the usage error's).
CHANGES_PENDING = 3

# The arguments every stage command takes, declared once.
STAGE_ARGUMENT = typer.Argument(
    None, metavar="STAGE", help="The stage from wsdeploy.toml. Default: its only stage, or its default_stage.")
CONFIG_OPTION: Path = typer.Option(
    None, "--config", metavar="PATH", help="The settings file. Default: ./wsdeploy.toml.")


def say(message: str, style: str = "") -> None:
    """A progress or notice line, on stderr so stdout keeps only results."""
    text = escape(message)
    error_console.print(f"[{style}]{text}[/]" if style else text, highlight=False)


def warn(message: str) -> None:
    error_console.print(f"[yellow]warning:[/] {escape(message)}", highlight=False)
