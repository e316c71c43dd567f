"""What exists, as the planner sees it: one `Seen*` value per resource, gathered in `Observed`.

Data only: `observe` fills these from the record and AWS's answers; the planner, status and
their unit tests read them without any I/O. `recorded` says whether the state file names the
resource (False: found by name and tags, to be adopted).
"""

from __future__ import annotations

from dataclasses import dataclass

from .desired import TTL_ATTRIBUTE
from .live import TTL_ON, Certificate, Function, HostedZone, Identity


@dataclass(frozen=True)
class SeenRole:
    arn: str
    trust_sha256: str | None
    recorded: bool


@dataclass(frozen=True)
class SeenPolicy:
    sha256: str
    recorded: bool


@dataclass(frozen=True)
class SeenLogGroup:
    retention_days: int | None
    recorded: bool


@dataclass(frozen=True)
class SeenTable:
    arn: str
    status: str | None                 # None: not read (trusted from the record)
    billing_mode: str
    ttl_status: str                    # ENABLED, ENABLING, DISABLED, DISABLING
    ttl_attribute: str | None
    recorded: bool
    keys_ok: bool = True               # pk (S) + sk (S), as the runtime needs

    @property
    def ttl_on(self) -> bool:
        return self.ttl_status in TTL_ON and self.ttl_attribute == TTL_ATTRIBUTE

    @property
    def deleting(self) -> bool:
        """Being deleted: as good as gone, except that its name is not free yet."""
        return self.status == "DELETING"

    @property
    def busy(self) -> bool:
        """May not be ACTIVE yet: created or updated moments ago, or recorded before its TTL
        was turned on (a run stopped in between), so it is waited for before it is changed."""
        return self.status in ("CREATING", "UPDATING") or (self.status is None and not self.ttl_on)


@dataclass(frozen=True)
class SeenApi:
    id: str
    route_selection: str
    recorded: bool


@dataclass(frozen=True)
class SeenFunction:
    live: Function
    recorded: bool


@dataclass(frozen=True)
class SeenPermission:
    source_arn: str
    recorded: bool


@dataclass(frozen=True)
class SeenIntegration:
    id: str
    uri: str
    recorded: bool


@dataclass(frozen=True)
class SeenRoute:
    key: str
    id: str
    target: str
    reply: bool
    recorded: bool
    response_id: str | None = None     # the "$default" route response, when known
    authorization: str = "NONE"        # AuthorizationType ($connect: NONE, CUSTOM, AWS_IAM)
    authorizer_id: str | None = None


@dataclass(frozen=True)
class SeenStage:
    auto_deploy: bool | None           # None: not read (trusted from the record)
    recorded: bool


@dataclass(frozen=True)
class SeenDomainName:
    name: str
    certificate_arn: str
    target: str                        # the regional target alias records point at
    target_zone_id: str
    recorded: bool
    settings_ok: bool = True           # REGIONAL, TLS 1.2, dualstack (False only when read)


@dataclass(frozen=True)
class SeenApiMapping:
    id: str
    api_id: str
    stage: str
    key: str
    recorded: bool


@dataclass(frozen=True)
class SeenDnsRecords:
    zone_id: str
    zone_name: str
    name: str
    target: str | None                 # what both records alias; None: not both to one target
    recorded: bool


@dataclass(frozen=True)
class SeenAuthorizer:
    id: str
    name: str
    identity: tuple[str, ...]
    uri: str | None                    # None: not read (trusted from the record)
    recorded: bool


@dataclass(frozen=True)
class SeenAppPolicy:
    sha256: str
    statements: tuple | None           # the IAM statements (recorded or read); None: unknown
    recorded: bool


@dataclass(frozen=True)
class SeenHttpApi:
    id: str
    recorded: bool


@dataclass(frozen=True)
class SeenHttpIntegration:
    id: str
    uri: str
    payload_version: str | None        # None: not read (trusted from the record)
    recorded: bool


@dataclass(frozen=True)
class SeenHttpRoute:
    id: str
    target: str
    recorded: bool


@dataclass(frozen=True)
class SeenManagedPolicies:
    arns: tuple[str, ...]              # attached (read), or as recorded
    recorded: bool
    ours: tuple[str, ...] = ()         # those the record names: wsdeploy attached them


@dataclass(frozen=True)
class SeenConcurrency:
    reserved: int                      # as GetFunction shows it
    recorded: bool


@dataclass(frozen=True)
class Observed:
    """Each resource that exists, or None; `recorded` says whether the state file has it."""

    identity: Identity | None
    role: SeenRole | None = None
    role_policy: SeenPolicy | None = None
    log_group: SeenLogGroup | None = None
    table: SeenTable | None = None
    api: SeenApi | None = None
    function: SeenFunction | None = None
    permission: SeenPermission | None = None
    integration: SeenIntegration | None = None
    routes: tuple[SeenRoute, ...] = ()
    stage: SeenStage | None = None
    extra_apis: tuple[str, ...] = ()           # ids: this stage's too, beside `api`
    extra_integrations: tuple[str, ...] = ()   # ids: on `api`, invoking our function too
    domain_name: SeenDomainName | None = None  # the recorded one, else the wanted one if ours
    api_mapping: SeenApiMapping | None = None  # on `domain_name`, to our API
    dns_records: SeenDnsRecords | None = None
    certificate: Certificate | None = None     # the one the domain should use (trusted: arn only)
    zone: HostedZone | None = None             # where its records should be; None: not in Route 53
    authorizer: SeenAuthorizer | None = None   # $connect's REQUEST authorizer (issue 11)
    authorizer_permission: SeenPermission | None = None   # the function's statement for it
    http_api: SeenHttpApi | None = None        # the HTTP API of http_app (observe_http.py)
    http_integration: SeenHttpIntegration | None = None
    http_route: SeenHttpRoute | None = None    # its $default route
    http_stage: SeenStage | None = None        # its $default stage
    http_permission: SeenPermission | None = None   # the function's statement for it
    http_extra_integrations: tuple[str, ...] = ()   # ids: on `http_api`, invoking our function too
    app_policy: SeenAppPolicy | None = None    # the role's `app` inline policy
    managed_policies: SeenManagedPolicies | None = None
    concurrency: SeenConcurrency | None = None   # the function's reserved concurrency, if any

    def route(self, key: str) -> SeenRoute | None:
        return next((r for r in self.routes if r.key == key), None)
