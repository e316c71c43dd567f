"""SSM Parameter Store and Secrets Manager: `up` checks that each secret the app references
exists, with reads that return no value (GetParameters without decryption: a SecureString's
value stays encrypted; DescribeSecret: metadata only)."""

from __future__ import annotations

from ..permissions import SECRET_PARAMETERS, SECRET_VALUES, Need, declare
from .core import AwsCore

declare("ssm", {"get_parameters": Need(SECRET_PARAMETERS, "ssm:GetParameters")})
declare("secretsmanager", {"describe_secret": Need(SECRET_VALUES, "secretsmanager:DescribeSecret")})

SSM_BATCH = 10     # GetParameters takes at most ten names


class SecretsCalls(AwsCore):
    def missing_parameters(self, names: list[str]) -> list[str]:
        """The SSM parameters of `names` that do not exist."""
        missing: list[str] = []
        for start in range(0, len(names), SSM_BATCH):
            found = self._call("ssm", "get_parameters", Names=names[start:start + SSM_BATCH],
                               WithDecryption=False)
            missing += found.get("InvalidParameters", [])
        return sorted(missing)

    def secret_exists(self, name: str) -> bool:
        return self._call("secretsmanager", "describe_secret", missing_ok=True, SecretId=name) is not None
