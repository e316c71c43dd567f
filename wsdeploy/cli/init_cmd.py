"""`wsdeploy init`: a wsdeploy.toml and a starter handler module, so a new app deploys at once."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import typer

from ..config import CHECKS, CONFIG_FILENAME
from ..errors import UserError
from . import app
from .console import console

STARTER_MODULE = "app.py"


def name_from_folder(folder: Path) -> str:
    """A valid app name made from the folder's name ("My Chat_2" -> "my-chat-2"), else "app"."""
    name = re.sub(r"[^a-z0-9]+", "-", folder.name.lower()).strip("-")
    name = re.sub(r"^[^a-z]+", "", name)
    return name if name and CHECKS["name"](name) is None else "app"


def _template(filename: str) -> str:
    return (resources.files("wsdeploy.templates") / filename).read_text(encoding="utf-8")


INIT_HELP = (
    "Start an app in the current folder: write wsdeploy.toml and a starter handler module, "
    "app.py (an echo app).\n\n"
    "Existing files are never overwritten: if wsdeploy.toml exists nothing is written, and an "
    "existing app.py is left as it is.\n\n"
    "Next: `wsdeploy dev` to try it locally, `wsdeploy package` to build the zip, "
    "`wsdeploy up` to deploy it."
)


@app.command("init", help=INIT_HELP)
def init_command(
    name: str = typer.Option(
        None, "--name", "-n", metavar="NAME",
        help="The app's name: lowercase letters, digits and '-'. It names every AWS resource "
             "(NAME-STAGE-ws). Default: made from the current folder's name.",
    ),
) -> None:
    """Write the starter files, never overwriting one."""
    folder = Path.cwd()
    config_path = folder / CONFIG_FILENAME
    if name is None:
        name = name_from_folder(folder)
    problem = CHECKS["name"](name)
    if problem:
        raise UserError(f"--name: {problem}")
    if config_path.exists():
        raise UserError(
            f"{CONFIG_FILENAME} already exists in {folder}; wsdeploy init never overwrites it. "
            "Edit it, or delete it first to start over"
        )
    written, kept = [CONFIG_FILENAME], []
    config_path.write_text(_template("wsdeploy.toml.tmpl").format(name=name), encoding="utf-8")
    module_path = folder / STARTER_MODULE
    if module_path.exists():
        kept.append(STARTER_MODULE)
    else:
        module_path.write_text(_template("app.py.tmpl").format(name=name), encoding="utf-8")
        written.append(STARTER_MODULE)

    console.print(f"Created {', '.join(written)} for app [bold]{name}[/] in {folder}", highlight=False)
    if kept:
        console.print(f"Left the existing {', '.join(kept)} as it is: wsdeploy uses the module that "
                      "imports wsdeploy.websocket, or handler_module in wsdeploy.toml", highlight=False)
    console.print("Next:\n  wsdeploy dev        run it locally\n"
                  "  wsdeploy package    build the deployment zip\n"
                  "  wsdeploy up         deploy it to AWS", highlight=False)
