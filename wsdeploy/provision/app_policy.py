"""The app's own grants on its role: the `app` inline policy (from `permissions`) and the
managed policies attached (from `managed_policies`). Data only: the documents, and how a
plan names what changes between two lists of statements.

Why a second inline policy: wsdeploy's own (`wsdeploy`) grants exactly what the runtime
needs and is rewritten whenever the API changes; the app's statements are the user's, kept
apart so either is readable on its own and a change to one never rewrites the other.
"""

from __future__ import annotations

import json
from typing import Any, Iterable

APP_POLICY_NAME = "app"


def app_policy_document(statements: Iterable[Any]) -> dict | None:
    """The IAM document of the configured statements (Sids App1, App2...); None for none."""
    listed = [s.as_iam(f"App{n}") for n, s in enumerate(statements, 1)]
    return {"Version": "2012-10-17", "Statement": listed} if listed else None


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def describe_statement(statement: dict) -> str:
    """"s3:GetObject on arn:aws:s3:::b/*" (and "if {...}" with a condition)."""
    text = (f"{', '.join(map(str, _listed(statement.get('Action', []))))} on "
            f"{', '.join(map(str, _listed(statement.get('Resource', []))))}")
    if statement.get("Condition"):
        text += f" if {json.dumps(statement['Condition'], sort_keys=True)}"
    return text


def statements_diff(have: list[dict] | None, want: list[dict] | None) -> tuple[str, ...]:
    """The plan's diff of statements: "+ ..." for each added, "- ..." for each removed (Sids
    aside: renumbering is no change). Without the old statements: "policy document"."""
    if have is None:
        return ("policy document",)
    old = [describe_statement(s) for s in have]
    new = [describe_statement(s) for s in want or []]
    return tuple([f"- {s}" for s in old if s not in new] + [f"+ {s}" for s in new if s not in old]) \
        or ("policy document",)
