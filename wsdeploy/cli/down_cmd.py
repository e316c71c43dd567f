"""`wsdeploy down`: delete everything `up` created for a stage, then its state file."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ..provision.teardown import Teardown, apply_down, prepare_down
from . import app
from .options import (CONFIG_OPTION, DEBUG_OPTION, PROFILE_OPTION, REGION_OPTION, STAGE_ARGUMENT,
                      examples)
from .render import (ProgressReporter, error_console, interrupted, print_result,
                     require_terminal_or_yes, say, step_line)
from .stage import OpenStage, open_stage

DOWN_HELP = (
    "Delete a stage from AWS: a custom domain's DNS records and domain name (with its API "
    "mapping), the WebSocket API (with its routes, integration and stage), the "
    "function (with its permission), the connections table (with every item in it), the IAM "
    "role and its policy, and the log group.\n\n"
    "What .wsdeploy/STAGE.json records is deleted by id; anything it does not record (a lost "
    "state file, an interrupted run) is found by name and the wsdeploy:app / wsdeploy:stage "
    "tags. What is already gone is fine, so running it twice is harmless. The state file is "
    "removed last.\n\n"
    "Asks before deleting; --yes skips the question, and without a terminal --yes is required.\n\n"
    + examples(("wsdeploy down", "list what the only stage has, ask, then delete it"),
               ("wsdeploy down prod --yes --keep-logs", "delete prod without asking; keep its logs"))
)


@app.command("down", help=DOWN_HELP, short_help="Delete everything `up` made for a stage.")
def down_command(
    stage: str = STAGE_ARGUMENT,
    config: Path = CONFIG_OPTION,
    profile: str = PROFILE_OPTION,
    region: str = REGION_OPTION,
    yes: bool = typer.Option(False, "--yes", "-y", help="Delete without asking."),
    keep_logs: bool = typer.Option(False, "--keep-logs", help="Keep the CloudWatch log group and its logs."),
    as_json: bool = typer.Option(False, "--json",
                                 help="Print what was deleted as one JSON document on stdout."),
    debug: bool = DEBUG_OPTION,
) -> None:
    opened = open_stage(config, stage, profile, region)
    cfg, aws, names, store = opened.cfg, opened.aws, opened.names, opened.store
    reporter = ProgressReporter()
    with store.locked("down", reporter.notice):
        teardown = prepare_down(aws, names, store, keep_logs)
        for notice in teardown.notices:
            say(notice, "yellow")
        if not teardown.steps:
            store.remove()
            say(f"Nothing to delete: stage {cfg.stage} of {cfg.app} has no resources in {aws.region}.")
            if as_json:
                print_result(down_json(opened, teardown), wrap=False)
            return
        say(f"Deleting stage {cfg.stage} of {cfg.app} in {aws.region}:", "bold")
        for step in teardown.steps:
            error_console.print("  " + step_line(step), highlight=False)
        if require_terminal_or_yes(yes, "delete these resources") and not typer.confirm(
                "Delete them?", default=False, err=True):
            say("Nothing was deleted.")
            raise typer.Exit(1)
        try:
            apply_down(aws, names, store, teardown, reporter)
        except KeyboardInterrupt:
            interrupted(reporter, opened.where, "down", "what is gone already is fine")
            raise typer.Exit(130) from None
        finally:
            reporter.stop()
    say(f"Deleted stage {cfg.stage}; {opened.where} is removed.", "bold green")
    if as_json:
        print_result(down_json(opened, teardown), wrap=False)


def down_json(opened: OpenStage, teardown: Teardown) -> str:
    """`down --json`: what was deleted (each step), and the notices (what was left alone)."""
    return json.dumps({**opened.as_json(), "deleted": [step.as_json() for step in teardown.steps],
                       "notices": list(teardown.notices)}, indent=2)
