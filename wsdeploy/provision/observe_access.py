"""What the app's own grants on its role are: the `app` inline policy and the managed
policies attached. Part of `observe`, by its rule: what the record names is trusted (a no-op
`up` reads nothing); a stage that neither wants nor recorded them reads nothing either, so
projects without `permissions` or `managed_policies` make no extra call. `full` reads what is
wanted or recorded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import record as rec
from .app_policy import APP_POLICY_NAME
from .desired import StageNames, document_hash
from .seen import SeenAppPolicy, SeenConcurrency, SeenManagedPolicies, SeenRole

if TYPE_CHECKING:
    from .aws import Aws


def observe_access(aws: "Aws", d: StageNames, record: dict | None, role: SeenRole | None,
                   full: bool) -> dict[str, Any]:
    """The `app_policy` and `managed_policies` fields of `Observed`."""
    if role is None:
        return {"app_policy": None, "managed_policies": None}
    return {"app_policy": _app_policy(aws, d, record, role, full),
            "managed_policies": _managed(aws, d, record, role, full)}


def _app_policy(aws: "Aws", d: StageNames, record: dict | None, role: SeenRole,
                full: bool) -> SeenAppPolicy | None:
    recorded = rec.get(record, "app_policy")
    if recorded and role.recorded and not full:
        return SeenAppPolicy(recorded["sha256"], tuple(recorded.get("statements") or ()) or None, True)
    if not recorded and not getattr(d, "app_statements", ()):
        return None
    live = aws.get_role_policy(d.name, APP_POLICY_NAME)
    if live is None:
        return None
    statements = live.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    return SeenAppPolicy(document_hash(live), tuple(statements), bool(recorded))


def _managed(aws: "Aws", d: StageNames, record: dict | None, role: SeenRole,
             full: bool) -> SeenManagedPolicies | None:
    recorded = rec.get(record, "managed_policies")
    if recorded and role.recorded and not full:
        arns = tuple(recorded.get("arns", ()))
        return SeenManagedPolicies(arns, True, arns)
    if not recorded and not getattr(d, "managed_policies", ()):
        return None
    live = aws.attached_policies(d.name)
    if live is None:
        return None
    return SeenManagedPolicies(live, bool(recorded), tuple((recorded or {}).get("arns", ())))


def observe_concurrency(record: dict | None, live_function) -> "SeenConcurrency | None":
    """The function's reserved concurrency, from the GetFunction answer `observe` has anyway."""
    reserved = live_function.reserved_concurrency if live_function is not None else None
    if reserved is None:
        return None
    return SeenConcurrency(reserved, rec.get(record, "concurrency") is not None)
