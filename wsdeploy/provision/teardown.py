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

The log group /aws/lambda/NAME is the function's: an unrecorded one is deleted only when it
carries this stage's tags, or when it has none and the function is ours (Lambda makes the
group itself, untagged); never when a function of that name was left alone as not ours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import UserError
from ..state import StateFile
from . import record as rec
from .deploy import reading, shown
from .desired import StageNames
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


def prepare_down(aws: "Aws", names: StageNames, store: StateFile, keep_logs: bool = False) -> Teardown:
    """What down would delete; read calls only (and none for what the record names)."""
    record = store.load()
    rec.check_matches(record, names, shown(store.path))
    with reading():
        return _find(aws, names, record, keep_logs, shown(store.path))


def _find(aws: "Aws", names: StageNames, record: dict | None, keep_logs: bool, where: str) -> Teardown:
    check_identity(aws, record, where)
    steps, notices = [], []

    steps += _domains(aws, names, record)
    recorded_api = rec.get(record, "api")
    api_ids = [recorded_api["id"]] if recorded_api else []
    api_ids += sorted(a.id for a in aws.find_apis(names.name)
                      if is_ours(a.tags, names) and a.id not in api_ids)
    steps += [Step(Kind.API, "delete", api_id, why="with its routes, integration and stage")
              for api_id in api_ids]

    function_ours, function_left = bool(rec.get(record, "function")), False
    if function_ours:
        steps.append(Step(Kind.FUNCTION, "delete", names.name, why="with its permission"))
    else:
        function = aws.get_function(names.name)
        if function and is_ours(dict(function.tags), names):
            function_ours = True
            steps.append(Step(Kind.FUNCTION, "delete", names.name, why="with its permission"))
        elif function:
            function_left = True
            notices.append(f"the Lambda function {names.name} is not tagged as this stage's: left alone")

    if rec.get(record, "table"):
        steps.append(Step(Kind.TABLE, "delete", names.connections_table, why=WITH_ITEMS))
    else:
        try:
            table = aws.describe_table(names.connections_table)
        except AwsCallError as error:
            if error.code != ACCESS_DENIED:
                raise
            table = None
            notices.append(f"could not look for an unrecorded DynamoDB table "
                           f"{names.connections_table} (these credentials may not call "
                           "dynamodb:DescribeTable): if connection tracking was ever on, "
                           "check for it by hand")
        if table and not table.status == "DELETING":
            tags = aws.table_tags(table.arn)
            if tags is not None and is_ours(tags, names):
                steps.append(Step(Kind.TABLE, "delete", names.connections_table, why=WITH_ITEMS))
            elif tags is not None:
                notices.append(f"the DynamoDB table {names.connections_table} is not tagged as "
                               "this stage's: left alone")

    if rec.get(record, "role"):
        steps += [Step(Kind.ROLE_POLICY, "delete", names.name), Step(Kind.ROLE, "delete", names.name)]
    else:
        role = aws.get_role(names.name)
        if role and is_ours(dict(role.tags), names):
            steps += [Step(Kind.ROLE_POLICY, "delete", names.name), Step(Kind.ROLE, "delete", names.name)]
        elif role:
            notices.append(f"the IAM role {names.name} is not tagged as this stage's: left alone")

    if keep_logs:
        notices.append(f"the log group {names.log_group} is kept (--keep-logs)")
    elif rec.get(record, "log_group"):
        steps.append(Step(Kind.LOG_GROUP, "delete", names.log_group))
    elif function_left:
        notices.append(f"the log group {names.log_group} belongs to that function: left alone")
    else:
        tags = aws.log_group_tags(names.log_group)
        if tags is not None and (is_ours(tags, names) or (not tags and function_ours)):
            steps.append(Step(Kind.LOG_GROUP, "delete", names.log_group))
        elif tags is not None:
            notices.append(f"the log group {names.log_group} is not tagged as this stage's: left alone")
    return Teardown(record, tuple(steps), tuple(notices))


def _domains(aws: "Aws", names: StageNames, record: dict | None) -> list[Step]:
    """The recorded custom domain and any other tagged as this stage's: records, then name."""
    recorded = rec.get(record, "domain_name")
    found = [d for d in aws.find_domain_names() if is_ours(d.tags, names)
             and not (recorded and d.name == recorded["name"])]
    steps = []
    for name, target in ([(recorded["name"], None)] if recorded else []) + [(d.name, d.target) for d in found]:
        dns = rec.get(record, "dns_records")
        if (dns and dns["name"] == name) or (target and _unrecorded_records(aws, name, target)):
            steps.append(Step(Kind.DNS_RECORDS, "delete", name, why="alias A and AAAA"))
        steps.append(Step(Kind.DOMAIN_NAME, "delete", name, why="with its API mapping"))
    return steps


def _unrecorded_records(aws: "Aws", name: str, target: str) -> bool:
    """Whether alias records of a domain the record does not name are where `up` puts them."""
    try:
        zone = best_zone(aws.hosted_zones(), name)
    except UserError:     # two public zones of that name: neither is touched
        return False
    return bool(zone and ours(aws.record_sets(zone.id, name), target))


def apply_down(aws: "Aws", names: StageNames, store: StateFile, teardown: Teardown,
               reporter: Reporter | None = None) -> None:
    """Deletes step by step through the one executor, recording each; removes the state file
    when all is gone. Without a state file, nothing is recorded along the way."""
    record = teardown.record
    run = Run(aws=aws, d=names, record=record if record is not None else {},
              save=store.save if record is not None else (lambda _: None))
    execute(run, teardown.steps, reporter or QuietReporter(), shown(store.path), DOWN_RECOVERY)
    store.remove()
