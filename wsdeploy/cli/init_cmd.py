"""`wsdeploy init`: a wsdeploy.toml and a starter handler module, so a new app deploys at once;
or a wsdeploy.toml made from a Zappa settings file (--from-zappa)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import typer

from ..config import CHECKS, CONFIG_FILENAME, STATE_DIRNAME, display_path, find_config
from ..discover import iter_source_files
from ..errors import UserError
from ..from_zappa import ZAPPA_FILES, app_name, convert, read_settings
from . import app
from .console import print_result, say
from .options import DEBUG_OPTION, examples

STARTER_MODULE = "app.py"
EXAMPLE = "wsdeploy.toml.example"
GITIGNORE_LINE = f"{STATE_DIRNAME}/"


def name_from_folder(folder: Path) -> str:
    """A valid app name made from the folder's name ("My Chat_2" -> "my-chat-2"), else "app"."""
    return app_name(folder.name)


def _template(filename: str) -> str:
    return (resources.files("wsdeploy.templates") / filename).read_text(encoding="utf-8")


INIT_HELP = (
    "Start an app in the current folder: write wsdeploy.toml, a starter handler module app.py "
    "(an echo app) and a .gitignore line for .wsdeploy/ (the state folder, per machine).\n\n"
    "Existing files are never overwritten: if wsdeploy.toml exists nothing is written (but "
    "--full still writes the example), an existing app.py is left as it is, and an existing "
    ".gitignore only gets the line added.\n\n"
    "Coming from Zappa: --from-zappa writes wsdeploy.toml from zappa_settings.json (or the file "
    "named after it), with every stage, and lists what it could not carry over.\n\n"
    "Next: `wsdeploy dev` to try it locally, `wsdeploy package` to build the zip, "
    "`wsdeploy up` to deploy it.\n\n"
    + examples(("wsdeploy init", "wsdeploy.toml and app.py, named after this folder"),
               ("wsdeploy init --name chat --full", "also wsdeploy.toml.example: every key explained"),
               ("wsdeploy init --from-zappa", "wsdeploy.toml from ./zappa_settings.json"))
)


@app.command("init", help=INIT_HELP, short_help="Start an app here: wsdeploy.toml and app.py.")
def init_command(
    settings: Path = typer.Argument(
        None, metavar="[FILE]", show_default=False,
        help="With --from-zappa: the Zappa settings file. Default: zappa_settings.json (or "
             ".toml, .yml) in this folder."),
    name: str = typer.Option(
        None, "--name", "-n", metavar="NAME",
        help="The app's name: lowercase letters, digits and '-'. It names every AWS resource "
             "(NAME-STAGE-ws). Default: Zappa's project_name, else made from the folder's name.",
    ),
    full: bool = typer.Option(False, "--full",
                              help=f"Also write {EXAMPLE}: every setting with its default and "
                                   "what it accepts."),
    from_zappa: bool = typer.Option(False, "--from-zappa",
                                    help="Make wsdeploy.toml from a Zappa settings file instead of "
                                         "the starter; app.py is not written."),
    debug: bool = DEBUG_OPTION,
) -> None:
    """Write the starter files, never overwriting one."""
    folder = Path.cwd()
    if settings is not None and not from_zappa:
        raise UserError(f"{settings}: a settings file is read only with --from-zappa "
                        f"(`wsdeploy init --from-zappa {settings}`)")
    if name is not None and (problem := CHECKS["name"](name)):
        raise UserError(f"--name: {problem}")
    config_path = folder / CONFIG_FILENAME
    if config_path.exists() and not full:
        raise UserError(
            f"{CONFIG_FILENAME} already exists in {folder}; wsdeploy init never overwrites it. "
            "Edit it, or delete it first to start over (`wsdeploy init --full` writes only "
            f"{EXAMPLE} beside it)"
        )
    written, named = [], ""
    if not config_path.exists():
        _note_parent_config(folder)
        if from_zappa:
            name = _init_from_zappa(folder, settings, name)
            written.append(CONFIG_FILENAME)
        else:
            name = name or name_from_folder(folder)
            written += _init_starter(folder, name)
        named = f" for app {name}"
    if full:
        written += _write_example(folder)
    if _ignore_state_folder(folder):
        written.append(".gitignore")
    print_result(f"Created {', '.join(written) or 'nothing'}{named} in {folder}")
    if CONFIG_FILENAME in written and not from_zappa and STARTER_MODULE not in written:
        print_result(f"Left the existing {STARTER_MODULE} as it is: wsdeploy uses the module that "
                     "registers handlers from wsdeploy.websocket, or handler_module in wsdeploy.toml")
    print_result(f"Every setting is explained in {EXAMPLE}"
                 + ("." if full else " (`wsdeploy init --full` writes it here)."))
    print_result("Next:\n  wsdeploy dev        run it locally\n"
                 "  wsdeploy package    build the deployment zip\n"
                 "  wsdeploy up         deploy it to AWS")


def _init_starter(folder: Path, name: str) -> list[str]:
    """wsdeploy.toml and, unless there is one, app.py: the names of the files written."""
    (folder / CONFIG_FILENAME).write_text(_template("wsdeploy.toml.tmpl").format(name=name), encoding="utf-8")
    module_path = folder / STARTER_MODULE
    if module_path.exists():
        return [CONFIG_FILENAME]
    module_path.write_text(_template("app.py.tmpl").format(name=name), encoding="utf-8")
    return [CONFIG_FILENAME, STARTER_MODULE]


def _init_from_zappa(folder: Path, settings: Path | None, name: str | None) -> str:
    """wsdeploy.toml made from the Zappa settings, and what was and wasn't carried over told;
    returns the app's name."""
    if settings is None:
        settings = next((folder / f for f in ZAPPA_FILES if (folder / f).is_file()), None)
        if settings is None:
            raise UserError(f"no zappa_settings.json (or .toml, .yml) in {folder}: name the file, "
                            "e.g. `wsdeploy init --from-zappa path/to/zappa_settings.json`")
    conversion = convert(read_settings(settings), settings.name, folder.name)
    text = conversion.text
    if name is not None:
        text = text.replace(f'name = "{conversion.app}"', f'name = "{name}"', 1)
    (folder / CONFIG_FILENAME).write_text(text, encoding="utf-8")
    say(f"From {display_path(settings.absolute())}: stages {', '.join(conversion.stages)}.")
    say("Carried over: " + ", ".join(conversion.carried or ["nothing but the stages"]) + ".")
    for note in conversion.notes:
        say(f"Note: {note}.", "yellow")
    if conversion.dropped:
        say(f"Not carried over (listed at the end of {CONFIG_FILENAME} too):", "yellow")
        for line in conversion.dropped_lines():
            say(f"  {line}")
    still = [str(path) for path in iter_source_files(folder) if path.suffix == ".py"
             and "zappa.websocket" in (folder / path).read_text(encoding="utf-8", errors="replace")]
    if still:
        say(f"Change `zappa.websocket` to `wsdeploy.websocket` in: {', '.join(still)} "
            "(the names are the same, ZappaWebSocketServer included).", "bold")
    return name or conversion.app


def _write_example(folder: Path) -> list[str]:
    target = folder / EXAMPLE
    if target.exists():
        say(f"Left the existing {EXAMPLE} as it is")
        return []
    target.write_text(_template(EXAMPLE), encoding="utf-8")
    return [EXAMPLE]


def _ignore_state_folder(folder: Path) -> bool:
    """Adds .wsdeploy/ to .gitignore (made if absent) unless a line already ignores it."""
    path = folder / ".gitignore"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if any(line.strip().strip("/") == STATE_DIRNAME for line in text.splitlines()):
        return False
    separator = "" if not text or text.endswith("\n") else "\n"
    path.write_text(f"{text}{separator}# wsdeploy's state, per machine\n{GITIGNORE_LINE}\n",
                    encoding="utf-8")
    return True


def _note_parent_config(folder: Path) -> None:
    """Init in a subfolder of an app makes a second app: say so, the user may not mean it."""
    above = find_config(folder.parent)
    if above is not None:
        say(f"Note: {above} is an app's settings file in a folder above; this makes a separate "
            f"app in {folder}.", "yellow")
