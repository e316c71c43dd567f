"""Connection tracking's DynamoDB table and its time to live."""

from __future__ import annotations

from typing import Any

from .. import record as rec
from ..desired import TABLE_BILLING, TABLE_KEYS, TTL_ATTRIBUTE
from ..errors import AlreadyExists, AwsCallError
from ..live import TTL_ON
from ..ownership import require_tags
from ..run import Run
from ..steps import Action, Step


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


TABLE = {Action.CREATE: create_table, Action.UPDATE: update_table, Action.ADOPT: adopt_table,
         Action.DELETE: delete_table}
TABLE_TTL = {Action.UPDATE: enable_table_ttl}
