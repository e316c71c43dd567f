"""`status`: each recorded resource against what AWS has now.

Drift is judged against the record (what wsdeploy last wrote), so a change made by hand
shows as drift while a change still waiting in wsdeploy.toml does not; whether the local code
differs from the deployed code is reported on its own.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

from typing import TYPE_CHECKING

from . import record as rec
from .certificates import expiry_warning
from .deploy import dns_instructions, reading
from .desired import (ROLE_POLICY_NAME, Desired, StageNames, document_hash, trust_policy,
                      websocket_url)
from .app_policy import APP_POLICY_NAME
from .dns import normal
from .live import TTL_ON
from .observe import observe
from .planner import plan
from .seen import Observed
from .steps import Action

if TYPE_CHECKING:
    from .aws import Aws

OK, MISSING, DRIFTED, UNTRACKED = "ok", "missing", "drifted", "untracked"


@dataclass(frozen=True)
class Row:
    type: str
    id: str
    status: str
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class Report:
    stage: str
    region: str
    deployed: bool
    url: str | None
    account: str | None
    deployed_at: str | None
    resources: tuple[Row, ...] = ()
    code_differs: bool | None = None     # None: not known (not deployed, or no local build)
    notes: tuple[str, ...] = field(default=())
    custom_url: str | None = None        # with a custom domain
    certificate: dict | None = None      # the domain's: arn, status, expires (ISO 8601)
    missing: tuple[str, ...] = ()        # what an interrupted `up` has not made yet
    recorded: bool = True                # False: found by name and tags, no record here
    http_url: str | None = None          # the HTTP API of http_app (issue 17)

    @property
    def partly_deployed(self) -> bool:
        """Resources are recorded, but no `up` has finished (it was interrupted or failed)."""
        return self.deployed and self.recorded and self.deployed_at is None

    @property
    def changes_pending(self) -> bool:
        """Something for `up` to do: not deployed (here), unfinished, drifted or new code."""
        return (not self.deployed or not self.recorded or self.partly_deployed or bool(self.drift)
                or bool(self.code_differs))

    @property
    def drift(self) -> list[Row]:
        return [row for row in self.resources if row.status != OK]

    def as_json(self) -> dict:
        rows = [asdict(row) | {"fields": list(row.fields)} for row in self.resources]
        return {"stage": self.stage, "deployed": self.deployed, "url": self.url,
                "region": self.region, "account": self.account, "deployed_at": self.deployed_at,
                "resources": rows, "drift": [r for r in rows if r["status"] != OK],
                "code_differs": self.code_differs, "notes": list(self.notes),
                "custom_url": self.custom_url, "certificate": self.certificate,
                "partly_deployed": self.partly_deployed, "missing": list(self.missing),
                "recorded": self.recorded, "http_url": self.http_url}


def stage_status(aws: "Aws", names: StageNames, record: dict | None,
                 local_code_sha256: str | None, desired: Desired | None = None,
                 now: datetime | None = None) -> Report:
    """Reads every resource live (many reads: status is for looking, not for speed). With
    `desired` (the local build), a stage whose `up` never finished lists what it lacks. Notes
    warn of a domain certificate expiring within 30 days (`now`: the clock) and say which DNS
    record to make where Route 53 does not host the domain's zone."""
    with reading():
        o = observe(aws, names, None if rec.is_empty(record) else record, full=True)
    live_code = o.function.live.code_sha256 if o.function else None
    differs = None if local_code_sha256 is None or live_code is None else live_code != local_code_sha256
    if rec.is_empty(record):   # not recorded here: what names and tags find (reads only)
        rows = _rows(names, {}, o)
        if not rows:
            return Report(names.stage, names.region, False, None, None, None)
        url = websocket_url(names, o.identity.partition, o.api.id) if o.api and o.identity else None
        return Report(names.stage, names.region, True, url, o.identity and o.identity.account, None,
                      tuple(rows), differs, recorded=False)
    rows = _rows(names, record, o)
    missing = ()
    if desired is not None and not record.get("deployed_at"):
        missing = tuple(f"{s.kind.label} {s.name}" for s in plan(desired, o).steps
                        if s.action == Action.CREATE)
    with reading():
        by_hand = policies_added_by_hand(aws, names, record) if o.role else None
    notes = tuple(n for n in (expiry_warning(o.certificate, now or datetime.now(timezone.utc)),
                              dns_instructions(record), by_hand) if n)
    cert = o.certificate
    certificate = {"arn": cert.arn, "status": cert.status,
                   "expires": cert.not_after.isoformat() if cert.not_after else None} if cert else None
    return Report(names.stage, names.region, True, record.get("url"), record.get("account"),
                  record.get("deployed_at"), tuple(rows), differs, notes,
                  record.get("custom_url"), certificate, missing, http_url=record.get("http_url"))


def policies_added_by_hand(aws: "Aws", names: StageNames, record: dict) -> str | None:
    """Least privilege that stays least: `up` puts wsdeploy's own policy back, but a policy
    someone added to the role beside it widens what the function may do, so status says so."""
    inline = [p for p in aws.list_role_policies(names.name) if p not in (ROLE_POLICY_NAME, APP_POLICY_NAME)]
    ours = set((rec.get(record, "managed_policies") or {}).get("arns", []))
    managed = [arn for arn in aws.attached_policies(names.name) or () if arn not in ours]
    if not inline and not managed:
        return None
    found = [f"inline policy {p!r}" for p in inline] + [f"managed policy {arn}" for arn in managed]
    return (f"role {names.name} has policies wsdeploy did not put there (added by hand): "
            f"{', '.join(found)}. They widen what the function may do; remove them from the role "
            "if the app does not need them, or name them in wsdeploy.toml (permissions, "
            "managed_policies) so that they are deployed and reviewed with the app")


def _compare(kind: str, ident: str, recorded: dict | None, seen: object | None,
             differing: list[str]) -> Row | None:
    if recorded is None and seen is None:
        return None
    if recorded is None:
        return Row(kind, ident, UNTRACKED)
    if seen is None:
        return Row(kind, ident, MISSING)
    return Row(kind, ident, DRIFTED, tuple(differing)) if differing else Row(kind, ident, OK)


def _rows(names: StageNames, record: dict, o: Observed) -> list[Row]:
    get = lambda kind: rec.get(record, kind)  # noqa: E731
    rows = [
        _compare("role", names.name, get("role"), o.role,
                 ["trust policy"] if o.role and o.role.trust_sha256 != document_hash(trust_policy()) else []),
        _compare("role_policy", names.name, get("role_policy"), o.role_policy,
                 ["policy document"] if o.role_policy and get("role_policy")
                 and o.role_policy.sha256 != get("role_policy")["sha256"] else []),
        _compare("log_group", names.log_group, get("log_group"), o.log_group,
                 ["retention_days"] if o.log_group and get("log_group")
                 and o.log_group.retention_days != get("log_group").get("retention_days") else []),
        _compare("table", names.connections_table, get("table"),
                 o.table if o.table and not o.table.deleting else None, _table_drift(get("table"), o)),
        _compare("api", (get("api") or {}).get("id", names.name), get("api"), o.api,
                 _differ(get("api"), {"route_selection": o.api.route_selection} if o.api else {})),
        _compare("function", names.name, get("function"), o.function,
                 _function_drift(get("function"), record.get("code_sha256"), o)),
        _compare("permission", names.name, get("permission"), o.permission,
                 _differ(get("permission"), {"source_arn": o.permission.source_arn} if o.permission else {})),
        _compare("integration", (get("integration") or {}).get("id", ""), get("integration"),
                 o.integration, _differ(get("integration"), {"uri": o.integration.uri} if o.integration else {})),
    ]
    recorded_routes = rec.routes(record)
    for key in sorted(set(recorded_routes) | {r.key for r in o.routes}):
        seen, mine = o.route(key), recorded_routes.get(key)
        differing = []
        if seen and mine:
            differing = _differ(mine, {"id": seen.id, "target": seen.target, "reply": seen.reply})
            if mine.get("authorization", "NONE") != seen.authorization:
                differing.append("authorization")
            if mine.get("response_id") and not seen.response_id:
                differing.append("route response")
        rows.append(_compare("route", key, mine, seen, differing))
    rows.append(_compare("stage", names.stage, get("stage"), o.stage,
                         ["auto_deploy"] if o.stage and o.stage.auto_deploy is False else []))
    rows += _domain_rows(record, o)
    rows += _authorizer_rows(record, o)
    rows += _http_rows(record, o)
    rows += _access_rows(names, record, o)
    concurrency = rec.get(record, "concurrency")
    rows.append(_compare("concurrency", names.name, concurrency, o.concurrency,
                         ["reserved"] if concurrency and o.concurrency
                         and o.concurrency.reserved != concurrency.get("reserved") else []))
    # duplicates (observe.py): found by tags or by the function they invoke, never recorded
    rows += [Row("integration", extra, UNTRACKED, ("duplicate",)) for extra in o.extra_integrations]
    rows += [Row("api", extra, UNTRACKED, ("duplicate",)) for extra in o.extra_apis]
    return [row for row in rows if row is not None]


def _domain_rows(record: dict, o: Observed) -> list[Row | None]:
    domain, mapping, dns = (rec.get(record, k) for k in ("domain_name", "api_mapping", "dns_records"))
    seen = o.domain_name
    domain_drift = [] if seen is None or domain is None else (
        _differ(domain, {"certificate_arn": seen.certificate_arn, "target": seen.target})
        + ([] if seen.settings_ok else ["settings"]))
    m = o.api_mapping
    dns_drift = ["target"] if o.dns_records and dns and o.dns_records.target != normal(dns["target"]) else []
    return [_compare("domain_name", (domain or {}).get("name", seen.name if seen else ""), domain, seen,
                     domain_drift),
            _compare("api_mapping", (mapping or {}).get("id", m.id if m else ""), mapping, m,
                     _differ(mapping, {"api_id": m.api_id, "stage": m.stage, "key": m.key} if m else {})),
            _compare("dns_records", (dns or {}).get("name", ""), dns, o.dns_records, dns_drift)]


def _authorizer_rows(record: dict, o: Observed) -> list[Row | None]:
    """$connect's authorizer (identity sources, function) and the function's statement for it."""
    mine, seen = rec.get(record, "authorizer"), o.authorizer
    drift = []
    if mine and seen:
        drift = (["identity"] if ",".join(seen.identity) != mine.get("identity", "") else [])
        if seen.uri and o.integration and seen.uri != o.integration.uri:
            drift.append("uri")
    permission = rec.get(record, "authorizer_permission")
    p = o.authorizer_permission
    return [_compare("authorizer", (mine or {}).get("id", seen.id if seen else ""), mine, seen, drift),
            _compare("authorizer_permission", (permission or {}).get("statement_id", ""), permission, p,
                     _differ(permission, {"source_arn": p.source_arn} if p else {}))]


def _http_rows(record: dict, o: Observed) -> list[Row | None]:
    """The HTTP API of http_app and its parts (issue 17)."""
    get = lambda kind: rec.get(record, kind)  # noqa: E731
    api, integration, route, permission = (get(k) for k in ("http_api", "http_integration",
                                                            "http_route", "http_permission"))
    i, r, p = o.http_integration, o.http_route, o.http_permission
    return [
        _compare("http_api", (api or {}).get("id", o.http_api.id if o.http_api else ""), api,
                 o.http_api, _differ(api, {"id": o.http_api.id} if o.http_api else {})),
        _compare("http_integration", (integration or {}).get("id", i.id if i else ""), integration, i,
                 _differ(integration, {"id": i.id, "uri": i.uri, "payload_version": i.payload_version}
                         if i else {})),
        _compare("http_route", "$default", route, r,
                 _differ(route, {"id": r.id, "target": r.target} if r else {})),
        _compare("http_stage", "$default", get("http_stage"), o.http_stage,
                 ["auto_deploy"] if o.http_stage and o.http_stage.auto_deploy is False else []),
        _compare("http_permission", (permission or {}).get("statement_id", ""), permission, p,
                 _differ(permission, {"source_arn": p.source_arn} if p else {})),
    ] + [Row("http_integration", extra, UNTRACKED, ("duplicate",)) for extra in o.http_extra_integrations]


def _access_rows(names: StageNames, record: dict, o: Observed) -> list[Row | None]:
    """The `app` policy (drifted when its document changed by hand), and each managed policy
    wsdeploy attached (missing when detached by hand)."""
    policy, seen = rec.get(record, "app_policy"), o.app_policy
    rows = [_compare("app_policy", names.name, policy, seen,
                     ["policy document"] if policy and seen and seen.sha256 != policy["sha256"] else [])]
    attached = set(o.managed_policies.arns) if o.managed_policies else set()
    for arn in (rec.get(record, "managed_policies") or {}).get("arns", []):
        rows.append(Row("managed_policy", arn, OK if arn in attached else MISSING))
    return rows


def _differ(recorded: dict | None, live: dict) -> list[str]:
    return [key for key, value in live.items() if recorded is not None and recorded.get(key) != value]


def _table_drift(recorded: dict | None, o: Observed) -> list[str]:
    """Changed by hand: billing mode, TTL turned off or moved, keys (wrong from the start)."""
    t = o.table
    if not recorded or t is None or t.deleting:
        return []
    differing = []
    if t.billing_mode != recorded.get("billing_mode"):
        differing.append("billing_mode")
    live_ttl = t.ttl_attribute if t.ttl_status in TTL_ON else None
    if live_ttl != recorded.get("ttl"):
        differing.append("ttl")
    if not t.keys_ok:
        differing.append("key_schema")
    return differing


def _function_drift(recorded: dict | None, code_sha256: str | None, o: Observed) -> list[str]:
    if not recorded or not o.function:
        return []
    live = o.function.live
    settings = {**recorded.get("settings", {}), "code": code_sha256 or live.code_sha256}
    now = {"code": live.code_sha256, "role": live.role, "handler": live.handler, "runtime": live.runtime, "memory": live.memory,
           "timeout": live.timeout, "architecture": live.architecture,
           "environment_names": sorted(live.environment)}
    differing = [key for key, value in now.items() if settings.get(key) != value]
    live_vpc = [list(live.vpc[0]), list(live.vpc[1])] if live.vpc != ((), ()) else None
    if settings.get("vpc") != live_vpc:      # set by `up` (record) or by hand (live)
        differing.append("vpc")
    if live.failed:    # `up` writes it again
        differing.append("state" if live.state == "Failed" else "last_update_status")
    return differing
