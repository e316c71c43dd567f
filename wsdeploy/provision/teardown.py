"""`down`: find what a stage has in AWS, then delete it in reverse order of creation.

The record names what was created; whatever it does not name (a lost state file, a run
killed before it could record) is looked up by name and tags. Deleting an API takes its
routes, integration and stage with it, and deleting the function takes its permission, so
down needs one call per top-level resource. Something already gone counts as deleted. The
connections table goes right after the function, the only thing that used it; it is looked
up by name and tags whenever the record does not name it, whatever wsdeploy.toml says now.
APIs are always looked up by name and tags too, recorded or not, so a duplicate left by an
interrupted create goes with the rest.

The log group /aws/lambda/NAME is the function's: an unrecorded one is deleted only when it
carries this stage's tags, or when it has none and the function is ours (Lambda makes the
group itself, untagged); never when a function of that name was left alone as not ours.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import DeployError
from ..state import StateFile
from . import record as rec
from .aws import ACCESS_DENIED, Aws, AwsCallError
from .desired import ROLE_POLICY_NAME, TAG_APP, TAG_STAGE, StageNames
from .executor import QuietReporter, Reporter, recorded_summary
from .deploy import reading, shown
from .observe import check_identity
from .planner import Step


WITH_ITEMS = "with every item in it"


@dataclass(frozen=True)
class Teardown:
    record: dict | None
    steps: tuple[Step, ...]
    notices: tuple[str, ...] = ()


def _ours(tags: dict, names: StageNames) -> bool:
    return tags.get(TAG_APP) == names.app and tags.get(TAG_STAGE) == names.stage


def prepare_down(aws: Aws, names: StageNames, store: StateFile, keep_logs: bool = False) -> Teardown:
    """What down would delete; read calls only (and none for what the record names)."""
    record = store.load()
    rec.check_matches(record, names, shown(store.path))
    with reading():
        return _find(aws, names, record, keep_logs, shown(store.path))


def _find(aws: Aws, names: StageNames, record: dict | None, keep_logs: bool, where: str) -> Teardown:
    check_identity(aws, record, where)
    steps, notices = [], []

    recorded_api = rec.get(record, "api")
    api_ids = [recorded_api["id"]] if recorded_api else []
    api_ids += sorted(a.id for a in aws.find_apis(names.name)
                      if _ours(a.tags, names) and a.id not in api_ids)
    steps += [Step("api", "delete", api_id, why="with its routes, integration and stage")
              for api_id in api_ids]

    function_ours, function_left = bool(rec.get(record, "function")), False
    if function_ours:
        steps.append(Step("function", "delete", names.name, why="with its permission"))
    else:
        function = aws.get_function(names.name)
        if function and _ours(dict(function.tags), names):
            function_ours = True
            steps.append(Step("function", "delete", names.name, why="with its permission"))
        elif function:
            function_left = True
            notices.append(f"the Lambda function {names.name} is not tagged as this stage's: left alone")

    if rec.get(record, "table"):
        steps.append(Step("table", "delete", names.connections_table, why=WITH_ITEMS))
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
            if tags is not None and _ours(tags, names):
                steps.append(Step("table", "delete", names.connections_table, why=WITH_ITEMS))
            elif tags is not None:
                notices.append(f"the DynamoDB table {names.connections_table} is not tagged as "
                               "this stage's: left alone")

    if rec.get(record, "role"):
        steps += [Step("role_policy", "delete", names.name), Step("role", "delete", names.name)]
    else:
        role = aws.get_role(names.name)
        if role and _ours(dict(role.tags), names):
            steps += [Step("role_policy", "delete", names.name), Step("role", "delete", names.name)]
        elif role:
            notices.append(f"the IAM role {names.name} is not tagged as this stage's: left alone")

    if keep_logs:
        notices.append(f"the log group {names.log_group} is kept (--keep-logs)")
    elif rec.get(record, "log_group"):
        steps.append(Step("log_group", "delete", names.log_group))
    elif function_left:
        notices.append(f"the log group {names.log_group} belongs to that function: left alone")
    else:
        tags = aws.log_group_tags(names.log_group)
        if tags is not None and (_ours(tags, names) or (not tags and function_ours)):
            steps.append(Step("log_group", "delete", names.log_group))
        elif tags is not None:
            notices.append(f"the log group {names.log_group} is not tagged as this stage's: left alone")
    return Teardown(record, tuple(steps), tuple(notices))


# What each deletion removes from the record.
FORGETS = {"api": ("api", "integration", "routes", "stage"), "function": ("function", "permission"),
           "role_policy": ("role_policy",), "role": ("role",), "log_group": ("log_group",),
           "table": ("table",)}


def apply_down(aws: Aws, names: StageNames, store: StateFile, teardown: Teardown,
               reporter: Reporter | None = None) -> None:
    """Deletes step by step, recording each; removes the state file when all is gone."""
    reporter = reporter or QuietReporter()
    record = teardown.record
    total = len(teardown.steps)
    for index, step in enumerate(teardown.steps, 1):
        reporter.step_started(index, total, step)
        try:
            _delete(aws, names, step)
        except AwsCallError as error:
            raise DeployError(
                f"step {index} of {total} failed: {step.describe()}\n"
                f"  AWS said: {error.code}: {error.message}\n"
                f"  {shown(store.path)} records: {recorded_summary(record) or 'nothing'}\n"
                "  To go on: run `wsdeploy down` again to remove the rest (what is gone already "
                "is fine), or `wsdeploy up` to deploy again") from error
        recorded_api = (rec.get(record, "api") or {}).get("id")
        if record is not None and not (step.kind == "api" and recorded_api not in (None, step.name)):
            for kind in FORGETS[step.kind]:       # (a duplicate API takes nothing recorded)
                rec.resources(record).pop(kind, None)
            store.save(record)
        reporter.step_done(index, total, step)
    store.remove()


def _delete(aws: Aws, names: StageNames, step: Step) -> None:
    if step.kind == "api":
        aws.delete_api(step.name)
    elif step.kind == "function":
        aws.delete_function(names.name)
    elif step.kind == "role_policy":
        aws.delete_role_policy(names.name, ROLE_POLICY_NAME)
    elif step.kind == "role":
        try:
            aws.delete_role(names.name)
        except AwsCallError as error:
            if error.code != "DeleteConflict":
                raise
            raise AwsCallError(error.operation, error.code,
                               f"{error.message} (policies were attached to the role by hand: "
                               "detach them in the IAM console, then run `wsdeploy down` again)") from None
    elif step.kind == "log_group":
        aws.delete_log_group(names.log_group)
    elif step.kind == "table":
        aws.delete_table(names.connections_table)
