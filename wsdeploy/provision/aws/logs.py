"""CloudWatch Logs: the function's log group and its events."""

from __future__ import annotations

from typing import Any, Mapping

from ..live import LogGroup
from ..permissions import LOG_GROUP, LOG_GROUPS, Need, declare
from .core import AwsCore

# What each call needs from IAM (permissions.py): tags on create need logs:TagResource.
declare("logs", {
    "describe_log_groups": Need(LOG_GROUPS, "logs:DescribeLogGroups"),
    "list_tags_for_resource": Need(LOG_GROUP, "logs:ListTagsForResource"),
    "create_log_group": Need(LOG_GROUP, "logs:CreateLogGroup", "logs:TagResource"),
    "put_retention_policy": Need(LOG_GROUP, "logs:PutRetentionPolicy"),
    "delete_log_group": Need(LOG_GROUP, "logs:DeleteLogGroup"),
    "filter_log_events": Need(LOG_GROUP, "logs:FilterLogEvents"),
})


class LogsCalls(AwsCore):
    def get_log_group(self, name: str) -> LogGroup | None:
        group = self._describe_log_group(name)
        return LogGroup(name, group.get("retentionInDays")) if group else None

    def _describe_log_group(self, name: str) -> dict | None:
        token = None
        while True:
            found = self._call("logs", "describe_log_groups", logGroupNamePrefix=name,
                               **({"nextToken": token} if token else {}))
            for group in found.get("logGroups", []):
                if group["logGroupName"] == name:
                    return group
            token = found.get("nextToken")
            if not token:
                return None

    def log_group_tags(self, name: str) -> dict[str, str] | None:
        """The log group's tags; None when it does not exist."""
        group = self._describe_log_group(name)
        if group is None:
            return None
        arn = group.get("logGroupArn") or group.get("arn", "").removesuffix(":*")
        found = self._call("logs", "list_tags_for_resource", missing_ok=True, resourceArn=arn)
        return dict(found.get("tags") or {}) if found is not None else None

    def create_log_group(self, name: str, tags: Mapping[str, str]) -> None:
        """AlreadyExists when it does (Lambda makes /aws/lambda/NAME itself on first use)."""
        self._call("logs", "create_log_group", logGroupName=name, tags=dict(tags))

    def put_retention(self, name: str, days: int) -> None:
        self._call("logs", "put_retention_policy", logGroupName=name, retentionInDays=days)

    def delete_log_group(self, name: str) -> None:
        self._call("logs", "delete_log_group", missing_ok=True, logGroupName=name)

    def log_events(self, group: str, start_ms: int, token: str | None = None,
                   pattern: str | None = None) -> tuple[list[dict], str | None]:
        """One page of the group's events since start_ms (those matching `pattern`, in
        CloudWatch's filter syntax, when given), and the token of the next page."""
        params: dict[str, Any] = {"logGroupName": group, "startTime": start_ms}
        if token:
            params["nextToken"] = token
        if pattern:
            params["filterPattern"] = pattern
        found = self._call("logs", "filter_log_events", missing_ok=True, **params)
        if found is None:
            return [], None
        return found.get("events", []), found.get("nextToken")
