"""`wsdeploy.toml` -> one frozen, validated `StageConfig`.

Every check of user input lives here, before any AWS call, and every problem in the file is
reported at once: one `UserError` naming the file, each bad key (with its stage) and what
would be valid, so a user fixes the file in one go instead of one error per run.
"""

from __future__ import annotations

import difflib
import json
import keyword
import os
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Mapping

from . import naming
from .errors import UserError
from .remote_state import location_problem
from .app_vpc import check_vpc
from .app_secrets import check_kms_key, check_secrets, clashes
from .app_permissions import (Statement, check_managed_policies, check_permissions, statements_from,
                              wildcard_warnings)

CONFIG_FILENAME = "wsdeploy.toml"
STATE_DIRNAME = ".wsdeploy"

RUNTIMES = ("python3.10", "python3.11", "python3.12", "python3.13", "python3.14")
ARCHITECTURES = ("arm64", "x86_64")
ARCHITECTURE_ALIASES = {"amd64": "x86_64", "x64": "x86_64", "x86-64": "x86_64", "intel": "x86_64",
                        "aarch64": "arm64", "graviton": "arm64", "arm64v8": "arm64"}
MEMORY_RANGE = (128, 10240)        # MB, Lambda's limits
TIMEOUT_RANGE = (1, 900)           # seconds, Lambda's limits
GATEWAY_TIMEOUT = 29               # seconds: API Gateway stops waiting for the integration here
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096,
                      1827, 2192, 2557, 2922, 3288, 3653)  # what CloudWatch Logs accepts
ENV_TOTAL_LIMIT = 4096             # bytes of names + values, Lambda's limit
ENV_RESERVED_BYTES = 512           # kept free for the endpoint, the handler module and the table
RESERVED_ENV_PREFIXES = ("AWS_", "WSDEPLOY_")
RESERVED_ENV_NAMES = ("WEBSOCKET_API_GATEWAY_ENDPOINT", "_HANDLER", "_X_AMZN_TRACE_ID",
                      "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR")

# Whole-value patterns: always used with fullmatch (a `$` anchor would let "bx\n" through)
# and ASCII-only (so \d or a letter class never admits other scripts' digits and letters).
APP_NAME_RE = re.compile(r"[a-z](?:[a-z0-9-]*[a-z0-9])?", re.ASCII)
STAGE_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_-]*", re.ASCII)
ENV_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]+", re.ASCII)
REGION_RE = re.compile(r"[a-z]{2}(?:-[a-z]+)+-[0-9]+", re.ASCII)
ROUTE_SELECTION_RE = re.compile(r"\$request\.body\.[A-Za-z0-9_.-]+", re.ASCII)
ROUTE_TEMPLATE_PART_RE = re.compile(r"\$\{request\.body\.[A-Za-z0-9_.-]+\}", re.ASCII)
# Unicode categories no setting may hold: control characters (newline, tab, NUL, ESC...),
# invisible format characters (bidirectional overrides, zero-width spaces) and line separators.
UNPRINTABLE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})
# Environment values are data, not settings: a PEM or a JSON document spans lines and a
# greeting may hold an emoji's zero-width joiner, so only control characters other than tab
# and line breaks (a NUL cannot even be passed to a process) are refused there.
ENV_VALUE_UNPRINTABLE = frozenset({"Cc"})
ENV_VALUE_WHITESPACE = "\t\n\r"
DNS_LABEL_RE = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)", re.ASCII)
CERTIFICATE_ARN_RE = re.compile(
    r"arn:aws[a-z-]*:acm:([a-z]{2}(?:-[a-z]+)+-[0-9]+):[0-9]{12}:certificate/[A-Za-z0-9-]+", re.ASCII)
HOSTED_ZONE_ID_RE = re.compile(r"(?:/hostedzone/)?([A-Z0-9]{1,32})", re.ASCII)
BASE_PATH_RE = re.compile(r"[A-Za-z0-9$\-_.+!*'()]+(?:/[A-Za-z0-9$\-_.+!*'()]+)*", re.ASCII)  # API Gateway's
BASE_PATH_MAX = 300

DEFAULTS: dict[str, Any] = {
    "handler_module": None,
    "source": ".",
    "source_outside": False,
    "exclude": [],
    "include": [],
    "requirements": None,
    "region": None,
    "profile": None,
    "runtime": "python3.13",
    "architecture": "arm64",
    "memory": 256,
    "timeout": 29,
    "log_retention_days": 14,
    "route_selection": "$request.body.action",
    "environment": {},
    "connections": {},
    "domain": None,
    "state": "local",              # or "s3://bucket/prefix": remote_state.py
    "auth": "none",                # or "iam": $connect needs a SigV4-signed handshake (issue 11)
    "http_app": None,              # "module:attribute" of a WSGI or ASGI app: http_app.py
    "permissions": [],             # the app's own IAM statements: app_permissions.py
    "managed_policies": [],        # IAM managed policy ARNs attached to the role
    "secrets": {},                 # NAME = "ssm:/path" | "secretsmanager:name[#key]": app_secrets.py
    "secrets_kms_key": None,       # the customer KMS key they are encrypted with, if any
    "reserved_concurrency": None,  # the function's reserved concurrent executions
    "vpc": None,                   # { subnet_ids = [...], security_group_ids = [...] }: app_vpc.py
}
AUTH_MODES = ("none", "iam")
DOMAIN_KEYS = ("name", "certificate_arn", "hosted_zone_id", "base_path")
CONNECTIONS_DEFAULTS: dict[str, Any] = {"enabled": False, "ttl_hours": 2, "track": True}
TTL_HOURS_RANGE = (1, 24 * 365)  # a connection lives at most 2 hours; longer is for app data
STAGE_KEYS = tuple(DEFAULTS)                      # what a stage may override
STAGE_ONLY = ("domain",)                          # what only a stage may set
APP_KEYS = ("name", "default_stage") + tuple(k for k in STAGE_KEYS if k not in STAGE_ONLY)  # [app]


@dataclass(frozen=True)
class ConnectionsConfig:
    """[app.connections]: a DynamoDB table of who is connected, in which rooms."""

    enabled: bool = False
    ttl_hours: float = 2       # items expire by DynamoDB TTL; the gateway's maximum connection life
    track: bool = True         # the runtime records $connect and forgets $disconnect itself


@dataclass(frozen=True)
class DomainConfig:
    """A stage's `domain`: wss://NAME/BASE_PATH in front of the API's stage."""

    name: str                          # lowercase, no trailing dot
    certificate_arn: str | None = None  # None: the ISSUED ACM certificate covering name
    hosted_zone_id: str | None = None   # None: the public Route 53 zone with the longest suffix
    base_path: str = ""                 # the API mapping key; "" maps the name's root


@dataclass(frozen=True)
class StageConfig:
    """The settings of one stage: [app] with the stage's table laid over it."""

    config_path: Path
    project_dir: Path
    app: str
    stage: str
    handler_module: str | None
    source_dir: Path
    exclude: tuple[str, ...]
    requirements: Path | None
    region: str | None
    profile: str | None
    runtime: str
    architecture: str
    memory: int
    timeout: int
    log_retention_days: int
    route_selection: str
    environment: Mapping[str, str]
    warnings: tuple[str, ...] = ()
    connections: ConnectionsConfig = ConnectionsConfig()
    include: tuple[str, ...] = ()   # globs forcing files that look like secrets into the package
    domain: DomainConfig | None = None
    state: str = "local"            # where the record and lock live: "local" or "s3://bucket/prefix"
    auth: str = "none"              # "iam": $connect with AWS_IAM (an @on_authorize app may not)
    http_app: str | None = None     # "module:attribute" of the WSGI/ASGI app served beside the API
    permissions: tuple[Statement, ...] = ()   # the role's `app` inline policy (a stage's replaces the app's)
    managed_policies: tuple[str, ...] = ()    # policy ARNs attached to the role
    secrets: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))  # name -> reference
    secrets_kms_key: str | None = None
    reserved_concurrency: int | None = None   # None: the account's unreserved pool
    vpc: tuple[tuple[str, ...], tuple[str, ...]] | None = None   # (subnet ids, security group ids)

    @property
    def resource_name(self) -> str:
        """The name of the role, the function and the API."""
        return naming.resource_name(self.app, self.stage)

    @property
    def connections_table(self) -> str:
        """The DynamoDB table of [app.connections]."""
        return naming.connections_table(self.resource_name)

    @property
    def state_dir(self) -> Path:
        return self.project_dir / STATE_DIRNAME

    @property
    def python_version(self) -> str:
        """"3.13" for runtime "python3.13"."""
        return self.runtime.removeprefix("python")


# -- checks of single values: each returns None when fine, else what is wrong ----------------
def _type_name(value: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
             list: "a list", dict: "a table"}
    return names.get(type(value), type(value).__name__)


def _want(kind: type, description: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if type(value) is not kind:  # bool is an int subclass: `memory = true` is not a size
            return f"must be {description}, not {_type_name(value)} ({_show(value)})"
        return None
    return check


def _unprintable(char: str, allowed: str = "",
                 categories: frozenset[str] = UNPRINTABLE_CATEGORIES) -> bool:
    """True for a control, invisible-format or line-separator character not in `allowed`."""
    return char not in allowed and unicodedata.category(char) in categories


def _first_unprintable(text: str, allowed: str = "",
                       categories: frozenset[str] = UNPRINTABLE_CATEGORIES) -> str | None:
    """The first unprintable character of `text`, escaped ("\\n"); None when there is none."""
    bad = next((c for c in text if _unprintable(c, allowed, categories)), None)
    return None if bad is None else bad.encode("unicode_escape").decode("ascii")


def escape_unprintable(text: str) -> str:
    """`text` with each unprintable character written as its escape ("bx\\n"), so a message
    shows what is there instead of breaking its line or hiding it."""
    return "".join(_first_unprintable(c) or c for c in text)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return '"' + escape_unprintable(value.replace('"', '\\"')) + '"'
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _unprintable_problem(value: Any) -> str | None:
    """What is wrong when a string, or a string of a list, holds an unprintable character:
    a stray newline or NUL would reach AWS, file names and messages as it is."""
    for text in value if isinstance(value, list) else [value]:
        bad = _first_unprintable(text) if isinstance(text, str) else None
        if bad:
            return f"{_show(text)} contains {bad}, a control or invisible character: remove it"
    return None


def _in_range(low: int, high: int, unit: str) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        problem = _want(int, f"a whole number of {unit}")(value)
        if problem or low <= value <= high:
            return problem
        return f"{value} is out of range: Lambda accepts {low} to {high} {unit}"
    return check


def _one_of(choices: tuple, what: str, aliases: Mapping[str, str] = MappingProxyType({})
            ) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if value in choices and type(value) is type(choices[0]):
            return None
        shown = ", ".join(_show(c) for c in choices)
        hint = _did_you_mean(str(value), [str(c) for c in choices]) if isinstance(value, str) else ""
        if isinstance(value, str) and value.lower() in aliases:
            hint = f" (Lambda calls it {_show(aliases[value.lower()])})"
        return f"{_show(value)} is not {what}{hint}; valid: {shown}"
    return check


def _check_name(value: Any) -> str | None:
    problem = _want(str, "a string")(value)
    if problem:
        return problem
    if not APP_NAME_RE.fullmatch(value):
        return (f"{_show(value)} is not a valid name: use lowercase letters, digits and '-', "
                "starting with a letter and not ending with '-' (it names every AWS resource)")
    return None


def _check_module(value: Any) -> str | None:
    problem = _want(str, "a dotted module name such as \"app\" or \"chat.handlers\"")(value)
    if problem:
        return problem
    parts = value.split(".")
    if parts[-1] == "py" or not all(p.isidentifier() and not keyword.iskeyword(p) for p in parts):
        return (f"{_show(value)} is not a module name: write it as Python imports it, e.g. "
                "\"app\" for app.py or \"chat.handlers\" for chat/handlers.py (no .py, no '/')")
    return None


HTTP_APP_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*):"
                         r"([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)", re.ASCII)


def _check_http_app(value: Any) -> str | None:
    """"module:attribute", as gunicorn and uvicorn name an app: the whole string, nothing else."""
    problem = _want(str, "\"module:attribute\", e.g. \"app:app\"")(value)
    if problem:
        return problem
    found = HTTP_APP_RE.fullmatch(value)
    names = value.replace(":", ".").split(".")
    if not found or found.group(1).endswith(".py") or any(keyword.iskeyword(n) for n in names):
        return (f"{_show(value)} is not \"module:attribute\": write the module as Python imports "
                "it and the app's name in it, e.g. \"app:app\" for `app = Flask(...)` in app.py or "
                "\"web.main:api\" (no .py, no '/')")
    return None


def _check_globs(value: Any) -> str | None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        return (f"must be a list of glob strings such as [\"tests/**\", \"*.md\"], "
                f"not {_type_name(value)} ({_show(value)})")
    return None


def _check_region(value: Any) -> str | None:
    problem = _want(str, "a string")(value)
    if problem or REGION_RE.fullmatch(value):
        return problem
    return f"{_show(value)} is not an AWS region name such as \"us-east-1\" or \"eu-west-2\""


def _check_nonempty(value: Any) -> str | None:
    problem = _want(str, "a string")(value)
    if problem or value.strip():
        return problem
    return "must not be empty; leave the key out instead"


def _check_route_selection(value: Any) -> str | None:
    problem = _want(str, "a string")(value)
    if problem:
        return problem
    if ROUTE_SELECTION_RE.fullmatch(value):
        return None
    rest = ROUTE_TEMPLATE_PART_RE.sub("", value)
    if rest != value and "$" not in rest:
        return None
    return (f"{_show(value)} is not a route selection expression API Gateway accepts: use "
            "\"$request.body.<field>\" (e.g. \"$request.body.action\") or a template such as "
            "\"${request.body.type}/${request.body.name}\"")


def _check_log_retention(value: Any) -> str | None:
    problem = _want(int, "a whole number of days")(value)
    if problem or value in LOG_RETENTION_DAYS:
        return problem
    return (f"{value} days is not a retention CloudWatch Logs offers; valid: "
            + ", ".join(map(str, LOG_RETENTION_DAYS)))


def _check_environment(value: Any) -> list[tuple[str, str]]:
    """(variable, problem) pairs; the variable is "" for a problem of the whole table."""
    if not isinstance(value, dict):
        return [("", f"must be a table such as {{ LOG_LEVEL = \"info\" }}, "
                     f"not {_type_name(value)} ({_show(value)})")]
    found = []
    for name, val in value.items():
        if name in RESERVED_ENV_NAMES or name.startswith(RESERVED_ENV_PREFIXES):
            found.append((name, "the name is reserved (names starting AWS_ or WSDEPLOY_, "
                                "WEBSOCKET_API_GATEWAY_ENDPOINT and Lambda's own are set for you); "
                                "choose another name"))
        elif not ENV_NAME_RE.fullmatch(name):
            found.append((name, "not a name Lambda accepts: a letter, then at least one "
                                "letter, digit or '_'"))
        if isinstance(val, str):
            bad = _first_unprintable(val, ENV_VALUE_WHITESPACE, ENV_VALUE_UNPRINTABLE)
            if bad:  # the value itself is not shown: it may be a secret
                found.append((name, f"the value contains {bad}, a control character: remove "
                                    "it (tabs and line breaks are allowed)"))
        else:
            quoted = _show(val if not isinstance(val, (int, float)) else str(val).lower())
            found.append((name, f"must be a string, not {_type_name(val)}; "
                                f"write it in quotes: {name} = {quoted}"))
    return found


def _check_connections(value: Any) -> list[tuple[str, str]]:
    """(key, problem) pairs for [app.connections]; the key is "" for the whole table."""
    if not isinstance(value, dict):
        return [("", f"must be a table such as {{ enabled = true }}, "
                     f"not {_type_name(value)} ({_show(value)})")]
    found = []
    for key, val in value.items():
        if key not in CONNECTIONS_DEFAULTS:
            found.append((key, _unknown_key_message(key, "connections", tuple(CONNECTIONS_DEFAULTS))))
        elif key in ("enabled", "track"):
            problem = _want(bool, "true or false")(val)
            if problem:
                found.append((key, problem))
        elif type(val) not in (int, float) or not TTL_HOURS_RANGE[0] <= val <= TTL_HOURS_RANGE[1]:
            found.append((key, f"must be a number of hours from {TTL_HOURS_RANGE[0]} to "
                               f"{TTL_HOURS_RANGE[1]}, not {_show(val)}; 2 matches the gateway's "
                               "maximum connection life"))
    return found


def _check_domain_name(value: Any) -> str | None:
    problem = _want(str, "a DNS name such as \"ws.example.com\"")(value)
    if problem:
        return problem
    name = value.lower().removesuffix(".")
    if "*" in name:
        return (f"{_show(value)} is a wildcard: wsdeploy maps one name to one stage; give the "
                "name itself, e.g. \"ws.example.com\" (a wildcard certificate may cover it)")
    labels = name.split(".")
    if len(labels) < 2 or len(name) > 253 or labels[-1].isdigit() or not all(
            DNS_LABEL_RE.fullmatch(label) for label in labels):
        return (f"{_show(value)} is not a DNS name: two or more labels joined by dots, each of 1 to "
                "63 letters, digits or '-' (not first or last), 253 characters in all, e.g. "
                "\"ws.example.com\" (international names in their xn-- form)")
    return None


def _check_certificate_arn(value: Any) -> str | None:
    problem = _want(str, "an ACM certificate ARN")(value)
    if problem or CERTIFICATE_ARN_RE.fullmatch(value):
        return problem
    return (f"{_show(value)} is not an ACM certificate ARN such as "
            "\"arn:aws:acm:eu-west-1:123456789012:certificate/1234abcd-...\" (`aws acm "
            "list-certificates` shows them); leave it out to let wsdeploy find the certificate")


def certificate_region_problem(arn: str | None, region: str | None) -> str | None:
    """API Gateway takes a regional domain's certificate from ACM in the API's own region."""
    match = CERTIFICATE_ARN_RE.fullmatch(arn or "")
    if not match or not region or match.group(1) == region:
        return None
    return (f"the certificate is in {match.group(1)}, but the stage deploys to {region}: a regional "
            f"API Gateway domain needs a certificate from ACM in {region} (request or import one "
            "there, or leave certificate_arn out to let wsdeploy find it)")


def _check_hosted_zone_id(value: Any) -> str | None:
    problem = _want(str, "a Route 53 hosted zone id")(value)
    if problem or HOSTED_ZONE_ID_RE.fullmatch(value):
        return problem
    return (f"{_show(value)} is not a Route 53 hosted zone id such as \"Z0123456789ABCDEFGHIJ\" "
            "(the Id `aws route53 list-hosted-zones` shows, with or without /hostedzone/)")


def _check_base_path(value: Any) -> str | None:
    problem = _want(str, "a path such as \"v1\" or \"\" (the name's root)")(value)
    if problem or value == "" or (BASE_PATH_RE.fullmatch(value) and len(value) <= BASE_PATH_MAX):
        return problem
    if value.startswith("/") or value.endswith("/"):
        return f"{_show(value)}: write the path without a leading or trailing '/', e.g. \"v1\""
    return (f"{_show(value)} is not a base path API Gateway accepts: segments of letters, digits "
            f"and $-_.+!*'() joined by single '/', {BASE_PATH_MAX} characters at most; \"\" maps "
            "the name's root")


DOMAIN_CHECKS = {"name": _check_domain_name, "certificate_arn": _check_certificate_arn,
                 "hosted_zone_id": _check_hosted_zone_id, "base_path": _check_base_path}


def _check_domain(value: Any) -> list[tuple[str, str]]:
    """(key, problem) pairs for a stage's `domain`; the key is "" for the whole table."""
    if not isinstance(value, dict):
        return [("", f"must be a table such as {{ name = \"ws.example.com\" }}, "
                     f"not {_type_name(value)} ({_show(value)})")]
    found = [(key, _unknown_key_message(key, "domain", DOMAIN_KEYS))
             for key in value if key not in DOMAIN_CHECKS]
    if "name" not in value:
        found.append(("name", "missing: the name clients connect to, e.g. name = \"ws.example.com\""))
    found += [(key, problem) for key, check in DOMAIN_CHECKS.items()
              if key in value and (problem := check(value[key]))]
    return found


def _domain_config(value: dict | None) -> DomainConfig | None:
    if value is None:
        return None
    zone = value.get("hosted_zone_id")
    return DomainConfig(name=value["name"].lower().removesuffix("."),
                        certificate_arn=value.get("certificate_arn"),
                        hosted_zone_id=HOSTED_ZONE_ID_RE.fullmatch(zone).group(1) if zone else None,
                        base_path=value.get("base_path", ""))


CHECKS: dict[str, Callable[[Any], str | None]] = {
    "name": _check_name,
    "default_stage": _want(str, "a stage name"),
    "handler_module": _check_module,
    "source": _check_nonempty,
    "source_outside": _want(bool, "true or false"),
    "exclude": _check_globs,
    "include": _check_globs,
    "requirements": _check_nonempty,
    "region": _check_region,
    "profile": _check_nonempty,
    "runtime": _one_of(RUNTIMES, "a Lambda Python runtime wsdeploy supports"),
    "architecture": _one_of(ARCHITECTURES, "a Lambda architecture", ARCHITECTURE_ALIASES),
    "memory": _in_range(*MEMORY_RANGE, "MB"),
    "timeout": _in_range(*TIMEOUT_RANGE, "seconds"),
    "log_retention_days": _check_log_retention,
    "route_selection": _check_route_selection,
    "state": location_problem,
    "auth": _one_of(AUTH_MODES, "a way to guard $connect (\"none\": open, or guarded by an "
                    "@on_authorize function; \"iam\": clients sign the handshake with SigV4)"),
    "http_app": _check_http_app,
    "managed_policies": check_managed_policies,
    "secrets_kms_key": check_kms_key,
    "reserved_concurrency": _in_range(0, 100_000, "concurrent executions"),
}


def _did_you_mean(word: str, choices: list[str]) -> str:
    """A hint naming the one choice close to `word` (or that it abbreviates); none when unsure."""
    scores = {c: difflib.SequenceMatcher(None, word.lower(), c.lower()).ratio() for c in choices}
    best = max(scores.values(), default=0)
    close = [c for c, score in scores.items() if score == best and score >= 0.6]
    if not close:
        close = [c for c in choices if word.lower().startswith(c.lower()) or c.lower().startswith(word.lower())]
    return f" (did you mean {_show(close[0])}?)" if len(close) == 1 else ""


# -- reading the file ------------------------------------------------------------------------
def display_path(path: Path) -> str:
    """The path as the user would type it: relative to the current folder when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _read_toml(path: Path) -> dict:
    if not path.is_file():
        where = "is a folder" if path.exists() else "does not exist"
        if not path.exists() and path == Path.cwd() / CONFIG_FILENAME:
            where = f"is not in {path.parent} nor in any folder above it"
        raise UserError(
            f"{display_path(path)} {where}: run `wsdeploy init` to create a wsdeploy.toml here, "
            "or pass --config PATH to use another file"
        )
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise UserError(f"{display_path(path)} is not valid TOML: {error}{_excerpt(text, str(error))}") from None


def _excerpt(text: str, message: str) -> str:
    """The offending line with a caret under the column tomllib names."""
    match = re.search(r"line (\d+), column (\d+)", message)
    if not match:
        return ""
    line_no, column = int(match.group(1)), int(match.group(2))
    lines = text.splitlines()
    if not 1 <= line_no <= len(lines):
        return ""
    return f"\n  {line_no} | {lines[line_no - 1]}\n  {' ' * len(str(line_no))} | {' ' * (column - 1)}^"


class _Problems:
    """Collects problems as "key: what is wrong" lines, so one error can list them all."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, key: str, message: str) -> None:
        line = f"{escape_unprintable(key)}: {message}"
        if line not in self.lines:  # one [app] setting seen through several stages
            self.lines.append(line)

    def raise_if_any(self, path: Path) -> None:
        if self.lines:
            count = len(self.lines)
            head = f"{display_path(path)} has {count} problem{'s' if count > 1 else ''}:"
            raise UserError("\n  ".join([head, *self.lines]))


def _check_table(table: dict, where: str, allowed: tuple[str, ...], problems: _Problems) -> None:
    for key, value in table.items():
        if key not in allowed:
            problems.add(f"{where}.{key}", _unknown_key_message(key, where, allowed))
        elif key == "environment":
            for var, message in _check_environment(value):
                problems.add(f"{where}.environment{'.' + var if var else ''}", message)
        elif key == "connections":
            for sub, message in _check_connections(value):
                problems.add(f"{where}.connections{'.' + sub if sub else ''}", message)
        elif key == "domain":
            for sub, message in _check_domain(value):
                problems.add(f"{where}.domain{'.' + sub if sub else ''}", message)
        elif key in TABLE_CHECKS:      # (sub-key, problem) pairs: "" the whole, "[N]" an item
            for sub, message in TABLE_CHECKS[key](value):
                problems.add(f"{where}.{key}{'.' + sub if sub and sub[0] != '[' else sub}", message)
        else:
            message = _unprintable_problem(value) or CHECKS[key](value)
            if message:
                problems.add(f"{where}.{key}", message)


def _unknown_key_message(key: str, where: str, allowed: tuple[str, ...]) -> str:
    if key == "name" and where.startswith("stages."):
        return "the app name is the same in every stage; set it once in [app]"
    if key == "default_stage" and where.startswith("stages."):
        return "default_stage belongs in [app]"
    if key in STAGE_ONLY and where == "app":
        return (f"a {key} belongs to one stage: set it in [stages.NAME], e.g. "
                "domain = { name = \"ws.example.com\" }")
    hint = _did_you_mean(key, list(allowed))
    return f"unknown key{hint}; valid keys: {', '.join(allowed)}"


def _plain_text(value: Any) -> bool:
    """A non-empty string without unprintable characters (those are reported on their own)."""
    return isinstance(value, str) and bool(value.strip()) and _unprintable_problem(value) is None


def _check_paths(table: dict, where: str, project_dir: Path, problems: _Problems) -> None:
    source = table.get("source")
    if _plain_text(source) and not (project_dir / source).is_dir():
        problems.add(f"{where}.source", f"folder {_show(source)} not found (looked for "
                                        f"{project_dir / source}); it is relative to wsdeploy.toml")
    requirements = table.get("requirements")
    if _plain_text(requirements) and not (project_dir / requirements).is_file():
        problems.add(f"{where}.requirements", f"file {_show(requirements)} not found (looked for "
                                              f"{project_dir / requirements}); it is relative to "
                                              "wsdeploy.toml")


def _merged(app_table: dict, stage_table: dict) -> dict:
    """A stage's keys replace the app's, except the tables environment and connections,
    whose keys are merged one by one."""
    settings = {**DEFAULTS, **{k: v for k, v in app_table.items() if k in STAGE_KEYS and k in APP_KEYS}}
    settings.update({k: v for k, v in stage_table.items() if k in STAGE_KEYS})
    for name, base in (("environment", {}), ("connections", CONNECTIONS_DEFAULTS), ("secrets", {})):
        merged = dict(base)
        for table in (app_table, stage_table):
            if isinstance(table.get(name), dict):
                merged.update(table[name])
        settings[name] = merged
    return settings


def _check_source_inside(stage: str, stage_table: dict, settings: dict, project_dir: Path,
                         problems: _Problems) -> None:
    """A source folder outside the config's folder (`../`, an absolute path, a link out) ships
    files the project does not own: only when the file says so with source_outside = true."""
    source = settings["source"]
    if not _plain_text(source) or settings["source_outside"] is True:
        return
    if not (project_dir / source).is_dir():  # reported as not found (a link loop too)
        return
    folder, home = (project_dir / source).resolve(), project_dir.resolve()
    if folder == home or home in folder.parents:
        return
    where = f"stages.{stage}" if "source" in stage_table else "app"
    problems.add(f"{where}.source", f"{_show(source)} is {folder}, outside the folder of "
                                    f"{CONFIG_FILENAME} ({home}), and all of it would be packaged "
                                    "and deployed. If that is meant, add source_outside = true "
                                    f"to [{where}]")


def _check_stage_whole(app: Any, stage: str, settings: dict, problems: _Problems) -> None:
    where = f"stages.{stage}"
    if not STAGE_NAME_RE.fullmatch(stage):
        problems.add(where, f"{_show(stage)} is not a valid stage name: use letters, digits, "
                            "'-' and '_', starting with a letter")
    elif isinstance(app, str) and APP_NAME_RE.fullmatch(app):
        name = naming.resource_name(app, stage)
        if len(name) > naming.MAX_RESOURCE_NAME:
            problems.add(where, f"the resource name {_show(name)} is {len(name)} characters; "
                                f"AWS allows {naming.MAX_RESOURCE_NAME}: shorten the app or stage name")
    domain, region = settings["domain"], settings["region"]
    if isinstance(domain, dict) and isinstance(region, str) and isinstance(domain.get("certificate_arn"), str):
        problem = certificate_region_problem(domain["certificate_arn"], region)
        if problem:
            problems.add(f"{where}.domain.certificate_arn", problem)
    environment = settings["environment"]
    if all(isinstance(v, str) for v in environment.values()):
        # Lambda measures the variables as one JSON object, and on refusal prints that object,
        # values and all, into the error: so the check must be its own, and exact.
        size = len(json.dumps(environment, separators=(",", ":"), ensure_ascii=False).encode())
        if size > ENV_TOTAL_LIMIT - ENV_RESERVED_BYTES:
            problems.add(f"{where}.environment",
                         f"the variables take {size} bytes as Lambda counts them (as JSON); "
                         f"Lambda allows {ENV_TOTAL_LIMIT} in "
                         f"total and wsdeploy keeps {ENV_RESERVED_BYTES} of them for its own, so "
                         f"at most {ENV_TOTAL_LIMIT - ENV_RESERVED_BYTES}")


def _secret_name_problem(name: str) -> str | None:
    """A secret becomes an environment variable: the environment's rules for its name."""
    found = _check_environment({name: ""})
    return found[0][1] if found else None


# Settings whose check returns (sub-key, problem) pairs (issue 10's)
TABLE_CHECKS: dict[str, Callable[[Any], list[tuple[str, str]]]] = {
    "secrets": lambda value: check_secrets(value, _secret_name_problem),
    "vpc": check_vpc,
    "permissions": check_permissions,
}


def _check_secrets_whole(stage: str, settings: dict, problems: _Problems) -> None:
    """A name both a plain variable and a secret; and the references' room in Lambda's 4 KB."""
    environment, secrets = settings["environment"], settings["secrets"]
    if not isinstance(environment, dict) or not isinstance(secrets, dict):
        return
    for name in clashes(environment, secrets):
        problems.add(f"stages.{stage}.secrets.{name}", "is also set in environment: keep one (the "
                                                       "secret, if the value is secret)")
    if secrets and all(isinstance(v, str) for v in [*environment.values(), *secrets.values()]):
        size = len(json.dumps({**environment, "WSDEPLOY_SECRETS": json.dumps(secrets)},
                              separators=(",", ":"), ensure_ascii=False).encode())
        if size > ENV_TOTAL_LIMIT - ENV_RESERVED_BYTES:
            problems.add(f"stages.{stage}.secrets", f"the variables and the secrets' references take "
                                                    f"{size} bytes; Lambda allows "
                                                    f"{ENV_TOTAL_LIMIT - ENV_RESERVED_BYTES} beside wsdeploy's own")


def _validate(data: dict, path: Path) -> dict[str, dict]:
    """Every problem of the file, raised at once; else each stage's merged settings."""
    problems = _Problems()
    project_dir = path.parent
    for key in data:
        if key not in ("app", "stages"):
            problems.add(key, "unknown table" + _did_you_mean(key, ["app", "stages"])
                         + "; wsdeploy.toml holds [app] and [stages.<name>] tables")
    app_table = data.get("app")
    if not isinstance(app_table, dict):
        problems.add("app", "missing: add an [app] table with at least name = \"my-app\""
                     if app_table is None else "must be a table: [app]")
        app_table = {}
    elif "name" not in app_table:
        problems.add("app.name", "missing: every app needs a name, e.g. name = \"chat\" "
                                 "(lowercase letters, digits, '-')")
    _check_table(app_table, "app", APP_KEYS, problems)
    _check_paths(app_table, "app", project_dir, problems)

    stages = data.get("stages")
    if stages is None or stages == {}:
        problems.add("stages", "no stage defined: add at least one, e.g. an empty [stages.dev] table")
        stages = {}
    elif not isinstance(stages, dict):
        problems.add("stages", "must hold tables, one per stage: [stages.dev]")
        stages = {}
    merged = {}
    for stage, table in stages.items():
        if not isinstance(table, dict):
            problems.add(f"stages.{stage}", f"must be a table: write [stages.{stage}] "
                                            "and its settings below it")
            continue
        _check_table(table, f"stages.{stage}", STAGE_KEYS, problems)
        _check_paths(table, f"stages.{stage}", project_dir, problems)
        merged[stage] = _merged(app_table, table)
        _check_stage_whole(app_table.get("name"), stage, merged[stage], problems)
        _check_source_inside(stage, table, merged[stage], project_dir, problems)
        _check_secrets_whole(stage, merged[stage], problems)

    default = app_table.get("default_stage")
    if _plain_text(default) and stages and default not in stages:
        problems.add("app.default_stage", f"{_show(default)} is not a stage of this file"
                     f"{_did_you_mean(default, list(stages))}; stages: {', '.join(stages)}")
    problems.raise_if_any(path)
    return merged


def _choose_stage(requested: str | None, data: dict, stages: list[str], path: Path) -> str:
    if requested is not None:
        if requested in stages:
            return requested
        raise UserError(f"{display_path(path)} has no stage {_show(requested)}"
                        f"{_did_you_mean(requested, stages)}; its stages: {', '.join(stages)}")
    if len(stages) == 1:
        return stages[0]
    default = data["app"].get("default_stage")
    if default:
        return default
    raise UserError(
        f"{display_path(path)} defines several stages ({', '.join(stages)}): name one after the "
        f"command (e.g. `wsdeploy up {stages[0]}`), or set default_stage = \"{stages[0]}\" in [app]"
    )


def _warnings(settings: dict, stage: str, project_dir: Path) -> tuple[str, ...]:
    found = []
    if settings["timeout"] > GATEWAY_TIMEOUT:
        found.append(f"stage {stage}: timeout is {settings['timeout']} s, but API Gateway waits "
                     f"at most {GATEWAY_TIMEOUT} s for a handler: the client gets an error after "
                     f"{GATEWAY_TIMEOUT} s while the function runs on")
    if settings["requirements"] is None and (project_dir / "requirements.txt").is_file():
        found.append("requirements.txt exists but wsdeploy.toml does not name it, so its "
                     "packages are not deployed; add requirements = \"requirements.txt\" to [app]")
    found += wildcard_warnings(f"stage {stage}:", settings["permissions"])
    if settings["reserved_concurrency"] == 0:
        found.append(f"stage {stage}: reserved_concurrency = 0 stops every invocation: the API "
                     "answers every connection and message with an error")
    return tuple(found)


def check_region(cfg: StageConfig, region: str) -> None:
    """What needs the region when wsdeploy.toml does not set it (it came from AWS_REGION or the
    profile): a domain's certificate must be in it. UserError, before any AWS call."""
    problem = certificate_region_problem(cfg.domain.certificate_arn if cfg.domain else None, region)
    if problem:
        raise UserError(f"{display_path(cfg.config_path)}: stages.{cfg.stage}.domain.certificate_arn: {problem}")


def find_config(start: Path) -> Path | None:
    """The nearest wsdeploy.toml: in `start` or the closest folder above it, as git finds .git."""
    for folder in (start, *start.parents):
        if (folder / CONFIG_FILENAME).is_file():
            return folder / CONFIG_FILENAME
    return None


def resolve_config_path(config_path: Path | str | None) -> Path:
    """The absolute path of the config file: the one given, else the nearest wsdeploy.toml
    (./wsdeploy.toml when there is none, for the error)."""
    if config_path:
        return Path(config_path).expanduser().absolute()
    here = Path.cwd()
    return find_config(here) or here / CONFIG_FILENAME


def load_stage(config_path: Path | str | None = None, stage: str | None = None) -> StageConfig:
    """Read, validate and pick one stage of wsdeploy.toml; UserError lists every problem."""
    path = resolve_config_path(config_path)
    data = _read_toml(path)
    merged = _validate(data, path)
    chosen = _choose_stage(stage, data, list(merged), path)
    settings = merged[chosen]
    project_dir = path.parent
    requirements = settings["requirements"]
    return StageConfig(
        config_path=path,
        project_dir=project_dir,
        app=data["app"]["name"],
        stage=chosen,
        handler_module=settings["handler_module"],
        source_dir=(project_dir / settings["source"]).resolve(),
        exclude=tuple(settings["exclude"]),
        include=tuple(settings["include"]),
        requirements=(project_dir / requirements).resolve() if requirements else None,
        region=settings["region"],
        profile=settings["profile"],
        runtime=settings["runtime"],
        architecture=settings["architecture"],
        memory=settings["memory"],
        timeout=settings["timeout"],
        log_retention_days=settings["log_retention_days"],
        route_selection=settings["route_selection"],
        environment=MappingProxyType(dict(sorted(settings["environment"].items()))),
        warnings=_warnings(settings, chosen, project_dir),
        connections=ConnectionsConfig(**settings["connections"]),
        domain=_domain_config(settings["domain"]),
        state=settings["state"],
        auth=settings["auth"],
        http_app=settings["http_app"],
        permissions=statements_from(settings["permissions"]),
        managed_policies=tuple(settings["managed_policies"]),
        secrets=MappingProxyType(dict(sorted(settings["secrets"].items()))),
        secrets_kms_key=settings["secrets_kms_key"],
        reserved_concurrency=settings["reserved_concurrency"],
        vpc=(tuple(sorted(settings["vpc"]["subnet_ids"])), tuple(sorted(settings["vpc"]["security_group_ids"])))
        if settings["vpc"] else None,
    )
