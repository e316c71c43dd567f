"""`wsdeploy state push|pull`: move a stage's local record to remote state, or read it there."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ..errors import UserError
from ..remote_state import push
from ..state import StateFile
from . import app
from .options import (CONFIG_OPTION, DEBUG_OPTION, PROFILE_OPTION, REGION_OPTION, STAGE_ARGUMENT,
                      examples)
from .render import print_result, say
from .stage import OpenStage, open_stage

state_app = typer.Typer(
    name="state", no_args_is_help=True,
    help="Move a stage's record to remote state (S3) and read it there: for stages whose "
         "wsdeploy.toml says state = \"s3://bucket/prefix\".\n\n"
         + examples(("wsdeploy state push prod", "move .wsdeploy/prod.json to S3"),
                    ("wsdeploy state pull prod", "print prod's record from S3")),
    short_help="Move a stage's record to S3 (push) or print it from there (pull).")
app.add_typer(state_app)


@state_app.callback()
def _state(debug: bool = DEBUG_OPTION) -> None:
    """Takes --debug before push or pull too, as every command does."""


def open_remote(config: Path | None, stage: str | None, profile: str | None,
                region: str | None) -> OpenStage:
    opened = open_stage(config, stage, profile, region)
    if not opened.remote:
        raise UserError(f"stage {opened.cfg.stage} keeps its record locally ({opened.where}): set "
                        "state = \"s3://bucket/prefix\" in [app] (or in the stage) of wsdeploy.toml "
                        "to keep it in S3")
    return opened


@state_app.command("push", short_help="Move the stage's local record to S3.", help=(
    "Move the stage's local record (.wsdeploy/STAGE.json) to the S3 object wsdeploy.toml's "
    "state names, then remove the local file. Refuses to replace a different record already "
    "there (nothing is pushed); the same record there is fine.\n\n"
    + examples(("wsdeploy state push prod", "move .wsdeploy/prod.json to S3"))))
def push_command(stage: str = STAGE_ARGUMENT, config: Path = CONFIG_OPTION,
                 profile: str = PROFILE_OPTION, region: str = REGION_OPTION,
                 debug: bool = DEBUG_OPTION) -> None:
    opened = open_remote(config, stage, profile, region)
    local = StateFile(opened.cfg.state_dir, opened.cfg.stage)
    say(push(local, opened.store).capitalize() + ".", "bold green")


@state_app.command("pull", short_help="Print the stage's record from S3.", help=(
    "Print the stage's record from S3 (JSON, on stdout): what wsdeploy created, by id. It "
    "holds no secrets.\n\n"
    + examples(("wsdeploy state pull prod > prod.json", "save prod's record from S3"))))
def pull_command(stage: str = STAGE_ARGUMENT, config: Path = CONFIG_OPTION,
                 profile: str = PROFILE_OPTION, region: str = REGION_OPTION,
                 debug: bool = DEBUG_OPTION) -> None:
    opened = open_remote(config, stage, profile, region)
    record = opened.store.load()
    if record is None:
        raise UserError(f"there is no record of stage {opened.cfg.stage} in {opened.where}: it "
                        "has not been deployed from there yet")
    print_result(json.dumps(record, indent=2, sort_keys=True))
