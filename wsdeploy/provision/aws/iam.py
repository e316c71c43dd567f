"""IAM: the function's role and its inline policies."""

from __future__ import annotations

from typing import Mapping

from ..live import Role
from ..permissions import ATTACH_POLICIES, MANAGED_POLICIES, ROLE, Need, declare
from .core import AwsCore, _decode_policy, _json

# What each call needs from IAM (permissions.py): tags on create need iam:TagRole.
declare("iam", {
    "get_role": Need(ROLE, "iam:GetRole"),
    "create_role": Need(ROLE, "iam:CreateRole", "iam:TagRole"),
    "update_assume_role_policy": Need(ROLE, "iam:UpdateAssumeRolePolicy"),
    "put_role_policy": Need(ROLE, "iam:PutRolePolicy"),
    "get_role_policy": Need(ROLE, "iam:GetRolePolicy"),
    "delete_role_policy": Need(ROLE, "iam:DeleteRolePolicy"),
    "delete_role": Need(ROLE, "iam:DeleteRole"),
    "list_role_policies": Need(ROLE, "iam:ListRolePolicies"),
    "list_attached_role_policies": Need(ROLE, "iam:ListAttachedRolePolicies"),
})


class IamCalls(AwsCore):
    def get_role(self, name: str) -> Role | None:
        found = self._call("iam", "get_role", missing_ok=True, RoleName=name)
        return _role(found["Role"]) if found else None

    def create_role(self, name: str, trust: Mapping, tags: Mapping[str, str]) -> Role:
        created = self._call("iam", "create_role", RoleName=name, AssumeRolePolicyDocument=_json(trust),
                             Description="Execution role of a wsdeploy WebSocket function",
                             Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
        return _role(created["Role"])

    def update_trust(self, name: str, trust: Mapping) -> None:
        self._call("iam", "update_assume_role_policy", RoleName=name, PolicyDocument=_json(trust))

    def put_role_policy(self, role: str, policy: str, document: Mapping) -> None:
        self._call("iam", "put_role_policy", RoleName=role, PolicyName=policy,
                   PolicyDocument=_json(document))

    def get_role_policy(self, role: str, policy: str) -> dict | None:
        found = self._call("iam", "get_role_policy", missing_ok=True, RoleName=role, PolicyName=policy)
        return _decode_policy(found["PolicyDocument"]) if found else None

    def delete_role_policy(self, role: str, policy: str) -> None:
        self._call("iam", "delete_role_policy", missing_ok=True, RoleName=role, PolicyName=policy)

    def list_role_policies(self, role: str) -> list[str]:
        """The names of the role's inline policies ([] when the role is gone)."""
        found = self._call("iam", "list_role_policies", missing_ok=True, RoleName=role)
        return list(found["PolicyNames"]) if found else []

    def delete_role(self, name: str) -> None:
        self._call("iam", "delete_role", missing_ok=True, RoleName=name)


def _role(data: Mapping) -> Role:
    return Role(data["RoleName"], data["Arn"], _decode_policy(data.get("AssumeRolePolicyDocument", {})),
                {t["Key"]: t["Value"] for t in data.get("Tags", [])})


# The app's managed policies (`managed_policies`): attached only when configured, and only
# those named (the condition); detached on the role alone. (Listing them is declared above, on
# the role of every stage: status names the policies attached by hand.)
declare("iam", {
    "attach_role_policy": Need(ATTACH_POLICIES, "iam:AttachRolePolicy"),
    "detach_role_policy": Need(MANAGED_POLICIES, "iam:DetachRolePolicy"),
})


class ManagedPolicyCalls(AwsCore):
    def attached_policies(self, role: str) -> tuple[str, ...] | None:
        """The ARNs of the managed policies attached to `role`; None when the role is gone."""
        arns: list[str] = []
        marker = None
        while True:
            page = self._call("iam", "list_attached_role_policies", missing_ok=True, RoleName=role,
                              **({"Marker": marker} if marker else {}))
            if page is None:
                return None
            arns += [p["PolicyArn"] for p in page.get("AttachedPolicies", [])]
            marker = page.get("Marker") if page.get("IsTruncated") else None
            if not marker:
                return tuple(sorted(arns))

    def attach_role_policy(self, role: str, arn: str) -> None:
        self._call("iam", "attach_role_policy", RoleName=role, PolicyArn=arn)

    def detach_role_policy(self, role: str, arn: str) -> None:
        self._call("iam", "detach_role_policy", missing_ok=True, RoleName=role, PolicyArn=arn)
