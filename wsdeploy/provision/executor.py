"""Runs a plan's steps and records each result in the state file at once.

Why at once: a run killed between two steps leaves a record that is true, and one killed
between a call and its record leaves a resource the next run finds by name and tags and
adopts. Everything a later step needs (the account, the API's id, the role's ARN) is read
from the record, so the record is the only memory a run has.

A create that AWS answers "already exists" (`aws.AlreadyExists`: a run whose answer was lost,
or a concurrent one, made it) adopts what exists, when it is ours by name and tags, and
brings it to what is desired, as the next run would have.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Protocol

from ..errors import DeployError
from ..state import utc_now
from . import record as rec
from .aws import TTL_ON, AlreadyExists, AwsCallError, Aws, Function, arn_partition_account
from .desired import (PERMISSION_ID, ROLE_POLICY_NAME, TABLE_BILLING, TABLE_KEYS, TTL_ATTRIBUTE,
                      Desired, config_hash, document_hash, function_settings,
                      integration_uri, permission_source_arn, role_policy, trust_policy,
                      websocket_url)
from .observe import Observed, require_tags
from .planner import Plan, Step, function_changes


class Reporter(Protocol):
    """What the CLI shows while a plan runs; provision never imports Rich itself."""

    def step_started(self, index: int, total: int, step: Step) -> None: ...
    def step_done(self, index: int, total: int, step: Step) -> None: ...
    def notice(self, message: str) -> None: ...


class QuietReporter:
    def step_started(self, index: int, total: int, step: Step) -> None: pass
    def step_done(self, index: int, total: int, step: Step) -> None: pass
    def notice(self, message: str) -> None: pass


@dataclass
class Run:
    aws: Aws
    d: Desired
    observed: Observed
    record: dict
    save: Callable[[dict], None]
    function_busy: bool = False
    table_busy: bool = False

    # facts recorded by earlier steps
    @property
    def partition(self) -> str:
        return self.record["partition"]

    @property
    def account(self) -> str:
        return self.record["account"]

    @property
    def api_id(self) -> str:
        return rec.get(self.record, "api")["id"]

    @property
    def role_arn(self) -> str:
        return rec.get(self.record, "role")["arn"]

    @property
    def function_arn(self) -> str:
        return rec.get(self.record, "function")["arn"]

    def put(self, kind: str, value: dict | None) -> None:
        if value is None:
            rec.resources(self.record).pop(kind, None)
        else:
            rec.resources(self.record)[kind] = value

    def learn_identity(self, arn: str) -> None:
        identity = arn_partition_account(arn)
        self.record["partition"], self.record["account"] = identity.partition, identity.account

    def function_ready(self) -> None:
        """Lambda refuses changes while the function is being created or updated."""
        if self.function_busy:
            self.aws.wait_function_ready(self.d.name)
            self.function_busy = False

    def table_ready(self) -> None:
        """DynamoDB refuses TTL and other changes until the table is ACTIVE, and the function
        should not be pointed at a table that is not."""
        if self.table_busy and self.d.connections is not None:
            self.aws.wait_table(self.d.connections_table)
            self.table_busy = False

    def settings(self) -> dict[str, Any]:
        return function_settings(self.d, self.partition, self.role_arn, self.api_id)

    @property
    def integration_uri(self) -> str:
        return integration_uri(self.d, self.function_arn)


def forget_what_is_gone(record: dict, observed: Observed) -> bool:
    """Drops from the record what the look-ups found gone (deleted by hand, or by a run whose
    answer was lost), so the record only names what exists. True if anything was dropped."""
    before = repr(record.get("resources"))
    for kind in ("role", "role_policy", "log_group", "table", "api", "function", "permission",
                 "integration", "stage"):
        if getattr(observed, kind) is None:
            rec.resources(record).pop(kind, None)
    if observed.table is not None and observed.table.deleting:
        rec.resources(record).pop("table", None)
    live = {route.key: route for route in observed.routes}
    recorded_routes = rec.routes(record)
    for key in list(recorded_routes):
        if key not in live or live[key].id != recorded_routes[key].get("id"):
            del recorded_routes[key]
        elif recorded_routes[key].get("response_id") != live[key].response_id:
            recorded_routes[key]["response_id"] = live[key].response_id
    return repr(record.get("resources")) != before


def execute(run: Run, plan: Plan, reporter: Reporter, where: str) -> str:
    """Runs every step, saving after each; returns the stage's wss:// URL."""
    steps = plan.steps
    if forget_what_is_gone(run.record, run.observed):
        run.save(run.record)
    live_function = run.observed.function.live if run.observed.function else None
    run.function_busy = bool(live_function and live_function.busy)
    run.table_busy = bool(run.observed.table and run.observed.table.busy)
    for index, step in enumerate(steps, 1):
        reporter.step_started(index, len(steps), step)
        try:
            HANDLERS[(step.kind, step.action)](run, step)
        except AwsCallError as error:
            raise DeployError(failure_message(step, index, len(steps), error, run.record, where)) from error
        run.save(run.record)
        reporter.step_done(index, len(steps), step)
    try:
        run.function_ready()   # the URL is only worth printing once the function can run
    except AwsCallError as error:
        waiting = Step("function", "wait for", run.d.name, why="until Lambda reports it ready")
        raise DeployError(failure_message(waiting, len(steps), len(steps), error, run.record, where)) from error
    return finish(run)


def finish(run: Run) -> str:
    """Records the URL and what was deployed; saves only if that changed."""
    url = websocket_url(run.d, run.partition, run.api_id)
    summary = {"url": url, "code_sha256": run.d.code_sha256, "config_hash": config_hash(run.d)}
    if any(run.record.get(key) != value for key, value in summary.items()) or not run.record.get("deployed_at"):
        run.record.update(summary, deployed_at=utc_now())
        run.save(run.record)
    return url


def failure_message(step: Step, index: int, total: int, error: AwsCallError, record: dict,
                    where: str) -> str:
    recorded = recorded_summary(record)
    return (f"step {index} of {total} failed: {step.describe()}\n"
            f"  AWS said: {error.code}: {error.message}\n"
            f"  {where} records: {recorded or 'nothing yet'}\n"
            "  To go on: `wsdeploy up` resumes from here (what exists is found and kept), "
            "or `wsdeploy down` removes everything created so far")


def recorded_summary(record: dict | None) -> str:
    parts = []
    for kind in rec.KINDS:
        value = rec.get(record, kind)
        if kind == "routes" and value:
            parts.append(f"routes {', '.join(sorted(value))}")
        elif value:
            label = kind.replace("_", " ")
            parts.append(f"{label} {value.get('id') or value.get('name') or ''}".strip())
    return "; ".join(parts)


# -- one handler per (kind, action) ---------------------------------------------------------
def _role_record(arn: str) -> dict:
    return {"name": arn.rsplit("/", 1)[-1], "arn": arn, "trust_sha256": document_hash(trust_policy())}


def create_role(run: Run, step: Step) -> None:
    try:
        role = run.aws.create_role(run.d.name, trust_policy(), run.d.tags)
    except AlreadyExists:
        role = run.aws.get_role(run.d.name)
        if role is None:
            raise
        require_tags("role", run.d.name, role.tags, run.d)
        if document_hash(role.trust) != document_hash(trust_policy()):
            run.aws.update_trust(run.d.name, trust_policy())
    run.learn_identity(role.arn)
    run.put("role", _role_record(role.arn))


def update_role(run: Run, step: Step) -> None:
    run.aws.update_trust(run.d.name, trust_policy())
    run.put("role", _role_record(run.role_arn))


def adopt_role(run: Run, step: Step) -> None:
    seen = run.observed.role
    run.learn_identity(seen.arn)
    run.put("role", {"name": run.d.name, "arn": seen.arn, "trust_sha256": seen.trust_sha256})


def create_log_group(run: Run, step: Step) -> None:
    try:
        run.aws.create_log_group(run.d.log_group, run.d.tags)
    except AlreadyExists:
        pass    # the function's own group (Lambda makes it on first use): its retention is set next
    run.aws.put_retention(run.d.log_group, run.d.retention_days)
    run.put("log_group", {"name": run.d.log_group, "retention_days": run.d.retention_days})


def update_log_group(run: Run, step: Step) -> None:
    run.aws.put_retention(run.d.log_group, run.d.retention_days)
    run.put("log_group", {"name": run.d.log_group, "retention_days": run.d.retention_days})


def adopt_log_group(run: Run, step: Step) -> None:
    run.put("log_group", {"name": run.d.log_group,
                          "retention_days": run.observed.log_group.retention_days})


def create_api(run: Run, step: Step) -> None:
    api = run.aws.create_api(run.d.name, run.d.route_selection, run.d.tags)
    run.put("api", {"id": api.id, "name": run.d.name, "route_selection": api.route_selection})


def update_api(run: Run, step: Step) -> None:
    run.aws.update_api(run.api_id, run.d.route_selection)
    run.put("api", {"id": run.api_id, "name": run.d.name, "route_selection": run.d.route_selection})


def adopt_api(run: Run, step: Step) -> None:
    seen = run.observed.api
    run.put("api", {"id": seen.id, "name": run.d.name, "route_selection": seen.route_selection})


def put_role_policy(run: Run, step: Step) -> None:
    document = role_policy(run.d, run.partition, run.account, run.api_id)
    run.aws.put_role_policy(run.d.name, ROLE_POLICY_NAME, document)
    run.put("role_policy", {"name": ROLE_POLICY_NAME, "sha256": document_hash(document)})


def adopt_role_policy(run: Run, step: Step) -> None:
    run.put("role_policy", {"name": ROLE_POLICY_NAME, "sha256": run.observed.role_policy.sha256})


def _table_record(run: Run, arn: str, ttl: str | None, billing_mode: str = TABLE_BILLING) -> dict:
    """`ttl`: the attribute TTL is on for, or None."""
    return {"name": run.d.connections_table, "arn": arn, "billing_mode": billing_mode, "ttl": ttl}


def create_table(run: Run, step: Step) -> None:
    if run.observed.table is not None and run.observed.table.deleting:
        run.aws.wait_table(run.d.connections_table, gone=True)   # its name is free only then
    try:
        table = run.aws.create_table(run.d.connections_table, TABLE_KEYS, TABLE_BILLING, run.d.tags)
    except AlreadyExists:
        table = _existing_table(run)
    if not run.record.get("account"):
        run.learn_identity(table.arn)
    run.table_busy = table.status != "ACTIVE"
    run.put("table", _table_record(run, table.arn, ttl=None, billing_mode=table.billing_mode))


def _existing_table(run: Run) -> Any:
    """The table a create found: still being deleted (waited out, then made), or adopted if
    ours and fit (its TTL is the next step, which takes TTL already on as done)."""
    name = run.d.connections_table
    table = run.aws.describe_table(name)
    if table is None or table.status == "DELETING":
        run.aws.wait_table(name, gone=True)
        return run.aws.create_table(name, TABLE_KEYS, TABLE_BILLING, run.d.tags)
    tags = run.aws.table_tags(table.arn)
    require_tags("DynamoDB table", name, tags or {}, run.d)
    if table.keys != TABLE_KEYS:
        raise AwsCallError("CreateTable", "ResourceInUseException",
                           f"the table {name} exists with other keys than pk, sk: delete it, "
                           "then run `wsdeploy up` again")
    return table


def update_table(run: Run, step: Step) -> None:
    """Back to on-demand billing (changed by hand)."""
    run.table_ready()
    run.aws.set_billing_mode(run.d.connections_table, TABLE_BILLING)
    run.table_busy = True
    run.put("table", {**rec.get(run.record, "table"), "billing_mode": TABLE_BILLING})


def adopt_table(run: Run, step: Step) -> None:
    seen = run.observed.table
    if not run.record.get("account"):
        run.learn_identity(seen.arn)
    ttl = seen.ttl_attribute if seen.ttl_status in TTL_ON else None
    run.put("table", _table_record(run, seen.arn, ttl=ttl, billing_mode=seen.billing_mode))


def enable_table_ttl(run: Run, step: Step) -> None:
    run.table_ready()
    run.aws.enable_ttl(run.d.connections_table, TTL_ATTRIBUTE)
    run.put("table", {**rec.get(run.record, "table"), "ttl": TTL_ATTRIBUTE})


def delete_table(run: Run, step: Step) -> None:
    run.aws.delete_table(run.d.connections_table)
    run.put("table", None)


def _function_record(function: Function) -> dict:
    return {"name": function.name, "arn": function.arn, "settings": {
        "role": function.role, "handler": function.handler, "runtime": function.runtime,
        "memory": function.memory, "timeout": function.timeout,
        "architecture": function.architecture,
        "environment_names": sorted(function.environment)}}   # names only: values may be secret


def _saw_function(run: Run, function: Function) -> None:
    run.function_busy = function.busy
    run.put("function", _function_record(function))


def create_function(run: Run, step: Step) -> None:
    run.table_ready()
    try:
        _saw_function(run, run.aws.create_function(run.d.name, run.d.code, run.settings(), run.d.tags))
    except AlreadyExists:
        _adopt_existing_function(run)
    run.function_ready()   # the permission comes next, and Lambda wants it Active first


def _adopt_existing_function(run: Run) -> None:
    """A function of our name exists: ours by its tags, it gets our settings and code."""
    live = run.aws.get_function(run.d.name)
    if live is None:
        raise AwsCallError("GetFunction", "ResourceNotFoundException",
                           f"the function {run.d.name} existed, then vanished: run again")
    require_tags("Lambda function", run.d.name, live.tags, run.d)
    run.learn_identity(live.arn)
    _saw_function(run, live)
    settings = run.settings()
    changed, code_changes = function_changes(run.d, live, settings)
    if changed or live.failed:
        run.function_ready()
        _saw_function(run, run.aws.update_function_configuration(run.d.name, settings))
    if code_changes:
        run.function_ready()
        _saw_function(run, run.aws.update_function_code(run.d.name, run.d.code, run.d.architecture))


def update_function(run: Run, step: Step) -> None:
    run.table_ready()
    run.function_ready()
    _saw_function(run, run.aws.update_function_configuration(run.d.name, run.settings()))


def update_function_code(run: Run, step: Step) -> None:
    run.function_ready()
    _saw_function(run, run.aws.update_function_code(run.d.name, run.d.code, run.d.architecture))


def adopt_function(run: Run, step: Step) -> None:
    run.learn_identity(run.observed.function.live.arn)
    run.put("function", _function_record(run.observed.function.live))


def create_permission(run: Run, step: Step) -> None:
    run.function_ready()
    source = permission_source_arn(run.d, run.partition, run.account, run.api_id)
    try:
        run.aws.add_permission(run.d.name, PERMISSION_ID, source)
    except AlreadyExists:   # the statement id exists (an update in progress is waited out in aws)
        if run.aws.get_permission_source(run.d.name, PERMISSION_ID) != source:
            replace_permission(run, step)
            return
    run.put("permission", {"statement_id": PERMISSION_ID, "source_arn": source})


def replace_permission(run: Run, step: Step) -> None:
    """A statement cannot be edited: remove it and add it again (a moment without it)."""
    run.function_ready()
    source = permission_source_arn(run.d, run.partition, run.account, run.api_id)
    run.aws.remove_permission(run.d.name, PERMISSION_ID)
    run.aws.add_permission(run.d.name, PERMISSION_ID, source)
    run.put("permission", {"statement_id": PERMISSION_ID, "source_arn": source})


def adopt_permission(run: Run, step: Step) -> None:
    run.put("permission", {"statement_id": PERMISSION_ID,
                           "source_arn": run.observed.permission.source_arn})


def create_integration(run: Run, step: Step) -> None:
    made = run.aws.create_integration(run.api_id, run.integration_uri)
    run.put("integration", {"id": made.id, "uri": run.integration_uri})


def update_integration(run: Run, step: Step) -> None:
    integration_id = rec.get(run.record, "integration")["id"]
    run.aws.update_integration(run.api_id, integration_id, run.integration_uri)
    run.put("integration", {"id": integration_id, "uri": run.integration_uri})


def delete_extra_integration(run: Run, step: Step) -> None:
    """A duplicate (step.name is its id): no route targets it any more."""
    run.aws.delete_integration(run.api_id, step.name)


def delete_extra_api(run: Run, step: Step) -> None:
    """A duplicate of the stage's API (step.name is its id), with all it holds."""
    run.aws.delete_api(step.name)


def adopt_integration(run: Run, step: Step) -> None:
    seen = run.observed.integration
    run.put("integration", {"id": seen.id, "uri": seen.uri})


def _target(run: Run) -> str:
    return f"integrations/{rec.get(run.record, 'integration')['id']}"


def _routes(run: Run) -> dict[str, dict]:
    return rec.resources(run.record).setdefault("routes", {})


def create_route(run: Run, step: Step) -> None:
    reply = run.d.route(step.name).reply
    try:
        made = run.aws.create_route(run.api_id, step.name, _target(run), reply)
    except AlreadyExists:   # made by a run whose answer was lost: adopted, and put right
        made = next((r for r in run.aws.get_routes(run.api_id) if r.key == step.name), None)
        if made is None:
            raise
        if (made.target, made.reply) != (_target(run), reply):
            run.aws.update_route(run.api_id, made.id, _target(run), reply)
    _routes(run)[step.name] = {"id": made.id, "target": _target(run), "reply": reply, "response_id": None}


def update_route(run: Run, step: Step) -> None:
    entry = _routes(run)[step.name]
    reply = run.d.route(step.name).reply
    run.aws.update_route(run.api_id, entry["id"], _target(run), reply)
    entry.update(target=_target(run), reply=reply)


def delete_route(run: Run, step: Step) -> None:
    run.aws.delete_route(run.api_id, run.observed.route(step.name).id)
    _routes(run).pop(step.name, None)


def adopt_route(run: Run, step: Step) -> None:
    seen = run.observed.route(step.name)
    _routes(run)[step.name] = {"id": seen.id, "target": seen.target, "reply": seen.reply,
                               "response_id": seen.response_id}


def create_route_response(run: Run, step: Step) -> None:
    entry = _routes(run)[step.name]
    entry["response_id"] = run.aws.create_route_response(run.api_id, entry["id"])


def delete_route_response(run: Run, step: Step) -> None:
    entry = _routes(run)[step.name]
    run.aws.delete_route_response(run.api_id, entry["id"], entry["response_id"])
    entry["response_id"] = None


def create_stage(run: Run, step: Step) -> None:
    try:
        run.aws.create_stage(run.api_id, run.d.stage, run.d.tags)
    except AlreadyExists:   # made by a run whose answer was lost: adopted, auto-deploy on
        stage = run.aws.get_stage(run.api_id, run.d.stage)
        if stage is None:
            raise
        if not stage.auto_deploy:
            run.aws.turn_on_auto_deploy(run.api_id, run.d.stage)
    run.put("stage", {"name": run.d.stage})


def update_stage(run: Run, step: Step) -> None:
    """Auto-deploy back on (turned off by hand): route changes go live again by themselves."""
    run.aws.turn_on_auto_deploy(run.api_id, run.d.stage)
    run.put("stage", {"name": run.d.stage})


def adopt_stage(run: Run, step: Step) -> None:
    run.put("stage", {"name": run.d.stage})


HANDLERS: dict[tuple[str, str], Callable[[Run, Step], None]] = {
    ("role", "create"): create_role, ("role", "update"): update_role, ("role", "adopt"): adopt_role,
    ("log_group", "create"): create_log_group, ("log_group", "adopt"): adopt_log_group,
    ("log_group", "update"): update_log_group,
    ("table", "create"): create_table, ("table", "update"): update_table,
    ("table", "adopt"): adopt_table, ("table", "delete"): delete_table,
    ("table_ttl", "update"): enable_table_ttl,
    ("api", "create"): create_api, ("api", "update"): update_api, ("api", "adopt"): adopt_api,
    ("role_policy", "create"): put_role_policy, ("role_policy", "update"): put_role_policy,
    ("role_policy", "adopt"): adopt_role_policy,
    ("function", "create"): create_function, ("function", "update"): update_function,
    ("function", "adopt"): adopt_function, ("function_code", "update"): update_function_code,
    ("permission", "create"): create_permission, ("permission", "update"): replace_permission,
    ("permission", "adopt"): adopt_permission,
    ("integration", "create"): create_integration, ("integration", "update"): update_integration,
    ("integration", "adopt"): adopt_integration, ("integration", "delete"): delete_extra_integration,
    ("api", "delete"): delete_extra_api,
    ("route", "create"): create_route, ("route", "update"): update_route,
    ("route", "delete"): delete_route, ("route", "adopt"): adopt_route,
    ("route_response", "create"): create_route_response,
    ("route_response", "delete"): delete_route_response,
    ("stage", "create"): create_stage, ("stage", "update"): update_stage,
    ("stage", "adopt"): adopt_stage,
}
