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
from .options import (DEBUG_OPTION, debug_enabled, examples, help_width, keep_help_words_whole,
                      reset_debug)

keep_help_words_whole()

ROOT_HELP = (
    "Deploy a Python WebSocket app to AWS API Gateway + Lambda, or run it locally.\n\n"
    "wsdeploy.toml (written by `wsdeploy init`) holds the app's settings; commands find it in "
    "this folder or the nearest folder above. `wsdeploy COMMAND -h` shows a command's options.\n\n"
    + examples(("wsdeploy init", "start an app here: wsdeploy.toml and app.py"),
               ("wsdeploy dev", "serve it on ws://127.0.0.1:8765/dev, reloading on save"),
               ("wsdeploy up", "deploy it to AWS and print its wss:// URL"),
               ("wsdeploy down", "delete what up made"))
)

class _CommandsInOrder(typer.core.TyperGroup):
    """Lists commands sorted by name, groups (`state`) among them, as `git help` does."""

    def list_commands(self, ctx):  # noqa: ANN001,ANN201
        return sorted(super().list_commands(ctx))


app = typer.Typer(
    name="wsdeploy",
    cls=_CommandsInOrder,
    help=ROOT_HELP,
    no_args_is_help=True,
    add_completion=True,             # --install-completion / --show-completion
    pretty_exceptions_enable=False,
    rich_markup_mode=None,           # plain help, as git and the AWS CLI print it
    context_settings={"help_option_names": ["-h", "--help"], "terminal_width": help_width()},
)


def _version(value: bool) -> None:
    if value:
        console.print(f"wsdeploy {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
    debug: bool = DEBUG_OPTION,
) -> None:
    aliases.point_to_real_name(ctx.invoked_subcommand)


# Command modules register themselves on `app` when imported; aliases come after them.
from . import commands  # noqa: E402,F401
from . import aliases  # noqa: E402

app.info.epilog = aliases.aliases_text()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; user and AWS errors become one message and an exit status, not a traceback."""
    reset_debug()
    try:
        app(args=argv, prog_name="wsdeploy")  # standalone: usage errors and --help end in SystemExit
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except (UserError, DeployError) as error:
        if debug_enabled():
            raise
        error_console.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False)
        return error.exit_code
    except KeyboardInterrupt:
        error_console.print("interrupted")
        return 130
    except Exception as error:  # a bug of ours: say so briefly unless --debug
        if debug_enabled():
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
