"""The arguments and options commands share, declared once so every command spells, explains
and treats them alike. A new command takes what applies to it from here:

    def my_command(stage: str = STAGE_ARGUMENT, config: Path = CONFIG_OPTION,
                   profile: str = PROFILE_OPTION, region: str = REGION_OPTION,
                   debug: bool = DEBUG_OPTION) -> None:
        opened = open_stage(config, stage, profile, region)      # cli/stage.py

`--debug` is accepted before the command and after it (`wsdeploy up --debug`): both set the
one flag `main()` reads when an error reaches it.
"""

from __future__ import annotations

from pathlib import Path

import typer

_debug = {"on": False}


def debug_enabled() -> bool:
    return _debug["on"]


def reset_debug() -> None:
    """Each run starts without it (tests run the CLI many times in one process)."""
    _debug["on"] = False


def _set_debug(value: bool) -> bool:
    if value:
        _debug["on"] = True
    return value


STAGE_ARGUMENT = typer.Argument(
    None, metavar="STAGE", show_default=False,
    help="The stage from wsdeploy.toml. Default: its only stage, or its default_stage.")
CONFIG_OPTION: Path = typer.Option(
    None, "--config", metavar="PATH",
    help="The settings file. Default: wsdeploy.toml in this folder or the nearest folder above "
         "it (as git finds .git).")
PROFILE_OPTION: str = typer.Option(
    None, "--profile", metavar="NAME",
    help="The AWS profile to use, over profile in wsdeploy.toml and AWS_PROFILE.")
REGION_OPTION: str = typer.Option(
    None, "--region", metavar="REGION",
    help="The AWS region, over region in wsdeploy.toml and AWS_REGION. A stage lives in one "
         "region: its state file refuses another.")
DEBUG_OPTION: bool = typer.Option(
    False, "--debug", callback=_set_debug, is_eager=True,
    help="Show the traceback of any error (for a bug report).")
VERBOSE_OPTION: bool = typer.Option(
    False, "--verbose", "-v",
    help="Show every step of the plan, even when it is taller than the terminal.")


def examples(*lines: tuple[str, str]) -> str:
    """The "Examples:" paragraph of a command's help: each command with what it does, aligned,
    kept as written (the `\\b` stops the help formatter from joining the lines)."""
    width = max(len(command) for command, _ in lines)
    body = "\n".join(f"  {command:<{width}}  {what}" for command, what in lines)
    return f"Examples:\n\n\b\n{body}"
