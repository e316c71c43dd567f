"""`wsdeploy logs`: the function's CloudWatch log events, once or followed."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

import typer

from ..provision.deploy import reading
from ..provision.logs import log_events, parse_since
from . import app
from .console import CONFIG_OPTION, STAGE_ARGUMENT
from .render import print_result, say
from .stage import open_stage

LOGS_HELP = (
    "Print the function's log events from CloudWatch Logs (its group /aws/lambda/APP-STAGE-ws), "
    "oldest first, each with its UTC time. With --follow, keeps printing new events until "
    "Ctrl-C."
)


@app.command("logs", help=LOGS_HELP)
def logs_command(
    stage: str = STAGE_ARGUMENT,
    config: Path = CONFIG_OPTION,
    since: str = typer.Option("10m", "--since", metavar="DURATION",
                              help="How far back to start: 30s, 10m, 2h, 1d."),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing new events until Ctrl-C."),
) -> None:
    start_ms = int((time.time() - parse_since(since)) * 1000)
    opened = open_stage(config, stage)
    aws, group = opened.aws, opened.names.log_group
    printed = 0
    try:
        with reading():
            for event in log_events(aws, group, start_ms, follow):
                moment = datetime.fromtimestamp(event.get("timestamp", 0) / 1000, timezone.utc)
                print_result(f"{moment:%Y-%m-%d %H:%M:%S} {event.get('message', '').rstrip()}")
                printed += 1
    except KeyboardInterrupt:
        return
    if not printed:
        say(f"No log events in {group} since {since} ago.")
