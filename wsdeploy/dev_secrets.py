"""`wsdeploy dev` and [app.secrets]: the same references as the deployed function, resolved on
the developer's machine. A variable already set in the shell wins (a local database, a test
key); the rest are read from AWS with the developer's own credentials (boto3, imported only
then); whatever is still missing stops `dev` with one message saying how to set each.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Mapping

from .errors import UserError
from .runtime.secrets import SECRETS_MANAGER, SSM, _pick, parse_reference


def resolve_for_dev(cfg: Any, read: Callable[[Any, dict[str, str]], tuple[dict, dict]] | None = None
                    ) -> dict[str, str]:
    """The values to set for the secrets the shell does not set; UserError listing what is
    missing. `read(cfg, references) -> (values, reasons)` reads AWS (tests pass their own)."""
    secrets: Mapping[str, str] = getattr(cfg, "secrets", {}) or {}
    wanted = {name: ref for name, ref in secrets.items() if name not in os.environ}
    if not wanted:
        return {}
    values, reasons = (read or read_from_aws)(cfg, wanted)
    missing = [name for name in wanted if name not in values]
    if missing:
        lines = [f"{name} ({wanted[name]}): {reasons.get(name, 'not found')}" for name in missing]
        raise UserError(
            "wsdeploy dev needs these secrets, which are neither set in your shell nor readable "
            "from AWS with your credentials:\n  " + "\n  ".join(lines) + "\n  Set each in your "
            f"shell (e.g. export {missing[0]}=...) for a local value, or let your AWS credentials "
            "(AWS_PROFILE, `aws sso login`) read them")
    return values


def read_from_aws(cfg: Any, references: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(values, reasons): what could be read, and why the rest could not (never a value)."""
    try:
        import boto3
        import botocore.exceptions as bx
    except ImportError:   # pragma: no cover - the CLI depends on boto3
        return {}, {name: "boto3 is not installed" for name in references}
    session = boto3.Session(profile_name=getattr(cfg, "profile", None), region_name=getattr(cfg, "region", None))
    values: dict[str, str] = {}
    reasons: dict[str, str] = {}
    parsed = {name: parse_reference(ref) for name, ref in references.items()}
    try:
        paths = sorted({p for s, p, _ in parsed.values() if s == SSM})
        found: dict[str, str] = {}
        if paths:
            ssm = session.client("ssm")
            for start in range(0, len(paths), 10):
                answer = ssm.get_parameters(Names=paths[start:start + 10], WithDecryption=True)
                found.update({p["Name"]: p["Value"] for p in answer["Parameters"]})
        for name, (source, path, key) in parsed.items():
            if source == SSM:
                if path in found:
                    values[name] = found[path]
                else:
                    reasons[name] = "no such parameter"
            elif source == SECRETS_MANAGER:
                try:
                    text = session.client("secretsmanager").get_secret_value(SecretId=path)["SecretString"]
                    values[name] = _pick(text, key)
                except (bx.ClientError, KeyError, OSError) as error:
                    reasons[name] = _reason(error)
    except (bx.BotoCoreError, bx.ClientError) as error:
        reason = _reason(error)
        reasons.update({name: reason for name in references if name not in values})
    return values, reasons


def _reason(error: Exception) -> str:
    code = getattr(error, "response", {}).get("Error", {}).get("Code") if hasattr(error, "response") else None
    if isinstance(error, KeyError):
        return "the secret holds binary data, not a string"
    return f"{code}" if code else str(error)
