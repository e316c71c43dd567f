"""The names other deploy tools use for our commands (Chalice, Zappa, Serverless, Terraform),
accepted as hidden aliases that run the command.

Why run rather than refuse with a pointer: fingers and CI scripts coming from those tools type
`deploy`, and each alias does what its name says there. None of them is riskier than the real
command: `delete`, `destroy` and `undeploy` are `down`, which shows what it deletes and asks
(or needs --yes). A one-line notice on stderr names the real command, and the aliases stay out
of the command list, so the help shows one name per job.
"""

from __future__ import annotations

from . import app
from .console import say

ALIASES = {
    "deploy": "up",        # chalice, zappa, serverless
    "delete": "down",      # chalice
    "destroy": "down",     # terraform, cdk
    "undeploy": "down",    # zappa
    "local": "dev",        # chalice local
    "serve": "dev",
}


def _register() -> None:
    commands = {info.name: info for info in app.registered_commands}
    for alias, target in ALIASES.items():
        real = commands[target]
        app.command(alias, hidden=True, help=f"Another name for `wsdeploy {target}`.\n\n{real.help}",
                    context_settings=real.context_settings)(real.callback)


def point_to_real_name(command: str | None) -> None:
    """Says which command an alias runs; called before the command starts."""
    if command in ALIASES:
        say(f"`wsdeploy {command}` is `wsdeploy {ALIASES[command]}` here; running that.", "dim")


def aliases_text() -> str:
    """One line for the root help: which other names are understood."""
    by_target: dict[str, list[str]] = {}
    for alias, target in ALIASES.items():
        by_target.setdefault(target, []).append(alias)
    return "Also understood, as in other tools: " + "; ".join(
        f"{', '.join(names)} (= {target})" for target, names in by_target.items()) + "."


_register()
