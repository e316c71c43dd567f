"""DynamoDB: connection tracking's table and its time to live."""

from __future__ import annotations

from typing import Mapping

from ..errors import AwsCallError
from ..live import Table, TimeToLive
from ..permissions import TABLE, Need, declare
from .core import AwsCore

# What each call needs from IAM (permissions.py), on the table only, and only for a stage
# with connection tracking on; tags on create need dynamodb:TagResource.
declare("dynamodb", {
    "describe_table": Need(TABLE, "dynamodb:DescribeTable"),
    "list_tags_of_resource": Need(TABLE, "dynamodb:ListTagsOfResource"),
    "describe_time_to_live": Need(TABLE, "dynamodb:DescribeTimeToLive"),
    "create_table": Need(TABLE, "dynamodb:CreateTable", "dynamodb:TagResource"),
    "update_table": Need(TABLE, "dynamodb:UpdateTable"),
    "update_time_to_live": Need(TABLE, "dynamodb:UpdateTimeToLive"),
    "delete_table": Need(TABLE, "dynamodb:DeleteTable"),
})

TABLE_READY_SECONDS = 600.0       # an on-demand table is usually ACTIVE within seconds


class DynamoDbCalls(AwsCore):
    def describe_table(self, name: str) -> Table | None:
        found = self._call("dynamodb", "describe_table", missing_ok=True, TableName=name)
        return _table(found["Table"]) if found else None

    def table_tags(self, arn: str) -> dict[str, str] | None:
        """The table's tags; None when it is gone (deleted meanwhile)."""
        tags, token = {}, None
        while True:
            page = self._call("dynamodb", "list_tags_of_resource", missing_ok=True, ResourceArn=arn,
                              **({"NextToken": token} if token else {}))
            if page is None:
                return None
            tags.update({t["Key"]: t["Value"] for t in page.get("Tags", [])})
            token = page.get("NextToken")
            if not token:
                return tags

    def time_to_live(self, name: str) -> TimeToLive | None:
        found = self._call("dynamodb", "describe_time_to_live", missing_ok=True, TableName=name)
        if found is None:
            return None
        description = found.get("TimeToLiveDescription", {})
        return TimeToLive(description.get("TimeToLiveStatus", "DISABLED"), description.get("AttributeName"))

    def create_table(self, name: str, keys: tuple[tuple[str, str, str], ...], billing_mode: str,
                     tags: Mapping[str, str]) -> Table:
        """Creates the table, tagged; it answers CREATING and takes seconds to become ACTIVE.
        AlreadyExists when a table of this name exists (or is still being deleted)."""
        made = self._call(
            "dynamodb", "create_table", TableName=name, BillingMode=billing_mode,
            KeySchema=[{"AttributeName": a, "KeyType": k} for a, _, k in keys],
            AttributeDefinitions=[{"AttributeName": a, "AttributeType": t} for a, t, _ in keys],
            Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
        return _table(made["TableDescription"])

    def set_billing_mode(self, name: str, billing_mode: str) -> None:
        self._call("dynamodb", "update_table", TableName=name, BillingMode=billing_mode)

    def enable_ttl(self, name: str, attribute: str) -> None:
        """Turns TTL on for `attribute`. AWS refuses to enable it twice (ValidationException),
        which is what a retry after a lost answer does: TTL already on for it counts as done."""
        try:
            self._call("dynamodb", "update_time_to_live", TableName=name,
                       TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute})
        except AwsCallError as error:
            if error.code != "ValidationException":
                raise
            now = self.time_to_live(name)
            if now is None or not now.on_for(attribute):
                raise
            return

    def delete_table(self, name: str) -> None:
        """Deletes the table and every item in it. Gone or being deleted counts as done; a table
        still being created or updated (ResourceInUseException) is waited for, then deleted."""
        try:
            self._call("dynamodb", "delete_table", missing_ok=True, TableName=name)
        except AwsCallError as error:
            if error.code != "ResourceInUseException":
                raise
            try:
                self.wait_table(name)
            except AwsCallError as waiting:
                if waiting.code == "ResourceNotFoundException":
                    return          # gone meanwhile: nothing left to delete
                raise
            self._call("dynamodb", "delete_table", missing_ok=True, TableName=name)

    def wait_table(self, name: str, gone: bool = False, timeout: float = TABLE_READY_SECONDS) -> Table | None:
        """Polls until the table is ACTIVE (and returns it), or with `gone` until it no longer
        exists (a deleted table's name is free again only then)."""
        deadline, delay = self.clock() + timeout, 1.0
        while True:
            table = self.describe_table(name)
            if table is None:
                if gone:
                    return None
                raise AwsCallError("DescribeTable", "ResourceNotFoundException",
                                   f"the table {name} disappeared while wsdeploy waited for it")
            if not gone and table.status == "ACTIVE":
                return table
            if self.clock() >= deadline:
                raise AwsCallError("DescribeTable", "Timeout",
                                   f"the table {name} was still {table.status} after {timeout:.0f} s")
            self.sleep(delay)
            delay = min(delay * 2, 5.0)


def _table(data: Mapping) -> Table:
    types = {a["AttributeName"]: a["AttributeType"] for a in data.get("AttributeDefinitions", [])}
    keys = sorted(((k["AttributeName"], types.get(k["AttributeName"], ""), k["KeyType"])
                   for k in data.get("KeySchema", [])), key=lambda key: key[2] != "HASH")
    return Table(name=data["TableName"], arn=data["TableArn"], status=data.get("TableStatus", ""),
                 billing_mode=(data.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED"),
                 keys=tuple(keys))
