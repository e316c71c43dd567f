"""`wsdeploy dev`: run the app's handlers behind a local API Gateway WebSocket API."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
from pathlib import Path

import typer
from rich.markup import escape

from ..discover import find_handler_module
from ..emulator import DevSettings, EventRecord, Gateway
from ..emulator.limits import IDLE_TIMEOUT_SECONDS, MAX_DURATION_SECONDS
from ..emulator.routing import RouteSelectionError
from ..errors import UserError
from . import app
from .console import console, error_console
from .options import CONFIG_OPTION, DEBUG_OPTION, examples
from .stage import load_settings

DEV_HELP = (
    "Run the app locally behind an emulated API Gateway WebSocket API.\n\n"
    "Clients connect to ws://HOST:PORT/STAGE (try: python -m websockets ws://127.0.0.1:8765/dev, "
    "or wscat -c ws://127.0.0.1:8765/dev). The "
    "@connections management API, which send_message and boto3's apigatewaymanagementapi "
    "client use, answers at http://HOST:PORT/STAGE/@connections/ID on the same port. Events, "
    "route selection, replies, size limits, timeouts and error frames follow the real gateway.\n\n"
    "With http_app in wsdeploy.toml, every other request on the port (http://HOST:PORT/...) goes "
    "to that WSGI/ASGI app as the HTTP API's event (payload format 2.0), one line per request.\n\n"
    "Handlers run through the same entry point as in Lambda, with the stage's environment from "
    "wsdeploy.toml. Saving a Python file of the app takes effect on the next event, without "
    "dropping connections; a change that fails to import is reported and the last good "
    "version keeps serving. Ctrl-C stops.\n\n"
    "An @on_authorize function runs before $connect as the deployed API's authorizer would "
    "(401, 403, or the principal in every later event); with auth = \"iam\", an unsigned "
    "handshake gets 403.\n\n"
    + examples(("wsdeploy dev", "serve the only stage on ws://127.0.0.1:8765/dev"),
               ("wsdeploy dev prod --port 9000 -q", "prod's settings on port 9000, no line per event"))
)


def _status_style(status: int | str) -> str:
    if isinstance(status, int) and 200 <= status < 300:
        return "green"
    return "red" if status in ("error", "Forbidden") or isinstance(status, int) and status >= 500 else "yellow"


def _print_event(record: EventRecord) -> None:
    style = _status_style(record.status)
    console.print(
        f"{time.strftime('%H:%M:%S')}  {escape(record.route_key):<14} {record.connection_id}  "
        f"[{style}]{record.status!s:>9}[/]  {record.duration_ms:7.1f} ms"
        + (f"  [{'red' if style != 'green' else 'default'}]{escape(record.detail.splitlines()[-1])}[/]"
           if record.detail else ""),   # an authorizer's "allow PRINCIPAL" is no error
        highlight=False, soft_wrap=True,  # one line per event, however narrow the terminal
    )


def _print_notice(gateway: Gateway, kind: str, text: str) -> None:
    if kind == "limit":
        error_console.print(f"[yellow]limit:[/] {escape(text)}", highlight=False, soft_wrap=True)
        return
    if kind == "abandoned":
        error_console.print(f"[yellow]{escape(text)}[/]", highlight=False, soft_wrap=True)
        return
    if kind == "reloaded":
        console.print(f"[cyan]reloaded[/] {escape(gateway.settings.handler_module)}: routes "
                      f"{escape(text)}", highlight=False, soft_wrap=True)
        return
    still = ("still serving the last good version" if gateway.loader.routes is not None
             else "events fail until it imports")
    error_console.print(f"[bold red]{escape(gateway.settings.handler_module)} failed to import"
                        f"[/] ({still}; save a fix to reload):\n{escape(text)}",
                        highlight=False, soft_wrap=True)


def _configure_logging() -> None:
    """Show the app's log lines (INFO and up), as CloudWatch would; keep libraries quiet."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("websockets", "botocore", "boto3", "urllib3", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


async def _check_auth(gateway: Gateway) -> None:
    """auth = "iam" and an @on_authorize function: the mistake `up` refuses too (auth_mode.py)."""
    from ..runtime.registry import REGISTRY

    authorizer = REGISTRY.authorizer
    if gateway.settings.auth == "iam" and authorizer is not None:
        await gateway.stop()
        raise UserError(
            f'stage {gateway.settings.stage} sets auth = "iam", but the app registers an authorizer '
            f"({authorizer.name}); API Gateway guards $connect with one of them: remove "
            'auth = "iam" or the @on_authorize function')


async def _serve(settings: DevSettings, quiet: bool) -> None:
    gateway = Gateway(settings, on_event=(lambda record: None) if quiet else _print_event,
                      on_notice=lambda kind, text: _print_notice(gateway, kind, text))
    await gateway.start()
    await _check_auth(gateway)
    routes = ", ".join(sorted(gateway.loader.routes or {})) or "(none: the module failed to import)"
    console.print(
        f"[bold]wsdeploy dev[/]: {escape(settings.function.name)}, handlers from "
        f"{escape(settings.handler_module)} in {escape(str(settings.source_dir))}\n"
        f"  WebSocket     {gateway.url}\n"
        f"  @connections  {gateway.management_url}/@connections/{{connectionId}}\n"
        + (f"  HTTP app      http://{settings.host}:{gateway.port}/ ({escape(settings.http_app)}: "
           "every other request)\n" if settings.http_app else "")
        + f"  routes        {escape(routes)}\n"
        "Edits take effect on the next event. Ctrl-C stops.", highlight=False)
    stop = asyncio.Event()

    def on_signal() -> None:
        if not stop.is_set():
            stop.set()
            return
        # A second Ctrl-C: don't wait for handlers still running (their threads are daemons).
        console.print("stopped at once", highlight=False)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal)
    try:
        await stop.wait()
    finally:
        console.print("stopping: closing connections (Ctrl-C again to stop at once)",
                      highlight=False)
        await gateway.stop()


@app.command("dev", help=DEV_HELP, short_help="Run the app locally behind an emulated gateway.")
def dev_command(
    stage: str = typer.Argument(
        None, metavar="STAGE",
        help="The stage from wsdeploy.toml whose settings and environment to use. Default: its "
             "only stage, or its default_stage. It is also the URL's path: ws://HOST:PORT/STAGE.",
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="The address to listen on."),
    port: int = typer.Option(8765, "--port", min=0, max=65535,
                             help="The port for both WebSocket clients and @connections "
                                  "(0: any free port; the URL printed says which)."),
    config: Path = CONFIG_OPTION,
    quiet: bool = typer.Option(False, "--quiet", "-q",
                               help="Don't print a line per event (route, connection id, "
                                    "status, duration)."),
    idle_timeout: float = typer.Option(
        IDLE_TIMEOUT_SECONDS, "--idle-timeout", metavar="SECONDS", min=0.05,
        help="Close a connection with no messages for this long (code 1001), as the gateway "
             "does after 10 minutes."),
    max_duration: float = typer.Option(
        MAX_DURATION_SECONDS, "--max-duration", metavar="SECONDS", min=0.05,
        help="Close any connection this old (code 1001), as the gateway does after 2 hours."),
    debug: bool = DEBUG_OPTION,
) -> None:
    """Load the stage, find the handler module, serve until Ctrl-C."""
    cfg = load_settings(config, stage)
    try:
        settings = DevSettings.from_stage(cfg, find_handler_module(cfg), host=host, port=port,
                                          idle_timeout=idle_timeout, max_duration=max_duration)
        if cfg.secrets:    # [app.secrets]: the shell's, else AWS's (dev_secrets.py)
            from dataclasses import replace
            from ..dev_secrets import resolve_for_dev
            settings = replace(settings, environment={**settings.environment, **resolve_for_dev(cfg)})
        _configure_logging()
        asyncio.run(_serve(settings, quiet))
    except RouteSelectionError as error:
        raise UserError(f"{cfg.config_path.name}: route_selection: {error}") from None
