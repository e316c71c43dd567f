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

import shutil
import textwrap
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


def _stage_names(incomplete: str) -> list[str]:
    """Shell completion of STAGE: the stages of the nearest wsdeploy.toml."""
    import tomllib

    from ..config import find_config
    found = find_config(Path.cwd())
    try:
        stages = tomllib.loads(found.read_text(encoding="utf-8")).get("stages", {}) if found else {}
    except (OSError, ValueError):
        return []
    return [name for name in stages if isinstance(name, str) and name.startswith(incomplete)]


STAGE_ARGUMENT = typer.Argument(
    None, metavar="STAGE", show_default=False, autocompletion=_stage_names,
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


def help_width() -> int:
    """The width help is written to: the terminal's, up to 100 columns, with no floor (the help
    formatter's own floor of 50 would let a narrower terminal cut words in two)."""
    return max(min(shutil.get_terminal_size().columns, 100) - 2, 20)


def keep_help_words_whole() -> None:
    """The help formatter (click's, vendored by typer) cuts words longer than the column and
    after hyphens ("--from-" / "zappa"); make it wrap between words only, as the rest of the
    CLI does. A patch of the formatter's wrapper class: tests/e2e/test_cli_conventions.py
    checks help on a narrow terminal, so a typer that moves it is noticed."""
    import importlib

    for name in ("typer._click._textwrap", "click._textwrap"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        base = module.TextWrapper
        if getattr(base, "keeps_words_whole", False):
            return

        class WholeWords(base):  # type: ignore[misc, valid-type]
            keeps_words_whole = True

            def __init__(self, *args: object, **kwargs: object) -> None:
                super().__init__(*args, **{**kwargs, "break_long_words": False,
                                           "break_on_hyphens": False})

            # the standard library's: a word longer than the line gets a line of its own
            _handle_long_word = textwrap.TextWrapper._handle_long_word

        module.TextWrapper = WholeWords
        return


def examples(*lines: tuple[str, str]) -> str:
    """The "Examples:" paragraph of a command's help: each command with what it does, side by
    side when the help is wide enough, else the command and, below it, what it does; wrapped
    here, between words, to the help's width (the `\\b` keeps the formatter from joining the
    lines)."""
    width = help_width() - 2                      # the formatter indents help by 2
    column = max(len(command) for command, _ in lines)
    if 2 + column + 2 + max(len(what) for _, what in lines) <= width:
        body = [f"  {command:<{column}}  {what}" for command, what in lines]
    else:
        wrap = lambda text, first, rest: textwrap.wrap(  # noqa: E731
            text, width, initial_indent=first, subsequent_indent=rest,
            break_long_words=False, break_on_hyphens=False)
        body = [line for command, what in lines
                for line in wrap(command, "  ", "      ") + wrap(what, "      ", "      ")]
    return "Examples:\n\n\b\n" + "\n".join(body)
