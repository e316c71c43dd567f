"""`down`: find what a stage has in AWS, then delete it, in reverse order of creation, with
the executor `up` uses (its delete steps and what the record forgets are in the registry).

The record names what was created; whatever it does not name (a lost state file, a run
killed before it could record) is looked up by name and tags. Deleting an API takes its
routes, integration and stage with it, and deleting the function takes its permission, so
down needs one call per top-level resource. Something already gone counts as deleted. The
connections table goes right after the function, the only thing that used it; it is looked
up by name and tags whenever the record does not name it, whatever wsdeploy.toml says now.
APIs are always looked up by name and tags too, recorded or not, so a duplicate left by an
interrupted create goes with the rest. So are custom domain names (one GetDomainNames), which
go first, with their DNS records before them: API Gateway refuses to delete an API that a
domain still maps.

Nothing is deleted on the record's word alone: each resource is read first and deleted only
when tagged as this stage's (see `_find`). The log group /aws/lambda/NAME is the function's:
it is deleted when it carries this stage's tags, or when it has none (Lambda makes the group
itself, untagged) and the function is ours (or gone, and the record names the group); never
when a function of that name was left alone as not ours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping

from ..errors import UserError
from ..state import StateStore
from . import record as rec
from .deploy import reading
from .desired import TAG_APP, TAG_STAGE, StageNames
from .dns import best_zone, ours
from .errors import ACCESS_DENIED, AwsCallError
from .executor import DOWN_RECOVERY, QuietReporter, Reporter, execute
from .observe import check_identity
from .ownership import is_ours
from .run import Run
from .steps import Kind, Step

if TYPE_CHECKING:
    from .aws import Aws


WITH_ITEMS = "with every item in it"


@dataclass(frozen=True)
class Teardown:
    record: dict | None
    steps: tuple[Step, ...]
    notices: tuple[str, ...] = ()


def prepare_down(aws: "Aws", names: StageNames, store: StateStore, keep_logs: bool = False) -> Teardown:
    """What down would delete; read calls only."""
    record = store.load()
    rec.check_matches(record, names, store.where)
    with reading():
        return _find(aws, names, record, keep_logs, store.where)


def _find(aws: "Aws", names: StageNames, record: dict | None, keep_logs: bool, where: str) -> Teardown:
    """Every resource is read before it is deleted, recorded or not, and deleted only when its
    tags say it is this stage's: a record edited or copied to name another app's resource must
    not delete it (refused, exit 2, before any delete); an unrecorded one of our name that is
    not ours is left alone with a notice."""
    function = aws.get_function(names.name)   # its ARN names the credentials' account
    check_identity(aws, record, where, function and function.arn)
    found = _Found(names, where)

    _domains(aws, names, record, found)     # first: AWS refuses to delete a mapped API
    websocket_apis, http_apis = aws.find_stage_apis(names.name, names.http_api_name)
    _apis(aws, record, "api", websocket_apis, found, Kind.API, "API",
          "with its routes, integration and stage")
    # the HTTP API of http_app (issue 17); the function's statement for it goes with the function
    _apis(aws, record, "http_api", http_apis, found, Kind.HTTP_API, "HTTP API",
          "with its integration, route and stage")

    function_ours = function is not None and found.ours(
        "Lambda function", names.name, function.tags, recorded=bool(rec.get(record, "function")))
    if function_ours:
        found.delete(Kind.FUNCTION, names.name, why="with its permission")

    table = _table(aws, names, record, found)
    if table is not None:
        tags = aws.table_tags(table.arn)
        if tags is not None and found.ours("DynamoDB table", names.connections_table, tags,
                                           recorded=bool(rec.get(record, "table"))):
            found.delete(Kind.TABLE, names.connections_table, why=WITH_ITEMS)

    role = aws.get_role(names.name)
    if role is not None and found.ours("IAM role", names.name, role.tags,
                                       recorded=bool(rec.get(record, "role"))):
        _app_access(record, names, found)
        found.delete(Kind.ROLE_POLICY, names.name)
        found.delete(Kind.ROLE, names.name)

    if keep_logs:
        found.notices.append(f"the log group {names.log_group} is kept (--keep-logs)")
    elif function is not None and not function_ours:
        found.notices.append(f"the log group {names.log_group} belongs to that function: left alone")
    else:
        tags = aws.log_group_tags(names.log_group)
        recorded = bool(rec.get(record, "log_group"))
        # Lambda makes /aws/lambda/NAME itself, untagged: it is ours with our function, or
        # when recorded and no function of that name is left to own it.
        lambdas_own = tags == {} and (function_ours or (function is None and recorded))
        if tags is not None and (lambdas_own or found.ours("log group", names.log_group, tags, recorded)):
            found.delete(Kind.LOG_GROUP, names.log_group)
    return Teardown(record, tuple(found.steps), tuple(found.notices))


class _Found:
    """The delete steps and notices of a teardown, and the one rule for what is ours."""

    def __init__(self, names: StageNames, where: str) -> None:
        self.names, self.where = names, where
        self.steps: list[Step] = []
        self.notices: list[str] = []

    def delete(self, kind: Kind, name: str, why: str = "") -> None:
        self.steps.append(Step(kind, "delete", name, why=why))

    def ours(self, label: str, name: str, tags: Mapping[str, str], recorded: bool) -> bool:
        """True when tagged as this stage's. Not ours: left alone with a notice, or, when
        the state file names it, refused before anything is deleted."""
        if is_ours(tags, self.names):
            return True
        if recorded:
            tagged = ", ".join(f"{k}={v}" for k, v in sorted(tags.items()) if k in (TAG_APP, TAG_STAGE))
            raise UserError(
                f"{self.where} names the {label} {name}, but it is "
                f"{'tagged ' + tagged if tagged else 'not tagged'}, not {TAG_APP}={self.names.app}, "
                f"{TAG_STAGE}={self.names.stage}: wsdeploy deletes only this stage's resources, so "
                "nothing was deleted. If the state file was edited or copied from elsewhere, "
                "restore it, or move it away (down then finds this stage's resources by name and tags)")
        self.notices.append(f"the {label} {name} is not tagged as this stage's: left alone")
        return False


def _apis(aws: "Aws", record: dict | None, key: str, listed: list, found: _Found, kind: Kind,
          label: str, why: str) -> None:
    """The recorded API (read by id when the listing lacks it: named otherwise) and every
    other listed one tagged as this stage's."""
    recorded = (rec.get(record, key) or {}).get("id")
    apis = {a.id: a for a in listed}
    if recorded and recorded not in apis:     # named otherwise, or gone
        live = aws.get_api(recorded)
        if live is not None:
            apis[recorded] = live
    for api_id in ([recorded] if recorded in apis else []) + sorted(set(apis) - {recorded}):
        if found.ours(label, api_id, apis[api_id].tags, recorded=api_id == recorded):
            found.delete(kind, api_id, why=why)


def _table(aws: "Aws", names: StageNames, record: dict | None, found: _Found) -> Any:
    """The connections table, if one of our name exists and is not already going."""
    try:
        table = aws.describe_table(names.connections_table)
    except AwsCallError as error:
        if error.code != ACCESS_DENIED or rec.get(record, "table"):
            raise
        found.notices.append(f"could not look for an unrecorded DynamoDB table "
                             f"{names.connections_table} (these credentials may not call "
                             "dynamodb:DescribeTable): if connection tracking was ever on, "
                             "check for it by hand")
        return None
    return table if table is not None and table.status != "DELETING" else None


def _app_access(record: dict | None, names: StageNames, found: _Found) -> None:
    """The app's grants the record names, before the role: IAM refuses to delete a role with
    a managed policy attached."""
    for arn in (rec.get(record, "managed_policies") or {}).get("arns", []):
        found.delete(Kind.MANAGED_POLICY, arn, why="detached from the role")
    if rec.get(record, "app_policy"):
        found.delete(Kind.APP_POLICY, names.name)


def _domains(aws: "Aws", names: StageNames, record: dict | None, found: _Found) -> None:
    """The recorded custom domain (refused unless tagged as ours) and any other tagged as this
    stage's: their records, then the name."""
    recorded = (rec.get(record, "domain_name") or {}).get("name")
    live = {d.name: d for d in aws.find_domain_names()}
    others = sorted(n for n, d in live.items() if n != recorded and is_ours(d.tags, names))
    dns = rec.get(record, "dns_records")
    for name in ([recorded] if recorded else []) + others:
        domain = live.get(name)
        if domain is not None and not found.ours("custom domain name", name, domain.tags,
                                                  recorded=name == recorded):
            continue
        target = domain.target if domain is not None and name != recorded else None
        if (dns and dns["name"] == name) or (target and _unrecorded_records(aws, name, target)):
            found.delete(Kind.DNS_RECORDS, name, why="alias A and AAAA")
        found.delete(Kind.DOMAIN_NAME, name, why="with its API mapping")


def _unrecorded_records(aws: "Aws", name: str, target: str) -> bool:
    """Whether alias records of a domain the record does not name are where `up` puts them."""
    try:
        zone = best_zone(aws.hosted_zones(), name)
    except UserError:     # two public zones of that name: neither is touched
        return False
    return bool(zone and ours(aws.record_sets(zone.id, name), target))


def apply_down(aws: "Aws", names: StageNames, store: StateStore, teardown: Teardown,
               reporter: Reporter | None = None) -> None:
    """Deletes step by step through the one executor, recording each; removes the state file
    when all is gone. Without a state file, nothing is recorded along the way."""
    record = teardown.record
    run = Run(aws=aws, d=names, record=record if record is not None else {},
              save=store.save if record is not None else (lambda _: None))
    execute(run, teardown.steps, reporter or QuietReporter(), store.where, DOWN_RECOVERY)
    store.remove()
