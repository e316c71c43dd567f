"""What one `wsdeploy dev` run serves, gathered from wsdeploy.toml and the command line."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from ..runtime.env import connections_environment as runtime_connections_environment
from . import ids, limits
from .context import Function
from .front_door import HttpLimits, connection_cap

if TYPE_CHECKING:
    from ..config import StageConfig

INTEGRATION_TIMEOUT_SECONDS = 29.0  # the gateway's ceiling, whatever the function's timeout


@dataclass(frozen=True)
class DevSettings:
    source_dir: Path
    handler_module: str
    function: Function
    stage: str = "dev"
    host: str = "127.0.0.1"
    port: int = 8765
    route_selection: str = "$request.body.action"
    idle_timeout: float = limits.IDLE_TIMEOUT_SECONDS
    max_duration: float = limits.MAX_DURATION_SECONDS
    environment: Mapping[str, str] = field(default_factory=dict)
    exclude: tuple[str, ...] = ()  # globs of files whose edits don't reload (wsdeploy.toml's)
    api_id: str = ""  # empty: derived from the function name
    workers: int = 128  # Lambda runs events side by side; so do we
    poll_seconds: float | None = 0.5  # how often to look for edits between events
    integration_timeout: float = INTEGRATION_TIMEOUT_SECONDS
    first_line_timeout: float = 10.0  # a new TCP connection that sends no request line is closed
    stop_grace: float = 5.0  # stopping waits this long for handlers (and $disconnect) to finish
    # What one client may cost (limits.py says why; README, "Run it locally", says how much).
    max_unsent_bytes: int = limits.MAX_UNSENT_BYTES
    max_running_per_connection: int = limits.MAX_RUNNING_PER_CONNECTION
    max_queued_bytes: int = limits.MAX_QUEUED_BYTES
    http_head_timeout: float = HttpLimits.head_timeout
    http_body_timeout: float = HttpLimits.body_timeout
    http_idle_timeout: float = HttpLimits.idle_timeout
    max_http_connections: int = HttpLimits.max_connections  # fewer if few files may be open
    # [app.connections] enabled: `connections` keeps its records in memory. Off, `connections`
    # fails as it would in the deployed function, instead of working here only.
    connections: bool = False
    auth: str = "none"  # "iam": handshakes without a SigV4 signature get 403 (connect_guard.py)
    http_app: str | None = None  # "module:attribute": other requests go to it (issue 17)

    def __post_init__(self) -> None:
        if not self.api_id:
            object.__setattr__(self, "api_id", ids.api_id_for(self.function.name))

    def http_limits(self, open_files: int) -> HttpLimits:
        """The front door's limits, for a process that may open `open_files` files."""
        return HttpLimits(self.first_line_timeout, self.http_head_timeout, self.http_body_timeout,
                          self.http_idle_timeout, connection_cap(open_files,
                                                                 self.max_http_connections))

    @classmethod
    def from_stage(cls, cfg: StageConfig, handler_module: str, **overrides) -> DevSettings:
        """Settings for one stage of wsdeploy.toml; `overrides` come from the command line."""
        region = (cfg.region or os.environ.get("AWS_REGION")
                  or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1")
        function = Function(name=cfg.resource_name, region=region,
                            memory_mb=cfg.memory, timeout_s=cfg.timeout)
        return cls(source_dir=cfg.source_dir, handler_module=handler_module, function=function,
                   stage=cfg.stage, route_selection=cfg.route_selection,
                   environment={**cfg.environment, **connections_environment(cfg)},
                   connections=cfg.connections.enabled, auth=getattr(cfg, "auth", "none"),
                   http_app=cfg.http_app,
                   exclude=tuple(cfg.exclude),
                   integration_timeout=min(INTEGRATION_TIMEOUT_SECONDS, float(cfg.timeout)),
                   **overrides)


def connections_environment(cfg: StageConfig) -> dict[str, str]:
    """[app.connections] as the deployed function gets it; the records stay in memory here."""
    tracking = cfg.connections
    if not tracking.enabled:
        return {}
    return runtime_connections_environment(cfg.connections_table, tracking.ttl_hours, tracking.track)
