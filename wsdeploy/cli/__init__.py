"""The `wsdeploy` command: thin Typer commands that parse, call and render.

Each command lives in its own module and registers itself on `app`; importing them here
wires them up. Rich is imported by the CLI only, never by the runtime.
"""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from .. import __version__
from ..errors import DeployError, UserError
from .console import console, error_console

app = typer.Typer(
    name="wsdeploy",
    help="Deploy a Python WebSocket app to AWS API Gateway + Lambda, or run it locally.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_state = {"debug": False}


def _version(value: bool) -> None:
    if value:
        console.print(f"wsdeploy {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
) -> None:
    """Deploy a Python WebSocket app to AWS API Gateway + Lambda, or run it locally."""
    _state["debug"] = debug


# Command modules register themselves on `app` when imported.
from . import commands  # noqa: E402,F401


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; user and AWS errors become one message and an exit status, not a traceback."""
    try:
        app(args=argv, prog_name="wsdeploy")  # standalone: usage errors and --help end in SystemExit
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except (UserError, DeployError) as error:
        if _state["debug"]:
            raise
        error_console.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False)
        return error.exit_code
    except KeyboardInterrupt:
        error_console.print("interrupted")
        return 130
    except Exception as error:  # a bug of ours: say so briefly unless --debug
        if _state["debug"]:
            raise
        error_console.print(
            f"internal error: {type(error).__name__}: {error}\n"
            "Run again with --debug for the traceback, and please report it.",
            highlight=False, markup=False,
        )
        return 1
    return 0


def entry() -> None:
    sys.exit(main())
