"""`secrets` and `secrets_kms_key` of wsdeploy.toml: environment variables whose values live in
SSM Parameter Store or Secrets Manager, never in wsdeploy.toml, the plan, the state or logs.

Checked here before any AWS call; the reference grammar is the runtime's own
(`wsdeploy.runtime.secrets.parse_reference`), so what passes here is what Lambda reads.
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping

from .runtime.secrets import SECRETS_MANAGER, SSM, parse_reference

KMS_KEY_RE = re.compile(r"arn:aws(?:-cn|-us-gov)?:kms:[a-z]{2}(?:-[a-z]+)+-[0-9]+:\d{12}:key/[A-Za-z0-9-]+",
                        re.ASCII)
REFERENCE_HELP = ('write "ssm:/path/to/parameter", "secretsmanager:name" or '
                  '"secretsmanager:name#jsonkey"')


def check_secrets(value: Any, name_problem) -> list[tuple[str, str]]:
    """(variable, problem) pairs; variable "" for the whole table. `name_problem(name)` is
    the environment's rule for variable names (config.py), so both refuse the same names."""
    if not isinstance(value, dict):
        return [("", 'must be a table such as { DATABASE_URL = "ssm:/chat/prod/database-url" }')]
    found = []
    for name, reference in value.items():
        problem = name_problem(name)
        if problem:
            found.append((name, problem))
        if not isinstance(reference, str) or parse_reference(reference) is None:
            shown = json.dumps(reference) if isinstance(reference, str) else type(reference).__name__
            found.append((name, f"{shown} is not a secret reference: {REFERENCE_HELP}"))
    return found


def check_kms_key(value: Any) -> str | None:
    if isinstance(value, str) and KMS_KEY_RE.fullmatch(value):
        return None
    return ('must be a KMS key ARN such as "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-...": '
            "the customer managed key your SecureString parameters or secrets are encrypted with "
            "(leave it out for AWS's own keys)")


def clashes(environment: Mapping[str, Any], secrets: Mapping[str, Any]) -> list[str]:
    """Names set both as a plain variable and as a secret."""
    return sorted(set(environment) & set(secrets))


def references(secrets: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """name -> (service, parameter or secret name), for the IAM grants and the existence check."""
    found = {}
    for name, reference in secrets.items():
        source, path, _ = parse_reference(reference)
        found[name] = (source, path)
    return found


def parameter_names(secrets: Mapping[str, str]) -> list[str]:
    return sorted({path for source, path in references(secrets).values() if source == SSM})


def secret_names(secrets: Mapping[str, str]) -> list[str]:
    return sorted({path for source, path in references(secrets).values() if source == SECRETS_MANAGER})
