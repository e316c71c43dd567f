"""Loading a stage's settings for every command, and opening it for the commands that talk to
AWS (up, down, status, logs, unlock, state, policy), in one place: its settings, an AWS
session for its profile and region (--profile and --region over wsdeploy.toml), its resource
names, and its state store: the local file, or the S3 object wsdeploy.toml's `state` names.

boto3 is imported here only when a command opens a stage, so `wsdeploy --help`, `dev`, `init`
and `package` never pay for it.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import CHECKS, StageConfig, load_stage
from ..errors import UserError
from ..provision import record as rec
from ..provision.desired import StageNames, names_from
from ..remote_state import Caller, S3State, parse_location
from ..state import StateFile, StateStore
from .console import say, warn

if TYPE_CHECKING:
    from ..provision.aws import Aws


@dataclass(frozen=True)
class OpenStage:
    cfg: StageConfig
    aws: "Aws"
    names: StageNames
    store: StateStore

    @property
    def where(self) -> str:
        """The record, as the user would name it: a path, or s3://bucket/key."""
        return self.store.where

    def as_json(self) -> dict:
        """What `--json` output says of the stage first."""
        return {"app": self.cfg.app, "stage": self.cfg.stage, "region": self.aws.region,
                "state": self.where}

    @property
    def remote(self) -> bool:
        return isinstance(self.store, S3State)

    def load_record(self) -> dict | None:
        """The record, refused when it names another region or other resource names."""
        record = self.store.load()
        rec.check_matches(record, self.names, self.where)
        return record


def load_settings(config: Path | None, stage: str | None, show_warnings: bool = True) -> StageConfig:
    """The stage's settings; says which file they come from when it is not ./wsdeploy.toml
    (found in a folder above, as git finds .git), and shows the file's warnings."""
    cfg = load_stage(config, stage)
    if config is None and cfg.config_path.parent != Path.cwd():
        say(f"Using {os.path.relpath(cfg.config_path)} (found in {cfg.project_dir}).", "dim")
    if show_warnings:
        for warning in cfg.warnings:
            warn(warning)
    return cfg


def with_flags(cfg: StageConfig, profile: str | None, region: str | None) -> StageConfig:
    """--profile and --region over the file's values; checked as the file's would be."""
    for flag, value in (("--profile", profile), ("--region", region)):
        problem = value is not None and CHECKS[flag.lstrip("-")](value)
        if problem:
            raise UserError(f"{flag}: {problem}")
    return dataclasses.replace(cfg, profile=profile or cfg.profile, region=region or cfg.region)


def connect(cfg: StageConfig) -> "Aws":
    """The AWS calls for a stage's profile and region; UserError when either is missing."""
    from ..provision.aws import Aws, make_session
    return Aws(make_session(cfg.profile, cfg.region))


def store_for(cfg: StageConfig, aws: "Aws") -> StateStore:
    """The stage's local state file, or its S3 object when `state` names a bucket. The S3
    store asks who the credentials are on its first call (the bucket's expected owner)."""
    local = StateFile(cfg.state_dir, cfg.stage)
    location = parse_location(cfg.state)
    if location is None:
        return local
    return S3State(aws, location, cfg.stage, lambda: Caller.of(aws.caller_arn()), local)


def open_stage(config: Path | None, stage: str | None, profile: str | None = None,
               region: str | None = None, show_warnings: bool = False) -> OpenStage:
    """Loads and checks wsdeploy.toml, picks the stage, connects to AWS."""
    cfg = with_flags(load_settings(config, stage, show_warnings), profile, region)
    aws = connect(cfg)
    return OpenStage(cfg, aws, names_from(cfg, aws.region), store_for(cfg, aws))
