"""The registry of resource kinds: each kind named once, with everything generic code needs.

The executor finds a step's handler here, and what the record forgets when a resource is
deleted; failure messages list what is recorded in this order. (Which resource a step of a
kind changes is data of the kind itself: `steps.Kind.resource`.) What is particular to a kind lives in its own places: its desired
shape (`desired.py`), how it is read (`observe.py`, shape in `seen.py`), how it is diffed
(`planner.py`), its handlers (`handlers/<resource>.py`), its status row (`status.py`) and
its AWS calls (`aws/<service>.py`). docs/CONTRACTS.md has the recipe for adding one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

from .handlers import (api, app_access, authorizer, concurrency, domain, function, integration,
                       log_group, permission, role, routes, stage, table)
from .handlers import http_api
from .run import Run
from .steps import Action, Kind, Step

Handler = Callable[[Run, Step], None]


def _forget_route(record: dict, step: Step) -> None:
    record.get("resources", {}).get("routes", {}).pop(step.name, None)


def _forget_route_response(record: dict, step: Step) -> None:
    entry = record.get("resources", {}).get("routes", {}).get(step.name)
    if entry is not None:
        entry["response_id"] = None


@dataclass(frozen=True)
class KindSpec:
    kind: Kind
    handlers: Mapping[Action, Handler]
    record_key: str | None = None      # its key in the record's `resources`; None: a step of
                                       # another kind's resource (function code, TTL)
    forgets: tuple[str, ...] = ()      # record keys its deletion removes (it takes them along)
    forget_nested: Callable[[dict, Step], None] | None = None   # an entry inside another's
    duplicates: bool = False           # can exist twice (by id): deleting a duplicate
                                       # forgets nothing recorded
    loses: str = ""                    # what deleting it loses, when that is data or something
                                       # users depend on: `up` asks before such a delete

    @property
    def label(self) -> str:
        return self.kind.label

    def forget(self, record: dict, step: Step) -> None:
        """What the record no longer names once `step` (a delete) has succeeded."""
        if self.forget_nested is not None:
            self.forget_nested(record, step)
            return
        resources = record.get("resources", {})
        if self.duplicates and (resources.get(self.record_key) or {}).get("id") not in (None, step.name):
            return          # a duplicate went: the recorded one stays
        for key in self.forgets:
            resources.pop(key, None)


# In the order the record lists them (the state file's layout, record.py).
REGISTRY: tuple[KindSpec, ...] = (
    KindSpec(Kind.ROLE, role.ROLE, "role", forgets=("role",)),
    KindSpec(Kind.ROLE_POLICY, role.ROLE_POLICY, "role_policy", forgets=("role_policy",)),
    KindSpec(Kind.LOG_GROUP, log_group.LOG_GROUP, "log_group", forgets=("log_group",)),
    KindSpec(Kind.TABLE, table.TABLE, "table", forgets=("table",),
             loses="every connection and room membership stored in it"),
    KindSpec(Kind.TABLE_TTL, table.TABLE_TTL),
    KindSpec(Kind.API, api.API, "api", forgets=("api", "integration", "routes", "stage", "authorizer"),
             duplicates=True),
    KindSpec(Kind.FUNCTION, function.FUNCTION, "function",
             forgets=("function", "permission", "authorizer_permission", "http_permission")),
    KindSpec(Kind.FUNCTION_CODE, function.FUNCTION_CODE),
    KindSpec(Kind.PERMISSION, permission.PERMISSION, "permission", forgets=("permission",)),
    KindSpec(Kind.INTEGRATION, integration.INTEGRATION, "integration", forgets=("integration",),
             duplicates=True),
    KindSpec(Kind.ROUTE, routes.ROUTE, "routes", forget_nested=_forget_route),
    KindSpec(Kind.ROUTE_RESPONSE, routes.ROUTE_RESPONSE, forget_nested=_forget_route_response),
    KindSpec(Kind.STAGE, stage.STAGE, "stage", forgets=("stage",)),
    KindSpec(Kind.DOMAIN_NAME, domain.DOMAIN_NAME, "domain_name", forgets=("domain_name", "api_mapping"),
             loses="the address clients connect to: it stops answering, and made again it gets "
                   "a new regional target"),
    KindSpec(Kind.API_MAPPING, domain.API_MAPPING, "api_mapping", forgets=("api_mapping",)),
    KindSpec(Kind.DNS_RECORDS, domain.DNS_RECORDS, "dns_records", forgets=("dns_records",)),
    KindSpec(Kind.AUTHORIZER, authorizer.AUTHORIZER, "authorizer", forgets=("authorizer",)),
    KindSpec(Kind.AUTHORIZER_PERMISSION, authorizer.AUTHORIZER_PERMISSION, "authorizer_permission",
             forgets=("authorizer_permission",)),
    KindSpec(Kind.HTTP_API, http_api.HTTP_API, "http_api",
             forgets=("http_api", "http_integration", "http_route", "http_stage"),
             loses="the https:// address of the app's HTTP routes: made again, it gets a new one"),
    KindSpec(Kind.HTTP_INTEGRATION, http_api.HTTP_INTEGRATION, "http_integration",
             forgets=("http_integration",), duplicates=True),
    KindSpec(Kind.HTTP_ROUTE, http_api.HTTP_ROUTE_STEPS, "http_route", forgets=("http_route",)),
    KindSpec(Kind.HTTP_STAGE, http_api.HTTP_STAGE_STEPS, "http_stage", forgets=("http_stage",)),
    KindSpec(Kind.HTTP_PERMISSION, http_api.HTTP_PERMISSION, "http_permission",
             forgets=("http_permission",)),
    KindSpec(Kind.APP_POLICY, app_access.APP_POLICY, "app_policy", forgets=("app_policy",)),
    KindSpec(Kind.MANAGED_POLICY, app_access.MANAGED_POLICY, "managed_policies",
             forget_nested=app_access.forget_policy),
    KindSpec(Kind.CONCURRENCY, concurrency.CONCURRENCY, "concurrency", forgets=("concurrency",)),
)
_BY_KIND = {spec.kind: spec for spec in REGISTRY}
assert set(_BY_KIND) == set(Kind), "every Kind has its entry"


def spec(kind: Kind | str) -> KindSpec:
    return _BY_KIND[Kind(kind)]


def destructive(steps: Iterable[Step]) -> list[Step]:
    """The deletes among `steps` that lose data or something users depend on."""
    return [s for s in steps if s.action == Action.DELETE and spec(s.kind).loses]


def record_keys() -> tuple[str, ...]:
    """Every key a record's `resources` may hold, in the record's order."""
    return tuple(s.record_key for s in REGISTRY if s.record_key)
