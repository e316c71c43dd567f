"""The pure planner: desired resources against observed ones, in, ordered steps out.

No I/O here, so every decision is unit-tested without AWS, and `up --dry-run` prints the plan
as data. The order is the creation order of the design: role, connections table, log group,
API, role policy, the table's TTL, function, permission, integration, routes, stage. The API
comes before the policy and the function, so both are written once with its id, never created
and then patched; the table's ARN is known before it exists, so the same goes for it. The
table is created early and its TTL (which needs it ACTIVE) turned on just before the
function, so its seconds of creation pass while the other resources are made.

Turning connection tracking off runs the other way round: the function loses its variables
first, then the role its grant, and the table (with every item in it) is deleted last.
Duplicates of the integration or the API (observe.py) are deleted at the very end, once no
route targets them any more.

A custom domain comes after the stage (its API mapping needs the stage): domain name, mapping,
DNS records. Renamed or turned off, the old one's records and domain name (its mapping goes
with it) are deleted first, so nothing of it is left behind however the run ends.
"""

from __future__ import annotations

from datetime import datetime, timezone

from ..errors import UserError
from .app_policy import app_policy_document, statements_diff
from .certificates import expiry_warning
from .dns import normal
from .desired import (HTTP_PAYLOAD_VERSION, HTTP_ROUTE, HTTP_STAGE, TABLE_BILLING, authorizer_name, authorizer_source_arn, TTL_ATTRIBUTE, Desired, document_hash, function_changes,
                      function_settings, integration_uri, permission_source_arn, role_policy,
                      trust_policy)
from .seen import Observed, SeenPermission, SeenRoute
from .steps import Kind, Plan, Step


class _Builder:
    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.notes: list[str] = []

    def add(self, kind: str, action: str, name: str, changes: tuple[str, ...] = (), why: str = "") -> None:
        self.steps.append(Step(kind, action, name, changes, why))

    def adopt_unrecorded(self, kind: str, name: str, seen: object) -> None:
        if not getattr(seen, "recorded", True):
            self.add(kind, "adopt", name, why="found by name and tags, not in the state file")

    def unchanged(self, everything: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
        changing = {(s.kind.resource, s.name) for s in self.steps if s.calls_aws}
        return tuple(item for item in everything if item not in changing)


def plan(d: Desired, o: Observed, now: datetime | None = None) -> Plan:
    """The steps that turn what is observed into what is desired, in a safe order. `now`
    (default: the clock) dates the warning of a certificate about to expire."""
    b = _Builder()
    partition = o.identity.partition if o.identity else None
    account = o.identity.account if o.identity else None
    api_id = o.api.id if o.api else None
    new_api = "the API is new" if api_id is None else ""

    if o.role is None:
        b.add(Kind.ROLE, "create", d.name)
    else:
        b.adopt_unrecorded(Kind.ROLE, d.name, o.role)
        if o.role.trust_sha256 not in (None, document_hash(trust_policy())):
            b.add(Kind.ROLE, "update", d.name, ("trust policy",))

    table_ttl = _plan_table(b, d, o)
    # Turning tracking off: the function stops using the table before the grant goes.
    removing_table = d.connections is None and o.table is not None and not o.table.deleting

    if o.log_group is None:
        b.add(Kind.LOG_GROUP, "create", d.log_group, (f"retention {d.retention_days} days",))
    else:
        b.adopt_unrecorded(Kind.LOG_GROUP, d.log_group, o.log_group)
        if o.log_group.retention_days != d.retention_days:
            b.add(Kind.LOG_GROUP, "update", d.log_group, ("retention_days",))

    if o.api is None:
        b.add(Kind.API, "create", d.name)
    else:
        b.adopt_unrecorded(Kind.API, d.name, o.api)
        if o.api.route_selection != d.route_selection:
            b.add(Kind.API, "update", d.name, ("route_selection",))

    # The role's policy names the API and the account.
    want_policy = (document_hash(role_policy(d, partition, account, api_id))
                   if account and api_id else None)

    def policy_steps() -> None:
        if o.role_policy is None:
            b.add(Kind.ROLE_POLICY, "create", d.name)
        elif want_policy is None or o.role_policy.sha256 != want_policy:
            why = new_api or ("the connections table is removed" if removing_table else "")
            b.add(Kind.ROLE_POLICY, "update", d.name, ("policy document",), why)
        else:
            b.adopt_unrecorded(Kind.ROLE_POLICY, d.name, o.role_policy)

    if not removing_table:
        policy_steps()
    if table_ttl:
        b.add(Kind.TABLE_TTL, "update", d.connections_table, (f"on, attribute {TTL_ATTRIBUTE}",),
              "once the table is ACTIVE")
    _plan_app_access(b, d, o)
    _plan_function(b, d, o, partition, account, api_id)
    _plan_concurrency(b, d, o)
    if removing_table:
        policy_steps()

    want_source = permission_source_arn(d, partition, account, api_id) if account and api_id else None
    _plan_statement(b, Kind.PERMISSION, d.name, o, o.permission, want_source, new_api)

    function_arn = (o.function.live.arn if o.function else
                    f"arn:{partition}:lambda:{d.region}:{account}:function:{d.name}" if account else None)
    want_uri = integration_uri(d, function_arn) if function_arn else None
    if o.integration is None:
        b.add(Kind.INTEGRATION, "create", "AWS_PROXY")
    else:
        b.adopt_unrecorded(Kind.INTEGRATION, "AWS_PROXY", o.integration)
        if o.integration.uri != want_uri:
            b.add(Kind.INTEGRATION, "update", "AWS_PROXY", ("uri",))

    _plan_authorizer(b, d, o, partition, account, api_id, want_uri)
    _plan_routes(b, d, o, o.integration.id if o.integration else None)

    if o.stage is None:
        b.add(Kind.STAGE, "create", d.stage, ("auto-deploy",))
    else:
        b.adopt_unrecorded(Kind.STAGE, d.stage, o.stage)
        if o.stage.auto_deploy is False:
            b.add(Kind.STAGE, "update", d.stage, ("auto-deploy",), "turned off outside wsdeploy")
    _plan_domain(b, d, o, now or datetime.now(timezone.utc))
    _remove_authorizer(b, d, o)
    _plan_http(b, d, o, account, partition, function_arn)
    if removing_table:
        b.add(Kind.TABLE, "delete", d.connections_table,
              why="connection tracking is off; this deletes every item in it")
        b.notes.append(f"connection tracking is off in wsdeploy.toml, so the DynamoDB table "
                       f"{d.connections_table} will be deleted, and every connection and room "
                       "membership stored in it with it")
    everything = [(Kind.ROLE, d.name), *([(Kind.TABLE, d.connections_table)] if d.connections else []),
                  (Kind.LOG_GROUP, d.log_group), (Kind.API, d.name),
                  (Kind.ROLE_POLICY, d.name), (Kind.FUNCTION, d.name), (Kind.PERMISSION, d.name),
                  (Kind.INTEGRATION, "AWS_PROXY"), *((Kind.ROUTE, r.key) for r in d.routes),
                  (Kind.STAGE, d.stage), *_domain_parts(d, o), *_authorizer_parts(d), *_http_parts(d),
                  *_access_parts(d)]
    _remove_app_access(b, d, o)
    for extra in o.extra_integrations:
        b.add(Kind.INTEGRATION, "delete", extra, why="a duplicate, invoking this function too")
    for extra in o.extra_apis:
        b.add(Kind.API, "delete", extra, why=f"a duplicate of {d.name}, tagged as this stage's")
    return Plan(tuple(b.steps), b.unchanged(everything), tuple(b.notes))


def _plan_app_access(b: _Builder, d: Desired, o: Observed) -> None:
    """The app's `app` policy and managed policies, once the role exists, before the
    function that uses them (removals: `_remove_app_access`, at the end)."""
    want = app_policy_document(d.app_statements)
    seen = o.app_policy
    if want is not None:
        if seen is None:
            b.add(Kind.APP_POLICY, "create", d.name, statements_diff([], want["Statement"]))
        elif seen.sha256 != document_hash(want):
            have = list(seen.statements) if seen.statements is not None else None
            b.add(Kind.APP_POLICY, "update", d.name, statements_diff(have, want["Statement"]))
        else:
            b.adopt_unrecorded(Kind.APP_POLICY, d.name, seen)
    attached = set(o.managed_policies.arns) if o.managed_policies else set()
    if o.managed_policies and not o.managed_policies.recorded and attached & set(d.managed_policies):
        b.add(Kind.MANAGED_POLICY, "adopt", d.name, why="attached already, not in the state file")
    for arn in d.managed_policies:
        if arn not in attached:
            b.add(Kind.MANAGED_POLICY, "create", arn, why="attached to the role")


def _plan_concurrency(b: _Builder, d: Desired, o: Observed) -> None:
    """reserved_concurrency, read from GetFunction's answer (no read of its own); removed only
    when wsdeploy set it (one set by hand is left alone)."""
    want, seen = d.reserved_concurrency, o.concurrency
    if want is not None:
        if seen is None or seen.reserved != want:
            b.add(Kind.CONCURRENCY, "create" if seen is None else "update", d.name, (f"reserved {want}",))
        else:
            b.adopt_unrecorded(Kind.CONCURRENCY, d.name, seen)
    elif seen is not None and seen.recorded:
        b.add(Kind.CONCURRENCY, "delete", d.name, why="reserved_concurrency is no longer in wsdeploy.toml")


def _remove_app_access(b: _Builder, d: Desired, o: Observed) -> None:
    """What wsdeploy.toml no longer names: the `app` policy, and the managed policies it
    attached (never one attached by hand: those are not recorded)."""
    if not d.app_statements and o.app_policy is not None:
        b.add(Kind.APP_POLICY, "delete", d.name, why="permissions are no longer in wsdeploy.toml")
    seen = o.managed_policies
    for arn in (seen.ours if seen else ()):
        if arn in seen.arns and arn not in d.managed_policies:
            b.add(Kind.MANAGED_POLICY, "delete", arn, why="no longer in managed_policies")


def _access_parts(d: Desired) -> list[tuple[str, str]]:
    return ([(Kind.APP_POLICY, d.name)] if d.app_statements else []) + [
        (Kind.MANAGED_POLICY, arn) for arn in d.managed_policies]


def _plan_table(b: _Builder, d: Desired, o: Observed) -> bool:
    """The table's own steps when tracking is on; True when its TTL still has to be turned on."""
    t = o.table
    if d.connections is None:
        return False
    if t is None or t.deleting:
        why = "once the old one's deletion has finished" if t is not None else ""
        b.add(Kind.TABLE, "create", d.connections_table, ("on-demand", "keys pk, sk"), why)
        return True
    if not t.keys_ok:
        raise UserError(
            f"the DynamoDB table {d.connections_table} has other keys than connection tracking "
            f"needs (partition key pk, sort key sk, both strings), and keys cannot change in "
            "place. Delete the table (aws dynamodb delete-table --table-name "
            f"{d.connections_table}; its items go with it), then run `wsdeploy up` again")
    b.adopt_unrecorded(Kind.TABLE, d.connections_table, t)
    if t.billing_mode != TABLE_BILLING:
        b.add(Kind.TABLE, "update", d.connections_table, ("billing_mode",))
    if t.ttl_on:
        return False
    if t.ttl_status in ("ENABLED", "ENABLING"):    # on, for another attribute
        b.notes.append(
            f"TTL of the table {d.connections_table} is on for attribute {t.ttl_attribute!r}, "
            f"but wsdeploy's items expire through {TTL_ATTRIBUTE!r}, so they never expire. AWS "
            "changes TTL at most once an hour: turn it off in the DynamoDB console, then run "
            "`wsdeploy up --refresh` an hour later")
        return False
    return True


def _domain_parts(d: Desired, o: Observed) -> list[tuple[str, str]]:
    if d.domain is None:
        return []
    parts = [(Kind.DOMAIN_NAME, d.domain.name), (Kind.API_MAPPING, mapping_name(d))]
    return parts + ([(Kind.DNS_RECORDS, d.domain.name)] if o.zone else [])


def mapping_name(d: Desired) -> str:
    """How plans name the API mapping: the name, and its base path if any."""
    return d.domain.name + (f"/{d.domain.base_path}" if d.domain.base_path else "")


def _plan_domain(b: _Builder, d: Desired, o: Observed, now: datetime) -> None:
    """`o.certificate` is set whenever a domain is wanted (observe_domain.py)."""
    want, domain, dns, mapping = d.domain, o.domain_name, o.dns_records, o.api_mapping
    if domain is not None and (want is None or domain.name != want.name):
        why = f"the domain is now {want.name}" if want else "the domain is off in wsdeploy.toml"
        if dns is not None:
            b.add(Kind.DNS_RECORDS, "delete", dns.name, why=f"alias A and AAAA in zone {dns.zone_name}")
        b.add(Kind.DOMAIN_NAME, "delete", domain.name, why=f"{why}; its API mapping goes with it")
        b.notes.append(f"wss://{domain.name} will stop answering: {why}")
        domain = dns = mapping = None
    if want is None:
        return
    certificate = o.certificate.arn
    if domain is None:
        b.add(Kind.DOMAIN_NAME, "create", want.name, ("REGIONAL", "TLS 1.2", f"certificate {certificate}"))
    else:
        b.adopt_unrecorded(Kind.DOMAIN_NAME, want.name, domain)
        changes = tuple(f for f, differs in (("certificate", domain.certificate_arn != certificate),
                                             ("settings", not domain.settings_ok)) if differs)
        if changes:
            b.add(Kind.DOMAIN_NAME, "update", want.name, changes)
    warning = expiry_warning(o.certificate, now)
    if warning:
        b.notes.append(warning)
    api_id = o.api.id if o.api else None
    if mapping is None:
        b.add(Kind.API_MAPPING, "create", mapping_name(d), (f"stage {d.stage}",))
    else:
        b.adopt_unrecorded(Kind.API_MAPPING, mapping_name(d), mapping)
        changes = tuple(f for f, differs in (("api", mapping.api_id != api_id),
                                             ("stage", mapping.stage != d.stage),
                                             ("base_path", mapping.key != want.base_path)) if differs)
        if changes:
            b.add(Kind.API_MAPPING, "update", mapping_name(d), changes)
    zone = o.zone
    if zone is None and domain is None:   # said once more, with the target, after `up`
        b.notes.append(f"no public Route 53 hosted zone of this account covers {want.name}, so "
                       "wsdeploy makes no DNS record for it: `wsdeploy up` says which to make")
    if zone is None:
        return
    if dns is None:
        b.add(Kind.DNS_RECORDS, "create", want.name, (f"alias A and AAAA in zone {zone.name}",))
    else:
        b.adopt_unrecorded(Kind.DNS_RECORDS, want.name, dns)
        changes = tuple(f for f, differs in (
            ("zone", (dns.zone_id, dns.name) != (zone.id, want.name)),
            ("target", domain is None or dns.target != normal(domain.target))) if differs)
        if changes:
            b.add(Kind.DNS_RECORDS, "update", want.name, changes)


def _plan_function(b: _Builder, d: Desired, o: Observed, partition: str | None,
                   account: str | None, api_id: str | None) -> None:
    if o.function is None:
        b.add(Kind.FUNCTION, "create", d.name)
        return
    live = o.function.live
    b.adopt_unrecorded(Kind.FUNCTION, d.name, o.function)
    role_arn = o.role.arn if o.role else f"arn:{partition}:iam::{account}:role/{d.name}"
    want = function_settings(d, partition or "aws", role_arn, api_id or "")
    changed, code_changes = function_changes(d, live, want)
    if live.failed:
        # Lambda gave up on it: writing it again is the repair (and if the cause remains,
        # waiting for it fails with Lambda's reason). The code too, if that update failed.
        reason = live.state_reason or "no reason given"
        what = "creation" if live.state == "Failed" else "last update"
        why = f"Lambda reports its {what} Failed ({reason}): written again"
        b.add(Kind.FUNCTION, "update", d.name, tuple(changed) or ("settings",), why)
        if live.state != "Failed" and not code_changes:
            code_changes = ("code",)
        if code_changes:
            b.add(Kind.FUNCTION_CODE, "update", d.name, code_changes, why)
        return
    if changed:
        b.add(Kind.FUNCTION, "update", d.name, tuple(changed), "" if api_id else "the API is new")
    if code_changes:
        b.add(Kind.FUNCTION_CODE, "update", d.name, code_changes)


def _plan_routes(b: _Builder, d: Desired, o: Observed, integration_id: str | None) -> None:
    target = f"integrations/{integration_id}" if integration_id else None
    for want in d.routes:
        seen = o.route(want.key)
        if seen is None:
            b.add(Kind.ROUTE, "create", want.key, (("reply",) if want.reply else ())
                  + ((f"authorization {d.connect_auth}",)
                     if want.key == "$connect" and d.connect_auth != "NONE" else ()))
            if want.reply:
                b.add(Kind.ROUTE_RESPONSE, "create", want.key)
            continue
        b.adopt_unrecorded(Kind.ROUTE, want.key, seen)
        if seen.response_id and not want.reply:
            b.add(Kind.ROUTE_RESPONSE, "delete", want.key)
        changes = tuple(f for f, differs in (("target", seen.target != target),
                                             ("reply", seen.reply != want.reply),
                                             ("authorization", _authorization_differs(d, o, seen)))
                        if differs)
        if changes:
            b.add(Kind.ROUTE, "update", want.key, changes)
        if want.reply and not seen.response_id:
            b.add(Kind.ROUTE_RESPONSE, "create", want.key)
    for seen in o.routes:
        if d.route(seen.key) is None:
            if seen.response_id:   # AWS would take it with the route; asked for explicitly
                b.add(Kind.ROUTE_RESPONSE, "delete", seen.key)
            b.add(Kind.ROUTE, "delete", seen.key, why="no handler registers it any more")


def _plan_statement(b: _Builder, kind: Kind, name: str, o: Observed, seen: SeenPermission | None,
                    want_source: str | None, why_new: str) -> None:
    """One statement of the function's policy letting an API invoke it (its integration, its
    authorizer, the HTTP API's): made with the function, moved when the API's ARN changes."""
    if o.function is None or seen is None:
        b.add(kind, "create", name)
    elif want_source is None or seen.source_arn != want_source:
        b.add(kind, "update", name, ("source_arn",), why_new)
    else:
        b.adopt_unrecorded(kind, name, seen)


# -- $connect's authorizer (issue 11) ---------------------------------------------------------
def _authorizer_parts(d: Desired) -> list[tuple[str, str]]:
    if d.authorizer is None:
        return []
    return [(Kind.AUTHORIZER, authorizer_name(d.name)), (Kind.AUTHORIZER_PERMISSION, d.name)]


def _authorization_differs(d: Desired, o: Observed, seen: SeenRoute) -> bool:
    """Whether $connect's AuthorizationType (and authorizer) is not what the app asks for."""
    if seen.key != "$connect":
        return False
    if seen.authorization != d.connect_auth:
        return True
    return d.connect_auth == "CUSTOM" and (o.authorizer is None or seen.authorizer_id != o.authorizer.id)


def _plan_authorizer(b: _Builder, d: Desired, o: Observed, partition: str | None,
                     account: str | None, api_id: str | None, want_uri: str | None) -> None:
    """After the integration (the same function URI), before $connect names it."""
    want, seen = d.authorizer, o.authorizer
    if want is None:
        return
    name = authorizer_name(d.name)
    if seen is None:
        b.add(Kind.AUTHORIZER, "create", name, ("REQUEST", "identity " + (", ".join(want.identity) or "none")))
    else:
        b.adopt_unrecorded(Kind.AUTHORIZER, name, seen)
        changes = tuple(f for f, differs in (("identity", seen.identity != want.identity),
                                             ("uri", seen.uri is not None and seen.uri != want_uri))
                        if differs)
        if changes:
            b.add(Kind.AUTHORIZER, "update", name, changes)
    want_source = (authorizer_source_arn(d, partition, account, api_id, seen.id)
                   if seen and account and api_id else None)
    _plan_statement(b, Kind.AUTHORIZER_PERMISSION, d.name, o, o.authorizer_permission, want_source,
                    "the authorizer is new" if seen is None else "")


def _remove_authorizer(b: _Builder, d: Desired, o: Observed) -> None:
    """No @on_authorize any more: $connect was set back first (its route step), then these."""
    if d.authorizer is not None:
        return
    why = "the app no longer has an @on_authorize function"
    if o.authorizer_permission is not None and o.function is not None:
        b.add(Kind.AUTHORIZER_PERMISSION, "delete", d.name, why=why)
    if o.authorizer is not None:
        b.add(Kind.AUTHORIZER, "delete", o.authorizer.name or authorizer_name(d.name), why=why)
# -- the HTTP API of http_app (issue 17) -------------------------------------------------------
def _http_parts(d: Desired) -> list[tuple[str, str]]:
    if d.http_app is None:
        return []
    return [(Kind.HTTP_API, d.http_api_name), (Kind.HTTP_INTEGRATION, "AWS_PROXY"),
            (Kind.HTTP_ROUTE, HTTP_ROUTE), (Kind.HTTP_STAGE, HTTP_STAGE), (Kind.HTTP_PERMISSION, d.name)]


def _plan_http(b: _Builder, d: Desired, o: Observed, account: str | None, partition: str | None,
               function_arn: str | None) -> None:
    """After the function (the integration invokes it): API, integration, $default route,
    $default stage, the function's statement. With http_app off: the statement, then the
    API (its integration, route and stage go with it)."""
    if d.http_app is None:
        if o.http_permission is not None:
            b.add(Kind.HTTP_PERMISSION, "delete", d.name, why="http_app is off in wsdeploy.toml")
        if o.http_api is not None:
            b.add(Kind.HTTP_API, "delete", o.http_api.id,
                  why="http_app is off in wsdeploy.toml; its integration, route and stage go with it")
            b.notes.append(f"http_app is off in wsdeploy.toml, so the HTTP API {d.http_api_name} "
                           "will be deleted and its https:// address stop answering")
        return
    api = o.http_api
    if api is None:
        b.add(Kind.HTTP_API, "create", d.http_api_name, ("HTTP",))
    else:
        b.adopt_unrecorded(Kind.HTTP_API, d.http_api_name, api)
    integration = o.http_integration if api else None
    if integration is None:
        b.add(Kind.HTTP_INTEGRATION, "create", "AWS_PROXY", (f"payload {HTTP_PAYLOAD_VERSION}",))
    else:
        b.adopt_unrecorded(Kind.HTTP_INTEGRATION, "AWS_PROXY", integration)
        changes = tuple(f for f, differs in (
            ("uri", function_arn is None or integration.uri != function_arn),
            ("payload_version", integration.payload_version not in (None, HTTP_PAYLOAD_VERSION)))
            if differs)
        if changes:
            b.add(Kind.HTTP_INTEGRATION, "update", "AWS_PROXY", changes)
    route = o.http_route if api else None
    if route is None:
        b.add(Kind.HTTP_ROUTE, "create", HTTP_ROUTE)
    else:
        b.adopt_unrecorded(Kind.HTTP_ROUTE, HTTP_ROUTE, route)
        if integration is None or route.target != f"integrations/{integration.id}":
            b.add(Kind.HTTP_ROUTE, "update", HTTP_ROUTE, ("target",))
    stage = o.http_stage if api else None
    if stage is None:
        b.add(Kind.HTTP_STAGE, "create", HTTP_STAGE, ("auto-deploy",))
    else:
        b.adopt_unrecorded(Kind.HTTP_STAGE, HTTP_STAGE, stage)
        if stage.auto_deploy is False:
            b.add(Kind.HTTP_STAGE, "update", HTTP_STAGE, ("auto-deploy",), "turned off outside wsdeploy")
    for extra in o.http_extra_integrations if api else ():
        b.add(Kind.HTTP_INTEGRATION, "delete", extra, why="a duplicate, invoking this function too")
    want_source = (permission_source_arn(d, partition, account, api.id)
                   if account and partition and api else None)
    _plan_statement(b, Kind.HTTP_PERMISSION, d.name, o, o.http_permission, want_source,
                    "the HTTP API is new" if api is None else "")
