"""`wsdeploy status`: what is deployed, recorded against live, drift, and local code changes."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ..errors import UserError
from ..package import build_package
from ..provision.desired import desired_from
from ..provision.status import Report, stage_status
from . import app
from .console import CHANGES_PENDING, CONFIG_OPTION, STAGE_ARGUMENT
from .render import console, print_result, say, status_table, warn
from .stage import OpenStage, open_stage

STATUS_HELP = (
    "Show what a stage has in AWS: each resource recorded in .wsdeploy/STAGE.json against its "
    "live state (ok, missing, or drifted with the fields that differ), the URL, the last "
    "deploy time, and whether your local code differs from the deployed code.\n\n"
    "Drift means changed outside wsdeploy since the last `up`; `wsdeploy up --refresh` puts "
    "it back. Without a record on this machine, it finds the stage by names and tags. Makes "
    "read calls only.\n\n"
    "With --exit-code: exit 0 when there is nothing to do, 3 when `up` has something to do "
    "(not deployed, drift, local code that differs, an unfinished or unrecorded deploy)."
)


@app.command("status", help=STATUS_HELP)
def status_command(
    stage: str = STAGE_ARGUMENT,
    config: Path = CONFIG_OPTION,
    as_json: bool = typer.Option(False, "--json",
                                 help="Print one JSON object (stage, deployed, url, region, resources, drift, ...)."),
    exit_code: bool = typer.Option(False, "--exit-code",
                                   help="Exit 3 when `up` has something to do (drift, new code, not deployed), 0 when not."),
) -> None:
    opened = open_stage(config, stage)
    cfg = opened.cfg
    record = opened.load_record()
    built = None
    try:
        built = build_package(cfg)
    except UserError as error:
        warn(f"could not build the local package to compare code: {error}")
    report = stage_status(opened.aws, opened.names, record, built and built.sha256_b64,
                          built and desired_from(cfg, built, opened.aws.region))
    show_report(report, opened, as_json)
    if exit_code and report.changes_pending:
        raise typer.Exit(CHANGES_PENDING)


def show_report(report: Report, opened: OpenStage, as_json: bool) -> None:
    cfg = opened.cfg
    if as_json:
        print_result(json.dumps(report.as_json(), indent=2))
        return
    if not report.deployed:
        print_result(f"Stage {cfg.stage} of {cfg.app} is not deployed (no {opened.where}).")
        return
    if not report.recorded:
        say(f"Not recorded here (no {opened.where}): found by name and tags. `wsdeploy up` adopts "
            "it; with several machines, keep the record in S3 (state in wsdeploy.toml).", "yellow")
    print_result(f"Stage {cfg.stage} of {cfg.app}, account {report.account}, region {report.region}")
    if report.partly_deployed:
        print_result("URL          none yet: partly deployed")
        print_result("Last deploy  never finished")
    else:
        print_result(f"URL          {report.url}")
        print_result(f"Last deploy  {report.deployed_at or 'unknown: not recorded here'}")
    code = {None: "unknown", True: "differs from the deployed code: run `wsdeploy up`",
            False: "same as deployed"}[report.code_differs]
    print_result(f"Local code   {code}")
    console.print(status_table(report))
    if report.partly_deployed:
        lacking = f"; missing: {', '.join(report.missing)}" if report.missing else ""
        say(f"Partly deployed: an `up` was interrupted or failed before it finished{lacking}. "
            "Run `wsdeploy up` to finish.", "yellow")
    elif report.drift and report.recorded:
        say(f"{len(report.drift)} resource(s) differ from the record: `wsdeploy up --refresh` "
            "puts them back.", "yellow")
