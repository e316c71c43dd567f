"""`wsdeploy logs`: the function's CloudWatch log events, once or followed."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import typer

from ..provision.deploy import reading
from ..provision.logs import log_events, since_ms
from . import app
from .options import (CONFIG_OPTION, DEBUG_OPTION, PROFILE_OPTION, REGION_OPTION, STAGE_ARGUMENT,
                      examples)
from .render import print_result, say
from .stage import open_stage

LOGS_HELP = (
    "Print the function's log events from CloudWatch Logs (its group /aws/lambda/APP-STAGE-ws), "
    "oldest first, each with its UTC time. With --follow, keeps printing new events until "
    "Ctrl-C.\n\n"
    + examples(("wsdeploy logs --since 2h", "the last two hours"),
               ("wsdeploy logs -f --filter ERROR", "follow the lines that contain ERROR"),
               ("wsdeploy logs --since 2026-05-01T14:00 --filter '\"Task timed out\"'",
                "timeouts since 14:00 UTC"))
)


@app.command("logs", help=LOGS_HELP, short_help="Print the function's CloudWatch log events.")
def logs_command(
    stage: str = STAGE_ARGUMENT,
    config: Path = CONFIG_OPTION,
    profile: str = PROFILE_OPTION,
    region: str = REGION_OPTION,
    since: str = typer.Option("10m", "--since", metavar="WHEN",
                              help="Where to start: a duration back from now (30s, 10m, 2h, 1d) or "
                                   "an ISO 8601 time (2026-05-01T14:30; UTC, as printed, unless it "
                                   "has an offset such as +02:00)."),
    pattern: str = typer.Option(None, "--filter", metavar="PATTERN",
                                help="Only events matching this CloudWatch Logs filter pattern: "
                                     "ERROR (a term), \"Task timed out\" (a phrase), ?ERROR "
                                     "?WARN (either), or { $.level = \"error\" } for JSON lines."),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing new events until Ctrl-C."),
    debug: bool = DEBUG_OPTION,
) -> None:
    start_ms = since_ms(since)
    opened = open_stage(config, stage, profile, region)
    aws, group = opened.aws, opened.names.log_group
    printed = 0
    matching = f" matching {pattern}" if pattern else ""

    waited: list[bool] = []

    def idle() -> None:
        """Said once, while following, when nothing has come yet."""
        if not printed and not waited:
            waited.append(True)
            say(f"Waiting for log events in {group}{matching} (Ctrl-C stops) ...", "dim")

    try:
        with reading():
            for event in log_events(aws, group, start_ms, follow, pattern=pattern, idle=idle):
                moment = datetime.fromtimestamp(event.get("timestamp", 0) / 1000, timezone.utc)
                print_result(f"{moment:%Y-%m-%d %H:%M:%S} {event.get('message', '').rstrip()}")
                printed += 1
    except KeyboardInterrupt:
        return
    if not printed:
        start = datetime.fromtimestamp(start_ms / 1000, timezone.utc)
        say(f"No log events{matching} in {group} since {start:%Y-%m-%d %H:%M:%S} UTC.")
