"""`wsdeploy unlock STAGE LOCK_ID`: remove a lock left by a run that can no longer release it."""

from __future__ import annotations

from pathlib import Path

import typer

from . import app
from .options import CONFIG_OPTION, DEBUG_OPTION, PROFILE_OPTION, REGION_OPTION, examples
from .render import say
from .stage import open_stage

UNLOCK_HELP = (
    "Remove the lock of a stage that a run left behind when it was killed (kill -9, a lost CI "
    "runner): `up` and `down` refuse while it is there, naming its holder and its id. Give "
    "that id: the lock is removed only if it is still the same one, so a lock taken since by "
    "another run is never removed by mistake. Make sure the run that held it is gone; two "
    "runs at once on one stage can leave a half-made deploy. As Terraform's force-unlock.\n\n"
    + examples(("wsdeploy unlock prod 5b1c9e0e-8a9f-4f57-9a51-2c0e6f1d9a3b",
                "remove prod's lock with that id, as the refusal printed it"))
)


@app.command("unlock", help=UNLOCK_HELP,
             short_help="Remove the lock a killed `up` or `down` left on a stage in S3.")
def unlock_command(
    stage: str = typer.Argument(..., metavar="STAGE", help="The stage whose lock to remove."),
    lock_id: str = typer.Argument(..., metavar="LOCK_ID", help="The lock's id, as the refusal printed it."),
    config: Path = CONFIG_OPTION,
    profile: str = PROFILE_OPTION,
    region: str = REGION_OPTION,
    debug: bool = DEBUG_OPTION,
) -> None:
    opened = open_stage(config, stage, profile, region)
    holder = opened.store.unlock(lock_id)
    if holder is None:
        say(f"Stage {stage} is not locked: nothing to remove.")
        return
    who = holder.get("who") or f"process {holder.get('pid')} on {holder.get('host')}"
    say(f"Removed the lock {lock_id} of `wsdeploy {holder.get('command')}` by {who} (since "
        f"{holder.get('started')}). The next `up` finds what that run made and finishes it.",
        "bold green")
