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
from .console import CHANGES_PENDING
from .options import (CONFIG_OPTION, DEBUG_OPTION, PROFILE_OPTION, REGION_OPTION, STAGE_ARGUMENT,
                      examples)
from .render import local_time, print_result, say, show_status_rows, warn
from .stage import OpenStage, open_stage

STATUS_HELP = (
    "Show what a stage has in AWS: each resource recorded in .wsdeploy/STAGE.json against its "
    "live state (ok, missing, or drifted with the fields that differ), the URL (and a custom "
    "domain's, with its certificate's expiry: a warning under 30 days), the last deploy time, "
    "and whether your local code differs from the deployed code.\n\n"
    "Drift means changed outside wsdeploy since the last `up`; `wsdeploy up --refresh` puts "
    "it back. Without a record on this machine, it finds the stage by names and tags. Makes "
    "read calls only. Times are shown in your time zone, with their age.\n\n"
    "With --exit-code: exit 0 when there is nothing to do, 3 when `up` has something to do "
    "(not deployed, drift, local code that differs, an unfinished or unrecorded deploy).\n\n"
    + examples(("wsdeploy status", "the only stage (or default_stage)"),
               ("wsdeploy status prod --json | jq .drift", "what changed by hand in prod, for a script"),
               ("wsdeploy status --exit-code", "in CI: exit 3 when `up` has something to do"))
)


@app.command("status", help=STATUS_HELP,
             short_help="Show what a stage has in AWS, drift, and whether local code differs.")
def status_command(
    stage: str = STAGE_ARGUMENT,
    config: Path = CONFIG_OPTION,
    profile: str = PROFILE_OPTION,
    region: str = REGION_OPTION,
    as_json: bool = typer.Option(False, "--json",
                                 help="Print one JSON object (stage, deployed, url, region, resources, drift, ...); "
                                      "times in it are UTC, in ISO 8601."),
    exit_code: bool = typer.Option(False, "--exit-code",
                                   help="Exit 3 when `up` has something to do (drift, new code, not deployed), 0 when not."),
    debug: bool = DEBUG_OPTION,
) -> None:
    opened = open_stage(config, stage, profile, region)
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
        print_result(json.dumps(report.as_json(), indent=2), wrap=False)
        return
    if not report.deployed:
        print_result(f"Stage {cfg.stage} of {cfg.app} is not deployed (no {opened.where}).")
        return
    if not report.recorded:
        say(f"Not recorded here (no {opened.where}): found by name and tags. `wsdeploy up` adopts "
            "it; with several machines, keep the record in S3 (state in wsdeploy.toml).", "yellow")
    print_result(f"Stage {cfg.stage} of {cfg.app}, account {report.account}, region {report.region}")
    if report.custom_url:
        print_result(f"Custom URL   {report.custom_url}", wrap=False)
    if report.partly_deployed:
        print_result("URL          none yet: partly deployed")
        print_result("Last deploy  never finished")
    else:
        print_result(f"URL          {report.url}", wrap=False)
        if report.http_url:
            print_result(f"HTTP URL     {report.http_url}", wrap=False)
        print_result(f"Last deploy  {local_time(report.deployed_at) if report.deployed_at else 'unknown: not recorded here'}")
    if report.certificate:
        cert = report.certificate
        print_result(f"Certificate  {cert['arn']} ({cert['status'] or 'not found'}"
                     f"{', expires ' + cert['expires'][:10] if cert['expires'] else ''})", wrap=False)
    code = {None: "unknown", True: "differs from the deployed code: run `wsdeploy up`",
            False: "same as deployed"}[report.code_differs]
    print_result(f"Local code   {code}")
    show_status_rows(report)
    for note in report.notes:
        warn(note)
    if report.partly_deployed:
        lacking = f"; missing: {', '.join(report.missing)}" if report.missing else ""
        say(f"Partly deployed: an `up` was interrupted or failed before it finished{lacking}. "
            "Run `wsdeploy up` to finish.", "yellow")
    elif report.drift and report.recorded:
        say(f"{len(report.drift)} resource(s) differ from the record: `wsdeploy up --refresh` "
            "puts them back.", "yellow")
