"""What exists now: the state file's record merged with as few read calls as will do.

Why few: a no-op `up` should cost a handful of reads. The function, the API and its routes
are always read live (they are what code and config changes touch, and the function's
CodeSha256 tells whether code changed), and so is wsdeploy's own role policy (least
privilege that stays least: a statement widened by hand is put back). Everything else is trusted from the record when
recorded, and looked up by name and tags when not, which is how a resource created by an
interrupted run, or listed in a lost state file, is adopted instead of created twice.
Connection tracking's table follows the same rule, and an unrecorded table is looked up only
when tracking is on, so a stage without it pays no read for it.
With `full`, everything is read live (`up --refresh` and `status`). The custom domain's
reads are in observe_domain.py, by the same rule.

An integration is trusted from the record unless a route targets another one (two runs made
one each at once, or the record is stale): then the API's integrations are read.

Duplicates: an API or an integration made twice for one stage (by a create re-sent after its
answer was lost, as older versions let botocore do) is ours by its tags (the API) or by the
function it invokes (the integration). Whenever the API is looked up by name and tags (no
record of it, the recorded one gone, `full`), all of this stage's are listed: one is kept
(the recorded one, else the one the function's endpoint names, else the newest) and the
others are returned as extras, for the planner to delete.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import UserError
from . import record as rec
from ..runtime.env import ENDPOINT_ENV, OWN_VARIABLES
from .desired import (PERMISSION_ID, ROLE_POLICY_NAME, TABLE_BILLING, TABLE_KEYS,
                      StageNames, api_id_of_endpoint, document_hash, integration_function,
                      wants_table)
from .errors import ACCESS_DENIED, AwsCallError
from .live import Function, Identity, arn_partition_account
from .observe_authorizer import observe_authorizer
from .observe_domain import observe_domain
from .observe_access import observe_access, observe_concurrency
from .ownership import is_ours, require_tags
from .seen import (Observed, SeenApi, SeenFunction, SeenIntegration, SeenLogGroup,
                   SeenPermission, SeenPolicy, SeenRole, SeenRoute, SeenStage, SeenTable)

if TYPE_CHECKING:
    from .aws import Aws


def observe_http(*args, **kwargs) -> dict:
    """observe_http.py's (imported late: it uses this module's helpers)."""
    from .observe_http import observe_http as observe

    return observe(*args, **kwargs)


def check_identity(aws: "Aws", record: dict | None, where: str,
                   seen_arn: str | None = None) -> Identity | None:
    """With a record, who we are must match it (before any write); else nothing is called.
    `seen_arn`, the ARN of a resource these credentials just read by name (the function),
    names their account as well as STS would, and saves a client and a call."""
    if rec.is_empty(record) or not record.get("account"):
        return None
    identity = arn_partition_account(seen_arn) if seen_arn else aws.identity()
    if identity.account != record["account"]:
        raise UserError(
            f"{where} records account {record['account']}, but these credentials are for account "
            f"{identity.account}. Use the credentials of account {record['account']} (AWS_PROFILE), "
            "or another stage for this account")
    return identity


def observe(aws: "Aws", d: StageNames, record: dict | None, full: bool = False) -> Observed:
    """Reads what the plan needs; see the module's docstring for which reads are made."""
    live_function = aws.get_function(d.name)
    identity = check_identity(aws, record, "the state file", live_function and live_function.arn)
    function = _function(aws, d, record, live_function)
    role = _role(aws, d, record, full)
    if identity is None:   # no record: the account comes from what exists
        arn = role.arn if role else function.live.arn if function else None
        identity = arn_partition_account(arn) if arn else None
    api, extra_apis = _api(aws, d, record, function, full)
    routes = _routes(aws, record, api, full)
    integration, extra_integrations = _integration(aws, d, record, api, routes, full)
    return Observed(
        identity=identity, role=role,
        role_policy=_role_policy(aws, d, record, role, full),
        log_group=_log_group(aws, d, record, full),
        table=_table(aws, d, record, full),
        api=api, function=function,
        permission=_permission(aws, d, record, function, full),
        integration=integration, routes=routes,
        stage=_stage(aws, d, record, api, full),
        extra_apis=extra_apis, extra_integrations=extra_integrations,
        **observe_domain(aws, d, record, api, full),
        **observe_authorizer(aws, d, record, api, function, routes, full),
        **observe_http(aws, d, record, function, full),
        **observe_access(aws, d, record, role, full),
        concurrency=observe_concurrency(record, live_function),
    )


def _role(aws: "Aws", d: StageNames, record: dict | None, full: bool) -> SeenRole | None:
    recorded = rec.get(record, "role")
    if recorded and not full:
        return SeenRole(recorded["arn"], recorded.get("trust_sha256"), True)
    live = aws.get_role(d.name)
    if live is None:
        return None
    if not recorded:
        require_tags("role", d.name, dict(live.tags), d)
    return SeenRole(live.arn, document_hash(live.trust), bool(recorded))


def _role_policy(aws: "Aws", d: StageNames, record: dict | None, role: SeenRole | None,
                 full: bool) -> SeenPolicy | None:
    """Always read live, even when recorded: a policy widened by hand (`*:*`) must not survive
    a plain `up`. It is the one read a no-op `up` pays for something it could trust."""
    recorded = rec.get(record, "role_policy")
    if role is None:
        return None
    live = aws.get_role_policy(d.name, ROLE_POLICY_NAME)
    return SeenPolicy(document_hash(live), bool(recorded)) if live is not None else None


def _log_group(aws: "Aws", d: StageNames, record: dict | None, full: bool) -> SeenLogGroup | None:
    recorded = rec.get(record, "log_group")
    if recorded and not full:
        return SeenLogGroup(recorded.get("retention_days"), True)
    live = aws.get_log_group(d.log_group)
    return SeenLogGroup(live.retention_days, bool(recorded)) if live else None


def _table(aws: "Aws", d: StageNames, record: dict | None, full: bool) -> SeenTable | None:
    recorded = rec.get(record, "table")
    if recorded and not full:
        ttl = recorded.get("ttl")      # the attribute TTL is on for, or None
        return SeenTable(recorded["arn"], None, recorded.get("billing_mode", TABLE_BILLING),
                         "ENABLED" if ttl else "DISABLED", ttl, True)
    if not recorded and not full and not wants_table(d):
        return None
    try:
        live = aws.describe_table(d.connections_table)
    except AwsCallError as error:
        if recorded or wants_table(d) or error.code != ACCESS_DENIED:
            raise
        return None     # credentials without DynamoDB rights: a stage that never tracked
    if live is None:
        return None
    if live.status == "DELETING":
        return SeenTable(live.arn, live.status, live.billing_mode, "DISABLED", None, bool(recorded))
    if not recorded:
        tags = aws.table_tags(live.arn)
        if tags is None:            # deleted since it was described
            return None
        require_tags("DynamoDB table", d.connections_table, tags, d)
    ttl = aws.time_to_live(d.connections_table)
    return SeenTable(live.arn, live.status, live.billing_mode, ttl.status if ttl else "DISABLED",
                     ttl.attribute if ttl else None, bool(recorded), keys_ok=live.keys == TABLE_KEYS)


def _api(aws: "Aws", d: StageNames, record: dict | None, function: SeenFunction | None,
         full: bool) -> tuple[SeenApi | None, tuple[str, ...]]:
    """The stage's API and the ids of any duplicates of it (see the module's docstring)."""
    recorded = rec.get(record, "api")
    live = aws.get_api(recorded["id"]) if recorded else None
    if live is not None and not full:
        return SeenApi(live.id, live.route_selection, True), ()
    ours = [a for a in aws.find_apis(d.name) if is_ours(a.tags, d) and not (live and a.id == live.id)]
    if live is not None:      # the recorded one is kept, whatever its tags now
        return SeenApi(live.id, live.route_selection, True), tuple(sorted(a.id for a in ours))
    if not ours:
        return None, ()
    named = api_id_of_endpoint(function.live.environment.get(ENDPOINT_ENV, "")) if function else None
    keep = next((a for a in ours if a.id == named), None) or max(ours, key=lambda a: a.created)
    return SeenApi(keep.id, keep.route_selection, False), tuple(sorted(a.id for a in ours if a.id != keep.id))


def _function(aws: "Aws", d: StageNames, record: dict | None,
              live: Function | None) -> SeenFunction | None:
    if live is None:
        return None
    # the user's values, as deployed before: blanked out of any error message too
    aws.hide(value for name, value in live.environment.items() if name not in OWN_VARIABLES)
    recorded = rec.get(record, "function") is not None
    if not recorded:
        require_tags("Lambda function", d.name, dict(live.tags), d)
    return SeenFunction(live, recorded)


def _permission(aws: "Aws", d: StageNames, record: dict | None, function: SeenFunction | None,
                full: bool) -> SeenPermission | None:
    recorded = rec.get(record, "permission")
    if function is None:
        return None
    if recorded and function.recorded and not full:
        return SeenPermission(recorded["source_arn"], True)
    source = aws.get_permission_source(d.name, PERMISSION_ID)
    return SeenPermission(source, bool(recorded)) if source is not None else None


def invokes_our_function(uri: str, d: StageNames) -> bool:
    """An integration URI (the invocation path or the bare ARN) of the function `d.name`."""
    return integration_function(uri).endswith(f":function:{d.name}")


def _integration(aws: "Aws", d: StageNames, record: dict | None, api: SeenApi | None,
                 routes: tuple[SeenRoute, ...], full: bool) -> tuple[SeenIntegration | None, tuple[str, ...]]:
    """The API's integration with our function, and the ids of any duplicates of it."""
    if api is None:
        return None, ()
    recorded = rec.get(record, "integration") if api.recorded else None
    elsewhere = recorded and any(r.target.startswith("integrations/") and r.target != f"integrations/{recorded['id']}"
                                 for r in routes)   # another run's, or the record is stale: look
    if recorded and not full and not elsewhere:
        return SeenIntegration(recorded["id"], recorded["uri"], True), ()
    found = aws.get_integrations(api.id)
    keep = next((i for i in found if recorded and i.id == recorded["id"]), None)
    ours = [i for i in found if invokes_our_function(i.uri, d)]
    if keep is None and ours:    # the one most routes target (a duplicate has none)
        keep = max(ours, key=lambda i: sum(r.target == f"integrations/{i.id}" for r in routes))
    extras = tuple(sorted(i.id for i in ours if keep is None or i.id != keep.id))
    seen = SeenIntegration(keep.id, keep.uri, bool(recorded) and keep.id == recorded["id"]) if keep else None
    return seen, extras


def _routes(aws: "Aws", record: dict | None, api: SeenApi | None, full: bool) -> tuple[SeenRoute, ...]:
    if api is None:
        return ()
    recorded = rec.routes(record) if api.recorded else {}
    seen = []
    for route in aws.get_routes(api.id):
        mine = recorded.get(route.key)
        known = mine if mine and mine.get("id") == route.id else None
        response_id = known.get("response_id") if known else None
        if response_id and full and not aws.route_response_exists(api.id, route.id, response_id):
            response_id = None
        seen.append(SeenRoute(route.key, route.id, route.target, route.reply, known is not None,
                              response_id, route.authorization, route.authorizer_id))
    return tuple(sorted(seen, key=lambda r: r.key))


def _stage(aws: "Aws", d: StageNames, record: dict | None, api: SeenApi | None,
           full: bool) -> SeenStage | None:
    if api is None:
        return None
    recorded = rec.get(record, "stage") is not None and api.recorded
    if recorded and not full:
        return SeenStage(None, True)
    live = aws.get_stage(api.id, d.stage)
    return SeenStage(live.auto_deploy, recorded) if live else None
