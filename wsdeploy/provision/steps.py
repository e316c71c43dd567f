"""A plan as data: which kind of resource, what is done to it, and why.

`up` and `down` both produce `Step`s and hand them to the one executor; `up --dry-run` and the
CLI print them. Data only: the registry (`kinds.py`) says what each kind's steps do.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """Every kind of step, in the order the state file lists what it records.

    Some kinds are steps of a resource rather than resources (`function_code`, `table_ttl`,
    `route_response`): the registry names the resource each belongs to."""

    ROLE = "role"
    ROLE_POLICY = "role_policy"
    LOG_GROUP = "log_group"
    TABLE = "table"
    TABLE_TTL = "table_ttl"
    API = "api"
    FUNCTION = "function"
    FUNCTION_CODE = "function_code"
    PERMISSION = "permission"
    INTEGRATION = "integration"
    ROUTE = "route"
    ROUTE_RESPONSE = "route_response"
    STAGE = "stage"
    DOMAIN_NAME = "domain_name"
    API_MAPPING = "api_mapping"
    DNS_RECORDS = "dns_records"
    AUTHORIZER = "authorizer"
    AUTHORIZER_PERMISSION = "authorizer_permission"
    HTTP_API = "http_api"
    HTTP_INTEGRATION = "http_integration"
    HTTP_ROUTE = "http_route"
    HTTP_STAGE = "http_stage"
    HTTP_PERMISSION = "http_permission"
    APP_POLICY = "app_policy"            # the app's own inline policy (`permissions`)
    MANAGED_POLICY = "managed_policy"    # one managed policy attached to the role
    CONCURRENCY = "concurrency"          # the function's reserved concurrency

    @property
    def label(self) -> str:
        """How people read it: "role policy"."""
        return self.value.replace("_", " ")

    @property
    def resource(self) -> Kind:
        """The resource a step of this kind changes (itself, or the one it is a step of)."""
        return _PART_OF.get(self, self)


_PART_OF = {Kind.FUNCTION_CODE: Kind.FUNCTION, Kind.TABLE_TTL: Kind.TABLE,
            Kind.ROUTE_RESPONSE: Kind.ROUTE}


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    ADOPT = "adopt"          # only records what was found by name and tags: no AWS call
    WAIT = "wait for"        # not planned: names the executor's last wait in a failure


@dataclass(frozen=True)
class Step:
    """One change: `kind` of resource, `action` create/update/delete/adopt, and why."""

    kind: Kind
    action: Action
    name: str
    changes: tuple[str, ...] = ()
    why: str = ""

    def __post_init__(self) -> None:
        # Steps are written with plain strings too ("api", "delete"): keep them typed.
        object.__setattr__(self, "kind", Kind(self.kind))
        object.__setattr__(self, "action", Action(self.action))

    @property
    def calls_aws(self) -> bool:
        return self.action != Action.ADOPT

    def describe(self) -> str:
        text = f"{self.action} {self.kind.label} {self.name}"
        if self.changes:
            text += f" ({', '.join(self.changes)})"
        return text + (f": {self.why}" if self.why else "")

    def as_json(self) -> dict:
        return {"kind": self.kind.value, "action": self.action.value, "name": self.name,
                "changes": list(self.changes), "why": self.why}


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]
    unchanged: tuple[tuple[str, str], ...]
    notes: tuple[str, ...] = ()

    @property
    def changes_aws(self) -> bool:
        return any(step.calls_aws for step in self.steps)

    def count(self, action: str) -> int:
        return sum(1 for step in self.steps if step.action == action)

    def as_json(self) -> dict:
        """`up --json`'s plan: the steps, what is unchanged, the notes."""
        return {"steps": [step.as_json() for step in self.steps], "changes_aws": self.changes_aws,
                "unchanged": [{"kind": str(kind), "name": name} for kind, name in self.unchanged],
                "notes": list(self.notes)}
