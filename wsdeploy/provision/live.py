"""What AWS answers, as plain frozen values: the shapes `aws` returns and everything else reads.

Data only (no boto3, no I/O), so the planner, the status report and their tests can use these
shapes without an AWS client in sight.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

TTL_ON = frozenset({"ENABLED", "ENABLING"})


@dataclass(frozen=True)
class Identity:
    account: str
    partition: str


@dataclass(frozen=True)
class Role:
    name: str
    arn: str
    trust: Mapping[str, Any]
    tags: Mapping[str, str]


@dataclass(frozen=True)
class LogGroup:
    name: str
    retention_days: int | None


@dataclass(frozen=True)
class Api:
    id: str
    name: str
    route_selection: str
    tags: Mapping[str, str]
    created: str = ""             # CreatedDate, ISO 8601: orders duplicates


@dataclass(frozen=True)
class Integration:
    id: str
    uri: str


@dataclass(frozen=True)
class Route:
    id: str
    key: str
    target: str
    reply: bool   # RouteResponseSelectionExpression is "$default"


@dataclass(frozen=True)
class Stage:
    name: str
    auto_deploy: bool


@dataclass(frozen=True)
class Table:
    name: str
    arn: str
    status: str                                 # CREATING, UPDATING, DELETING, ACTIVE, ...
    billing_mode: str                           # PAY_PER_REQUEST or PROVISIONED
    keys: tuple[tuple[str, str, str], ...]      # (attribute, type, HASH/RANGE), HASH first


@dataclass(frozen=True)
class TimeToLive:
    status: str                                 # ENABLED, ENABLING, DISABLED, DISABLING
    attribute: str | None

    def on_for(self, attribute: str) -> bool:
        return self.status in TTL_ON and self.attribute == attribute


@dataclass(frozen=True)
class Function:
    name: str
    arn: str
    role: str
    handler: str
    runtime: str
    memory: int
    timeout: int
    architecture: str
    environment: Mapping[str, str] = field(repr=False)   # may hold the user's secrets
    code_sha256: str
    state: str | None
    last_update_status: str | None
    state_reason: str | None
    tags: Mapping[str, str]

    @property
    def busy(self) -> bool:
        """True while Lambda refuses updates (creating, or an update in progress)."""
        return self.state == "Pending" or self.last_update_status == "InProgress"

    @property
    def failed(self) -> bool:
        """Lambda gave up creating it (State Failed) or applying its last update."""
        return self.state == "Failed" or self.last_update_status == "Failed"


def arn_partition_account(arn: str) -> Identity:
    """The partition and account of any ARN (arn:PARTITION:service:region:ACCOUNT:...)."""
    parts = arn.split(":")
    return Identity(account=parts[4], partition=parts[1])
