"""The app's own grants on the role: its `app` inline policy and its managed policies."""

from __future__ import annotations

from ..app_policy import APP_POLICY_NAME, app_policy_document
from ..desired import document_hash
from ..run import Run
from ..steps import Action, Step


def put_app_policy(run: Run, step: Step) -> None:
    document = app_policy_document(run.d.app_statements)
    run.aws.put_role_policy(run.d.name, APP_POLICY_NAME, document)
    run.put("app_policy", {"name": APP_POLICY_NAME, "sha256": document_hash(document),
                           "statements": document["Statement"]})


def adopt_app_policy(run: Run, step: Step) -> None:
    seen = run.observed.app_policy
    run.put("app_policy", {"name": APP_POLICY_NAME, "sha256": seen.sha256,
                           "statements": list(seen.statements or [])})


def delete_app_policy(run: Run, step: Step) -> None:
    run.aws.delete_role_policy(run.d.name, APP_POLICY_NAME)


def _recorded_arns(run: Run) -> set[str]:
    return set((run.record.get("resources", {}).get("managed_policies") or {}).get("arns", []))


def attach_policy(run: Run, step: Step) -> None:
    run.aws.attach_role_policy(run.d.name, step.name)
    run.put("managed_policies", {"arns": sorted(_recorded_arns(run) | {step.name})})


def adopt_policies(run: Run, step: Step) -> None:
    """Attached already (a lost record): only those the config names become ours."""
    seen = set(run.observed.managed_policies.arns)
    run.put("managed_policies", {"arns": sorted(seen & set(run.d.managed_policies))})


def detach_policy(run: Run, step: Step) -> None:
    run.aws.detach_role_policy(run.d.name, step.name)


def forget_policy(record: dict, step: Step) -> None:
    """After a detach: the record no longer names that ARN (nor the list, once empty)."""
    resources = record.get("resources", {})
    entry = resources.get("managed_policies")
    if entry is None:
        return
    arns = [a for a in entry.get("arns", []) if a != step.name]
    if arns:
        entry["arns"] = arns
    else:
        resources.pop("managed_policies", None)


APP_POLICY = {Action.CREATE: put_app_policy, Action.UPDATE: put_app_policy,
              Action.ADOPT: adopt_app_policy, Action.DELETE: delete_app_policy}
MANAGED_POLICY = {Action.CREATE: attach_policy, Action.ADOPT: adopt_policies,
                  Action.DELETE: detach_policy}
