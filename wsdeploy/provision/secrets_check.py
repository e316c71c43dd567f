"""`up` stops before any write when a secret the app references does not exist: the function
would fail at its first cold start, after the deploy had "succeeded"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..app_secrets import parameter_names, secret_names
from ..errors import UserError
from .desired import Desired

if TYPE_CHECKING:
    from .aws import Aws


def check_secrets_exist(aws: "Aws", d: Desired) -> None:
    """Reads only, and only for a stage with secrets; UserError (exit 2) naming each missing one."""
    secrets = dict(getattr(d, "secrets", ()))
    if not secrets:
        return
    missing = [f"ssm:{p}" for p in aws.missing_parameters(parameter_names(secrets))]
    missing += [f"secretsmanager:{n}" for n in secret_names(secrets) if not aws.secret_exists(n)]
    if missing:
        names = sorted(name for name, ref in secrets.items()
                       if any(ref == m or ref.startswith(m + "#") for m in missing))
        raise UserError(
            f"secrets of stage {d.stage} not found in {d.region}: {', '.join(missing)} (for "
            f"{', '.join(names)}). Nothing was changed. Create them (aws ssm put-parameter --type "
            "SecureString, aws secretsmanager create-secret), or fix the references in wsdeploy.toml")
