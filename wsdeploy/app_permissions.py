"""`permissions` and `managed_policies` of wsdeploy.toml: the app's own IAM grants.

Checked here, before any AWS call, so that a typo is one clear message rather than IAM's
MalformedPolicyDocument halfway through a deploy. The statements become the role's second
inline policy, `app` (provision/handlers/app_access.py), beside wsdeploy's own.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

# Whole-string patterns (always fullmatch), ASCII only.
ACTION_RE = re.compile(r"[a-z0-9][a-z0-9-]*:[A-Za-z0-9*?]+", re.ASCII)
RESOURCE_ARN_RE = re.compile(r"arn:(?:aws|aws-cn|aws-us-gov|\*):[a-z0-9*?-]+:[a-z0-9*?-]*:"
                             r"(?:\d{12}|\*|)?:\S+", re.ASCII)
MANAGED_POLICY_RE = re.compile(r"arn:aws(?:-cn|-us-gov)?:iam::(?:aws|\d{12}):policy/"
                               r"[\w+=,.@/-]+", re.ASCII)
STATEMENT_KEYS = ("actions", "resources", "condition")
ALL = "*"


@dataclass(frozen=True)
class Statement:
    """One `[[app.permissions]]` entry: Allow `actions` on `resources`, if `condition`."""

    actions: tuple[str, ...]
    resources: tuple[str, ...]
    condition: str = ""          # the condition table as canonical JSON ("" for none): hashable

    def as_iam(self, sid: str) -> dict[str, Any]:
        statement: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Action": list(self.actions),
                                     "Resource": list(self.resources)}
        if self.condition:
            statement["Condition"] = json.loads(self.condition)
        return statement


def _strings(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)


def _action_problem(action: str) -> str | None:
    if action == ALL or ACTION_RE.fullmatch(action):
        return None
    return (f"{json.dumps(action)} is not an IAM action: write service:Action, e.g. \"s3:GetObject\" "
            "(wildcards * and ? allowed, e.g. \"s3:Get*\")")


def _resource_problem(resource: str) -> str | None:
    if resource == ALL or RESOURCE_ARN_RE.fullmatch(resource):
        return None
    return (f"{json.dumps(resource)} is not a resource ARN: write arn:aws:SERVICE:REGION:ACCOUNT:RESOURCE, "
            "e.g. \"arn:aws:s3:::my-bucket/*\", or \"*\"")


def _condition_problem(condition: Any) -> str | None:
    shape = ("a table of operators, each a table of condition keys, e.g. "
             "condition = { StringEquals = { \"aws:RequestedRegion\" = \"us-east-1\" } }")
    if not isinstance(condition, dict) or not condition:
        return f"must be {shape}"
    for operator, keys in condition.items():
        if not isinstance(keys, dict) or not keys:
            return f"{operator} must be a table of condition keys: {shape}"
        for key, value in keys.items():
            if not (isinstance(value, (str, bool, int)) or _strings(value)):
                return (f"{operator}.{key} must be a string, a number, true/false or a list of "
                        "strings")
    return None


def check_permissions(value: Any) -> list[tuple[str, str]]:
    """(where, problem) pairs; where is "" for the whole list, else "[N]" or "[N].key"
    (N counted from 1, as the statements are numbered in messages)."""
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        return [("", "must be a list of statements: one [[app.permissions]] table each, with "
                     "actions = [\"s3:GetObject\"] and resources = [\"arn:aws:s3:::my-bucket/*\"]")]
    found = []
    for number, entry in enumerate(value, 1):
        at = f"[{number}]"
        for key in entry:
            if key not in STATEMENT_KEYS:
                found.append((f"{at}.{key}", f"unknown key; a statement has {', '.join(STATEMENT_KEYS)} "
                                             "(every statement allows: there is no effect to set)"))
        for key, check, example in (("actions", _action_problem, "[\"s3:GetObject\"]"),
                                    ("resources", _resource_problem, "[\"arn:aws:s3:::my-bucket/*\"]")):
            items = entry.get(key)
            if items is None:
                found.append((f"{at}.{key}", f"missing: e.g. {key} = {example}"))
            elif not _strings(items):
                found.append((f"{at}.{key}", f"must be a non-empty list of strings, e.g. {key} = {example}"))
            else:
                found += [(f"{at}.{key}", problem) for item in items if (problem := check(item))]
        if "condition" in entry and (problem := _condition_problem(entry["condition"])):
            found.append((f"{at}.condition", problem))
    return found


def check_managed_policies(value: Any) -> str | None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return ("must be a list of IAM policy ARNs, e.g. "
                "[\"arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess\"]")
    bad = [v for v in value if not MANAGED_POLICY_RE.fullmatch(v)]
    if bad:
        return (f"{json.dumps(bad[0])} is not a managed policy ARN: arn:aws:iam::aws:policy/NAME (AWS's) or "
                "arn:aws:iam::123456789012:policy/NAME (your account's)")
    if len(set(value)) != len(value):
        return "lists a policy twice: name each once"
    return None


def statements_from(value: list[dict]) -> tuple[Statement, ...]:
    """The checked list as frozen statements."""
    return tuple(Statement(tuple(entry["actions"]), tuple(entry["resources"]),
                           json.dumps(entry["condition"], sort_keys=True) if "condition" in entry else "")
                 for entry in value)


def wildcard_warnings(where: str, value: list[dict]) -> list[str]:
    """"*" as a whole action or resource grants far more than an app needs: said, by number."""
    found = []
    for number, entry in enumerate(value, 1):
        for key, what in (("actions", "every action of every service"),
                          ("resources", "every resource of its actions")):
            if ALL in entry.get(key, ()):
                found.append(f"{where} permissions[{number}]: {key} = [\"*\"] allows {what}; "
                             "name what the app uses if you can")
    return found
