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
    authorization: str = "NONE"        # AuthorizationType: NONE, CUSTOM, AWS_IAM
    authorizer_id: str | None = None   # with CUSTOM


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
    reserved_concurrency: int | None = None   # GetFunction's Concurrency; None: not reserved
    vpc: tuple = ((), ())                     # (subnet ids, security group ids), sorted

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


@dataclass(frozen=True)
class DomainName:
    """An API Gateway custom domain name and its one (regional) configuration."""

    name: str
    certificate_arn: str
    target: str                  # ApiGatewayDomainName: d-xxxx.execute-api.REGION.amazonaws.com
    target_zone_id: str          # the Route 53 zone of that target, for alias records
    endpoint_type: str
    security_policy: str
    ip_address_type: str
    status: str                  # DomainNameStatus: AVAILABLE, UPDATING, ...
    tags: Mapping[str, str]


@dataclass(frozen=True)
class ApiMapping:
    id: str
    api_id: str
    stage: str
    key: str                     # the base path; "" for the name's root


@dataclass(frozen=True)
class Certificate:
    """An ACM certificate as a listing or a description shows it. Read from the record
    (trusted), only `arn` is known."""

    arn: str
    names: tuple[str, ...] = ()          # DomainName and subject alternative names
    status: str | None = None            # ISSUED, PENDING_VALIDATION, EXPIRED, ...
    key_algorithm: str | None = None     # RSA_2048, EC_prime256v1, ...
    not_after: Any = None                # datetime, when read
    names_complete: bool = True          # False: a listing cut the names at 100


@dataclass(frozen=True)
class HostedZone:
    id: str                      # without /hostedzone/
    name: str                    # without the trailing dot
    private: bool = False


@dataclass(frozen=True)
class RecordSet:
    """One Route 53 record set; `raw` is what ListResourceRecordSets answered, which a DELETE
    must repeat exactly."""

    name: str                    # without the trailing dot
    type: str
    alias_target: str | None     # an alias's DNS name, lowercase, without the trailing dot
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Authorizer:
    id: str
    name: str
    identity: tuple[str, ...]
    uri: str


@dataclass(frozen=True)
class HttpIntegration:
    """An HTTP API's integration: what it invokes, and how it shapes the event."""

    id: str
    uri: str
    payload_version: str
    integration_type: str
