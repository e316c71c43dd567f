"""Opening a stage for the commands that talk to AWS (up, down, status, logs), in one place:
its settings, an AWS session for its profile and region, its resource names, its state file.

boto3 is imported here only when a command opens a stage, so `wsdeploy --help`, `dev`, `init`
and `package` never pay for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import StageConfig, load_stage
from ..provision import record as rec
from ..provision.deploy import shown
from ..provision.desired import StageNames, names_from
from ..state import StateFile
from .console import warn

if TYPE_CHECKING:
    from ..provision.aws import Aws


@dataclass(frozen=True)
class OpenStage:
    cfg: StageConfig
    aws: "Aws"
    names: StageNames
    store: StateFile

    @property
    def where(self) -> str:
        """The state file, as the user would type its path."""
        return shown(self.store.path)

    def load_record(self) -> dict | None:
        """The record, refused when it names another region or other resource names."""
        record = self.store.load()
        rec.check_matches(record, self.names, self.where)
        return record


def connect(cfg: StageConfig) -> "Aws":
    """The AWS calls for a stage's profile and region; UserError when either is missing."""
    from ..provision.aws import Aws, make_session
    return Aws(make_session(cfg.profile, cfg.region))


def open_stage(config: Path | None, stage: str | None, show_warnings: bool = False) -> OpenStage:
    """Loads and checks wsdeploy.toml, picks the stage, connects to AWS."""
    cfg = load_stage(config, stage)
    if show_warnings:
        for warning in cfg.warnings:
            warn(warning)
    aws = connect(cfg)
    return OpenStage(cfg, aws, names_from(cfg, aws.region), StateFile(cfg.state_dir, cfg.stage))
