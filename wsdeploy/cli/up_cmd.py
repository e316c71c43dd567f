"""`wsdeploy up`: build, plan, then create or update the stage; prints the wss:// URL."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ..config import check_region
from ..errors import UserError
from ..package import build_package
from ..provision.deploy import apply_up, dns_instructions, prepare_up, result_urls
from ..provision.desired import desired_from
from ..provision.kinds import destructive, spec
from ..provision.steps import Plan
from . import app
from .console import CHANGES_PENDING, console, error_console, warn
from .options import (CONFIG_OPTION, DEBUG_OPTION, PROFILE_OPTION, REGION_OPTION, STAGE_ARGUMENT,
                      VERBOSE_OPTION, examples)
from .render import (ProgressReporter, interrupted, print_result, require_terminal_or_yes, say,
                     show_plan)
from .stage import OpenStage, open_stage

UP_HELP = (
    "Deploy a stage to AWS: an API Gateway WebSocket API, one Lambda function, its IAM role "
    "and log group and, with connections enabled in wsdeploy.toml, a DynamoDB table of who is "
    "connected, made with direct API calls (no CloudFormation). Turning connections off "
    "deletes that table and everything in it: `up` asks first (--yes skips the question; "
    "without a terminal, --yes is required).\n\n"
    "First it builds the package and reads what already exists, then prints the plan: what "
    "it will create, update (and which fields), delete or adopt. Only what differs is "
    "changed: with nothing changed no write is made; changed code only updates the code. "
    "Files that look like secrets are left out of the package, with a warning naming them "
    "(see `wsdeploy package --help`).\n\n"
    "Each step is recorded in .wsdeploy/STAGE.json as soon as it is done, so an interrupted "
    "run is resumed by running `wsdeploy up` again. Ends by printing the wss:// URL: alone on "
    "stdout for scripts (url=$(wsdeploy up)), labelled \"URL\" on a terminal; with a custom "
    "domain, its URL first, then the API's own, one per line; with http_app, the HTTP API's "
    "https:// URL last (it serves the app's own routes through the same function).\n\n"
    "A stage's domain = { name = ... } gets an API Gateway domain name with the ACM certificate "
    "that covers it, a mapping to the stage and, when Route 53 hosts the name's zone, alias "
    "records; changing the name or turning it off deletes the old one, so `up` asks first.\n\n"
    "An app with an @on_authorize function gets it as $connect's Lambda REQUEST authorizer "
    "(with the permission for API Gateway to invoke it as that authorizer); auth = \"iam\" in "
    "wsdeploy.toml makes $connect need a SigV4-signed handshake instead.\n\n"
    "In a pipeline: `up --dry-run --exit-code` exits 0 when there is nothing to change and 3 "
    "when the plan changes something (2 stays a usage error); --json prints the plan and the "
    "result as one JSON document on stdout.\n\n"
    + examples(("wsdeploy up", "deploy the only stage (or default_stage)"),
               ("wsdeploy up prod --dry-run", "show what deploying prod would change"),
               ("wsdeploy up --profile work --region eu-west-1", "with another profile and region"))
)


@app.command("up", help=UP_HELP, short_help="Deploy a stage to AWS and print its wss:// URL.")
def up_command(
    stage: str = STAGE_ARGUMENT,
    config: Path = CONFIG_OPTION,
    profile: str = PROFILE_OPTION,
    region: str = REGION_OPTION,
    dry_run: bool = typer.Option(False, "--dry-run",
                                 help="Print the plan, including what is unchanged, and stop: only read calls are made."),
    refresh: bool = typer.Option(False, "--refresh",
                                 help="Check every resource against AWS, not only the function, API and routes, "
                                      "and repair what was changed by hand (a few more read calls)."),
    yes: bool = typer.Option(False, "--yes", "-y",
                             help="Carry out deletes that lose data or a name clients use (a connections "
                                  "table, a custom domain or http_app turned off) without asking. Without a "
                                  "terminal they need --yes."),
    exit_code: bool = typer.Option(False, "--exit-code",
                                   help="With --dry-run: exit 3 when the plan changes something, 0 when not."),
    as_json: bool = typer.Option(False, "--json",
                                 help="Print the plan and the result (the URLs) as one JSON document on stdout."),
    verbose: bool = VERBOSE_OPTION,
    debug: bool = DEBUG_OPTION,
) -> None:
    if exit_code and not dry_run:
        raise UserError("--exit-code goes with --dry-run: `wsdeploy up --dry-run --exit-code` exits 3 "
                        "when there is something to change, 0 when not")
    opened = open_stage(config, stage, profile, region, show_warnings=True)
    cfg, aws, store = opened.cfg, opened.aws, opened.store
    check_region(cfg, aws.region)
    built = build_package(cfg, progress=lambda line: say(line + " ..."))
    if built.left_out:
        files = "; ".join(f"{item.path} ({item.reason})" for item in built.left_out)
        warn(f"left out of the package, as they look like secrets: {files}. To package one, list "
             "it in include in wsdeploy.toml")
    d = desired_from(cfg, built, aws.region)
    say(f"Stage {cfg.stage} of {cfg.app} in {aws.region}: package {built.sha256_b64[:12]}…, "
        f"{len(d.routes)} routes")
    if dry_run:
        plan = prepare_up(aws, d, store, refresh).plan
        show_plan(plan, with_unchanged=True, verbose=verbose)
        say("Dry run: nothing was changed.")
        if as_json:
            print_result(up_json(opened, plan, None), wrap=False)
        if exit_code and plan.changes_aws:
            raise typer.Exit(CHANGES_PENDING)
        return
    reporter = ProgressReporter()
    with store.locked("up", reporter.notice):
        prepared = prepare_up(aws, d, store, refresh)
        reporter.compact = show_plan(prepared.plan, with_unchanged=False, verbose=verbose)
        confirm_deletes(prepared.plan, yes)
        try:
            url = apply_up(aws, d, store, prepared, reporter)
        except KeyboardInterrupt:
            interrupted(reporter, opened.where, "up", "what exists is found and kept, and the "
                        "rest is made")
            raise typer.Exit(130) from None
        finally:
            reporter.stop()
    if not prepared.plan.changes_aws:
        say(f"Up to date: nothing to change (recorded in {opened.where}).")
    else:
        say(f"Deployed; recorded in {opened.where}.", "bold green")
    record = store.load() or {}
    if dns_instructions(record):
        warn(dns_instructions(record))
    urls = result_urls(record) or [url]   # the custom domain's URL first
    if as_json:
        print_result(up_json(opened, prepared.plan, urls), wrap=False)
    else:
        show_urls(urls)


def show_urls(urls: list[str]) -> None:
    """The URLs alone on stdout for scripts, one per line; labelled where a person reads them."""
    if console.is_terminal:
        for url in urls:
            print_result(f"URL  {url}", wrap=False)
        return
    for url in urls:
        print_result(url, wrap=False)
    if error_console.is_terminal:
        for url in urls:
            say(f"URL  {url}", "bold")


def up_json(opened: OpenStage, plan: Plan, urls: list[str] | None) -> str:
    """`up --json`: the plan and the result, one document (`url` the first of `urls`, both
    null on a dry run)."""
    return json.dumps({**opened.as_json(), "dry_run": urls is None, "plan": plan.as_json(),
                       "changed": urls is not None and plan.changes_aws,
                       "url": urls[0] if urls else None, "urls": urls}, indent=2)


def confirm_deletes(plan: Plan, yes: bool) -> None:
    """Nothing that loses data runs unasked: a prompt on a terminal, else --yes; without
    either, stop before any write (exit 2), saying what would be lost."""
    steps = destructive(plan.steps)
    if not steps:
        return
    lost = "; ".join(f"{step.kind.label} {step.name} ({spec(step.kind).loses})" for step in steps)
    if require_terminal_or_yes(yes, "delete what this plan deletes", f". It would delete: {lost}") \
            and not typer.confirm(f"This deletes {lost}. Go on?", default=False, err=True):
        say("Nothing was changed.")
        raise typer.Exit(1)
