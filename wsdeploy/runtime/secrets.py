"""Secrets from SSM Parameter Store and Secrets Manager, resolved once per container before the
handler module is imported, so app code reads them as ordinary environment variables.

The function's environment holds references only (WSDEPLOY_SECRETS: JSON of name ->
"ssm:/path" | "secretsmanager:name" | "secretsmanager:name#key"); the values are read here
with the standard-library signer (no boto3 at cold start): one SSM GetParameters call per ten
names, and the Secrets Manager reads side by side on threads. A failure names the variable,
the reference and AWS's reason, never a value.

Tests point the endpoints elsewhere with the AWS SDKs' convention: AWS_ENDPOINT_URL_SSM,
AWS_ENDPOINT_URL_SECRETS_MANAGER, or AWS_ENDPOINT_URL for both (Lambda sets none of them).
"""

from __future__ import annotations

import json
import os
import re

from .env import SECRETS_ENV
from .errors import HandlerConfigurationError

SSM, SECRETS_MANAGER = "ssm", "secretsmanager"
SSM_BATCH = 10                      # GetParameters takes at most ten names
TIMEOUT_SECONDS = 5
# Whole-string patterns (fullmatch), ASCII only: what AWS accepts as names.
SSM_NAME_RE = re.compile(r"/?[A-Za-z0-9_.\-]+(?:/[A-Za-z0-9_.\-]+)*", re.ASCII)
SECRET_NAME_RE = re.compile(r"[A-Za-z0-9/_+=.@\-]{1,512}", re.ASCII)
JSON_KEY_RE = re.compile(r"[^#\s]+", re.ASCII)
ENDPOINT_OVERRIDES = {SSM: "AWS_ENDPOINT_URL_SSM", SECRETS_MANAGER: "AWS_ENDPOINT_URL_SECRETS_MANAGER"}
_resolved = False


def parse_reference(reference: str) -> tuple[str, str, str | None] | None:
    """("ssm", "/path", None) or ("secretsmanager", "name", "key" | None); None when malformed."""
    source, _, rest = reference.partition(":")
    if source == SSM and SSM_NAME_RE.fullmatch(rest):
        return SSM, rest, None
    if source == SECRETS_MANAGER:
        name, hashed, key = rest.partition("#")
        if SECRET_NAME_RE.fullmatch(name) and (not hashed or JSON_KEY_RE.fullmatch(key)):
            return SECRETS_MANAGER, name, key if hashed else None
    return None


class SecretError(HandlerConfigurationError):
    """A secret could not be read: which, and why (never its value)."""


def endpoint(service: str, region: str) -> str:
    override = os.environ.get(ENDPOINT_OVERRIDES[service]) or os.environ.get("AWS_ENDPOINT_URL")
    if override:
        return override.rstrip("/") + "/"
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://{service}.{region}.{suffix}/"


def _call(service: str, target: str, payload: dict) -> dict:
    """One signed JSON 1.1 call over http.client (urllib.request would double the import
    cost); an error raises OSError with AWS's code and message."""
    import http.client
    from urllib.parse import urlsplit

    from .sigv4 import current_credentials, sign

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    url = endpoint(service, region)
    body = json.dumps(payload).encode()
    headers = sign("POST", url, body, current_credentials(), region, service=service)
    headers.update({"content-type": "application/x-amz-json-1.1", "x-amz-target": target})
    parts = urlsplit(url)
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = kind(parts.hostname, parts.port, timeout=TIMEOUT_SECONDS)
    try:
        connection.request("POST", parts.path or "/", body=body, headers=headers)
        answer = connection.getresponse()
        data = answer.read()
    except http.client.HTTPException as error:
        raise OSError(f"no answer from {service}: {error}") from None
    finally:
        connection.close()
    try:
        found = json.loads(data or b"{}")
    except ValueError:
        found = {}
    if answer.status >= 300:
        code = str(found.get("__type", f"HTTP {answer.status}")).rpartition("#")[2]
        reason = found.get("message") or found.get("Message") or ""
        raise OSError(f"{code}: {reason}".rstrip(": "))
    return found


def _ssm_values(names: list[str]) -> dict[str, str]:
    """Values by parameter name, in batches of ten; a missing one raises naming it."""
    values: dict[str, str] = {}
    for start in range(0, len(names), SSM_BATCH):
        batch = names[start:start + SSM_BATCH]
        found = _call(SSM, "AmazonSSM.GetParameters", {"Names": batch, "WithDecryption": True})
        for parameter in found.get("Parameters", []):
            values[parameter["Name"]] = parameter["Value"]
        for missing in found.get("InvalidParameters", []):
            values.setdefault(missing, None)
    return values


def _secret_value(name: str) -> str:
    found = _call(SECRETS_MANAGER, "secretsmanager.GetSecretValue", {"SecretId": name})
    if "SecretString" not in found:
        raise OSError("the secret holds binary data, not a string")
    return found["SecretString"]


def _pick(text: str, key: str | None) -> str:
    if key is None:
        return text
    try:
        document = json.loads(text)
    except ValueError:
        raise OSError(f"the secret is not JSON, so it has no key {key!r}") from None
    if not isinstance(document, dict) or key not in document:
        raise OSError(f"the secret's JSON has no key {key!r}")
    value = document[key]
    return value if isinstance(value, str) else json.dumps(value)


def read_references(references: dict[str, str]) -> dict[str, str]:
    """The values of `references` (name -> reference); SecretError names every failure."""
    parsed = {}
    for name, reference in references.items():
        found = parse_reference(reference) if isinstance(reference, str) else None
        if found is None:
            raise SecretError(f"secret {name}: {reference!r} is not a reference wsdeploy reads")
        parsed[name] = found
    problems: list[str] = []
    values: dict[str, str] = {}
    ssm = sorted({path for source, path, _ in parsed.values() if source == SSM})
    if ssm:
        try:
            by_path = _ssm_values(ssm)
        except (OSError, ValueError) as error:
            by_path = {}
            problems += [f"{n} (ssm:{p}): {error}" for n, (s, p, _) in parsed.items() if s == SSM]
        for name, (source, path, _) in parsed.items():
            if source == SSM and by_path:
                if by_path.get(path) is None:
                    problems.append(f"{name} (ssm:{path}): no such parameter")
                else:
                    values[name] = by_path[path]
    secret_names = sorted({path for source, path, _ in parsed.values() if source == SECRETS_MANAGER})
    texts = _side_by_side(secret_names)
    for name, (source, path, key) in parsed.items():
        if source != SECRETS_MANAGER:
            continue
        text = texts[path]
        try:
            if isinstance(text, Exception):
                raise text
            values[name] = _pick(text, key)
        except (OSError, ValueError) as error:
            problems.append(f"{name} (secretsmanager:{path}{'#' + key if key else ''}): {error}")
    if problems:
        raise SecretError("could not read the app's secrets: " + "; ".join(problems))
    return values


def _side_by_side(names: list[str]) -> dict[str, object]:
    """Each secret's string, or the exception its read raised; read on threads at once."""
    results: dict[str, object] = {}
    if not names:
        return results

    def read(name: str) -> None:
        try:
            results[name] = _secret_value(name)
        except Exception as error:   # reported by name, never raised from the thread
            results[name] = error

    if len(names) == 1:
        read(names[0])
        return results
    import threading

    threads = [threading.Thread(target=read, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def resolve_once() -> None:
    """Sets os.environ from WSDEPLOY_SECRETS, once per container (a failure is retried on
    the next event, as a fresh container would)."""
    global _resolved
    if _resolved:
        return
    text = os.environ.get(SECRETS_ENV)
    if text:
        try:
            references = json.loads(text)
        except ValueError:
            raise SecretError(f"{SECRETS_ENV} is not JSON: `wsdeploy up` sets it") from None
        os.environ.update(read_references(references))
    _resolved = True


def reset() -> None:
    """Read them again on the next event (tests, the emulator's reload)."""
    global _resolved
    _resolved = False
