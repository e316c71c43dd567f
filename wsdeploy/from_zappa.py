"""A wsdeploy.toml made from a Zappa settings file, for `wsdeploy init --from-zappa`.

Every stage of the file becomes a stage (with Zappa's `extends` resolved). What has a wsdeploy
setting is carried over, checked as wsdeploy.toml's own values are; everything else is listed
with the reason, in the command's output and at the end of the file written: nothing is
dropped silently. Values shared by every stage go in [app], the rest in [stages.NAME].

Zappa's settings keys and defaults are those of its README ("Advanced Settings") and cli.py.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import config as c
from .app_permissions import check_permissions
from .app_vpc import check_vpc
from .errors import UserError

ZAPPA_FILES = ("zappa_settings.json", "zappa_settings.toml", "zappa_settings.yml", "zappa_settings.yaml")

# Zappa's defaults that differ from wsdeploy's and change what runs: written out, so the
# function keeps the memory and architecture (hence the wheels) it had.
ZAPPA_DEFAULTS = {"memory_size": 512, "architecture": "x86_64"}

# Why a Zappa key is not carried over; keys not named here get GENERIC.
GENERIC = "no wsdeploy setting does this"
REASONS = {
    "s3_bucket": "not needed: wsdeploy uploads the zip to Lambda itself, no bucket",
    "slim_handler": "not needed: the zip goes to Lambda directly (50 MB zipped, 250 MB unzipped)",
    "keep_warm": "wsdeploy schedules no warm-up calls",
    "keep_warm_expression": "wsdeploy schedules no warm-up calls",
    "manage_roles": "wsdeploy makes its own least-privilege role for each stage",
    "role_name": "wsdeploy makes its own least-privilege role for each stage (APP-STAGE-ws)",
    "role_arn": "wsdeploy makes its own least-privilege role for each stage (APP-STAGE-ws)",
    "attach_policy": "a policy document file: put its Allow statements in permissions "
                     "([[app.permissions]] with actions and resources)",
    "events": "wsdeploy deploys the WebSocket API's function only, with no other triggers",
    "apigateway_enabled": "a setting of Zappa's HTTP API",
    "apigateway_version": "a setting of Zappa's HTTP API",
    "binary_support": "a setting of Zappa's HTTP API",
    "cors": "a setting of Zappa's HTTP API",
    "debug": "Zappa's own error pages; wsdeploy logs handler errors to CloudWatch",
    "log_level": "Zappa's own log level; set your app's in environment (LOG_LEVEL)",
    "touch": "a GET of Zappa's HTTP URL after deploying",
    "use_precompiled_packages": "wsdeploy installs Lambda's wheels by pip (binary only)",
    "delete_local_zip": "wsdeploy keeps the zip under .wsdeploy/ only when `package` writes it",
    "delete_s3_zip": "not needed: no bucket",
    "domain": "Zappa's domain serves its HTTP API; give the WebSocket API a name of its own "
              "with domain = { name = \"ws.example.com\" } in the stage",
    "certificate_arn": "for Zappa's HTTP domain; wsdeploy's domain finds an ISSUED ACM "
                       "certificate itself, or takes domain = { certificate_arn = ... }",
    "route53_enabled": "wsdeploy's domain writes the Route 53 alias records when the zone is "
                       "in the account, and says which record to make when not",
    "base_path": "for Zappa's HTTP domain; wsdeploy's is domain = { base_path = ... }",
}
TAKEN_WHOLE = ("project_name", "extends")   # the app's name; each stage has what it extends


@dataclass
class Conversion:
    """What `init --from-zappa` writes and says."""

    text: str                                   # the wsdeploy.toml
    app: str
    stages: list[str]
    carried: list[str] = field(default_factory=list)       # "aws_region -> region"
    dropped: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (key, why) -> stages
    notes: list[str] = field(default_factory=list)         # what differs

    def drop(self, stage: str, key: str, why: str) -> None:
        self.dropped.setdefault((key, why), []).append(stage)

    def dropped_lines(self) -> list[str]:
        """"s3_bucket (stages dev, prod): why", one per key and reason."""
        def which(stages: list[str]) -> str:
            if len(stages) > 1 and len(stages) == len(self.stages):
                return "every stage"
            return ("stage " if len(stages) == 1 else "stages ") + ", ".join(stages)

        return [f"{key} ({which(stages)}): {why}" for (key, why), stages in self.dropped.items()]


def read_settings(path: Path) -> dict:
    """The settings file as a dict of stage -> settings; JSON, TOML or (with PyYAML) YAML."""
    if not path.is_file():
        raise UserError(f"{path} does not exist: pass the Zappa settings file, e.g. "
                        "`wsdeploy init --from-zappa path/to/zappa_settings.json`")
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        if path.suffix in (".yml", ".yaml"):
            try:
                import yaml  # type: ignore[import-untyped]
            except ImportError:
                raise UserError(f"{path.name} is YAML, and PyYAML is not installed: "
                                "`pip install pyyaml`, or convert it to zappa_settings.json") from None
            data = yaml.safe_load(text)
        elif path.suffix == ".toml":
            data = tomllib.loads(text)
        else:
            data = json.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as error:
        raise UserError(f"{path.name} could not be read: {error}") from None
    if not isinstance(data, dict) or not data or not all(isinstance(v, dict) for v in data.values()):
        raise UserError(f"{path.name} is not a Zappa settings file: it should map each stage "
                        'name to its settings, e.g. {"dev": {"aws_region": "us-east-1"}}')
    return data


def _resolved(data: dict, stage: str, seen: tuple[str, ...] = ()) -> dict:
    """A stage's settings with what it `extends` underneath, as Zappa resolves them."""
    if stage in seen:
        raise UserError(f"Zappa settings: stage {stage} extends itself through "
                        f"{' -> '.join(seen + (stage,))}")
    if stage not in data:
        raise UserError(f"Zappa settings: stage {seen[-1]} extends {stage}, which is not in the file")
    own = data[stage]
    base = own.get("extends")
    return {**(_resolved(data, base, seen + (stage,)) if base else {}), **own}


def app_name(text: str) -> str:
    """A valid app name made from a project or folder name ("My Chat_2" -> "my-chat-2")."""
    name = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    name = re.sub(r"^[^a-z]+", "", name)[:40].rstrip("-")
    return name if name and c.CHECKS["name"](name) is None else "app"


def _checked(check: Callable[[Any], str | None]) -> Callable[[Any], tuple[Any, str | None]]:
    return lambda value: (value, check(value))


def _retention(days: Any) -> tuple[Any, str | None]:
    if type(days) is not int or days < 1:
        return days, f"{days!r} is not a number of days"
    accepted = next((d for d in c.LOG_RETENTION_DAYS if d >= days), None)
    if accepted is None:
        return days, c.CHECKS["log_retention_days"](days)
    return accepted, None


def _globs(value: Any) -> tuple[Any, str | None]:
    return value, c.CHECKS["exclude"](value)


# Zappa key -> (wsdeploy key, conversion returning (value, problem or None)).
CARRIED = {
    "aws_region": ("region", _checked(c.CHECKS["region"])),
    "profile_name": ("profile", _checked(c.CHECKS["profile"])),
    "runtime": ("runtime", _checked(c.CHECKS["runtime"])),
    "memory_size": ("memory", _checked(c.CHECKS["memory"])),
    "timeout_seconds": ("timeout", _checked(c.CHECKS["timeout"])),
    "architecture": ("architecture", _checked(c.CHECKS["architecture"])),
    "websocket_handler_module": ("handler_module", _checked(c.CHECKS["handler_module"])),
    "exclude": ("exclude", _globs),          # names, at any depth: as wsdeploy's '/'-less globs
    "exclude_glob": ("exclude", _globs),     # paths from the project folder
    "cloudwatch_retention_days": ("log_retention_days", _retention),
}


def _http_app(value: Any) -> tuple[Any, str | None]:
    """Zappa's "pkg.mod.app" (dotted to the object) is wsdeploy's "pkg.mod:app" (issue 17)."""
    if isinstance(value, str) and ":" not in value and "." in value:
        module, _, attribute = value.rpartition(".")
        value = f"{module}:{attribute}"
    return value, c.CHECKS["http_app"](value)


CARRIED["app_function"] = ("http_app", _http_app)   # the WSGI/ASGI app, beside the WebSocket API


def _permissions(value: Any) -> tuple[Any, str | None]:
    """Zappa's extra_permissions (IAM statements) -> permissions: the Allow statements; the
    others are listed by `_not_carried_statements`."""
    if not isinstance(value, list):
        return value, "not a list of IAM statements"
    statements = []
    for statement in value:
        if _allow(statement):
            entry = {"actions": _listed(statement["Action"]), "resources": _listed(statement["Resource"])}
            if statement.get("Condition"):
                entry["condition"] = statement["Condition"]
            statements.append(entry)
    return statements, (check_permissions(statements) or [("", None)])[0][1] if statements else \
        "no Allow statement with Action and Resource"


def _listed(value: Any) -> list:
    return list(value) if isinstance(value, list) else [value]


def _allow(statement: Any) -> bool:
    return (isinstance(statement, dict) and statement.get("Effect", "Allow") == "Allow"
            and "Action" in statement and "Resource" in statement and "NotAction" not in statement
            and "NotResource" not in statement and "Principal" not in statement)


def _not_carried_statements(value: Any) -> list[int]:
    """The numbers (from 1) of extra_permissions' statements permissions cannot hold."""
    return [n for n, s in enumerate(value, 1) if not _allow(s)] if isinstance(value, list) else []


def _vpc(value: Any) -> tuple[Any, str | None]:
    if not isinstance(value, dict):
        return value, "not a table of SubnetIds and SecurityGroupIds"
    vpc = {"subnet_ids": value.get("SubnetIds"), "security_group_ids": value.get("SecurityGroupIds")}
    if not vpc["subnet_ids"] and not vpc["security_group_ids"]:
        return vpc, "no SubnetIds nor SecurityGroupIds: the function runs outside a VPC either way"
    problems = check_vpc(vpc)
    return vpc, f"{problems[0][0]}: {problems[0][1]}" if problems else None


CARRIED["extra_permissions"] = ("permissions", _permissions)
CARRIED["lambda_concurrency"] = ("reserved_concurrency", _checked(c.CHECKS["reserved_concurrency"]))
CARRIED["vpc_config"] = ("vpc", _vpc)
ENVIRONMENT_KEYS = ("aws_environment_variables", "environment_variables")  # the latter wins, as in Zappa


def _environment(stage: str, settings: dict, conversion: Conversion) -> dict[str, str]:
    merged: dict[str, str] = {}
    for key in ENVIRONMENT_KEYS:
        table = settings.get(key)
        if table is None:
            continue
        if not isinstance(table, dict):
            conversion.drop(stage, key, "not a table of variables")
            continue
        for name, value in table.items():
            where = f"{key}.{name}"
            if name in c.RESERVED_ENV_NAMES or name.startswith(c.RESERVED_ENV_PREFIXES):
                conversion.drop(stage, where, "the name is reserved in wsdeploy (AWS_*, WSDEPLOY_*, "
                                              "Lambda's own)")
            elif not c.ENV_NAME_RE.fullmatch(name):
                conversion.drop(stage, where, "not a name Lambda accepts")
            elif isinstance(value, (dict, list)) or value is None:
                conversion.drop(stage, where, "not a single value")
            else:
                merged[name] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return merged


def _stage_values(stage: str, settings: dict, conversion: Conversion) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in sorted(settings):
        value = settings[key]
        if key in ENVIRONMENT_KEYS:
            continue
        if key in CARRIED:
            ours, convert = CARRIED[key]
            converted, problem = convert(value)
            if problem:
                conversion.drop(stage, key, problem)
                continue
            if converted != value and ours not in ("exclude", "http_app", "permissions", "vpc"):
                conversion.notes.append(f"stage {stage}: {key} {_value(value)} became {ours} = "
                                        f"{_value(converted)}, the next retention CloudWatch offers")
            if ours == "exclude":
                converted = list(dict.fromkeys(values.get("exclude", []) + converted))
            values[ours] = converted
            conversion.carried.append(f"{key} -> {ours}")
            for number in _not_carried_statements(value) if key == "extra_permissions" else ():
                conversion.drop(stage, f"extra_permissions[{number}]", "only Allow statements with "
                                "Action and Resource become permissions: add it to the role by hand")
        elif key not in TAKEN_WHOLE:
            conversion.drop(stage, key, REASONS.get(key, GENERIC))
    environment = _environment(stage, settings, conversion)
    if environment:
        values["environment"] = environment
        conversion.carried.extend(f"{key} -> environment" for key in ENVIRONMENT_KEYS if key in settings)
    for key, default in ZAPPA_DEFAULTS.items():
        values.setdefault(CARRIED[key][0], default)
    order = {key: index for index, key in enumerate(c.STAGE_KEYS)}
    return dict(sorted(values.items(), key=lambda item: order.get(item[0], len(order))))


def convert(data: dict, source: str, folder_name: str) -> Conversion:
    """The wsdeploy.toml for Zappa settings `data` (read from file `source`)."""
    stages, resolved = [], {}
    conversion = Conversion("", "", [])
    for stage in data:
        if not c.STAGE_NAME_RE.fullmatch(stage):
            conversion.drop(stage, "(the whole stage)", "not a stage name wsdeploy accepts "
                            "(letters, digits, '-', '_', starting with a letter): copy it by hand")
            continue
        stages.append(stage)
        resolved[stage] = _resolved(data, stage)
    if not stages:
        raise UserError(f"{source} has no stage wsdeploy can take over")
    projects = {s.get("project_name") for s in resolved.values()} - {None}
    conversion.app = app_name(projects.pop() if len(projects) == 1 else folder_name)
    conversion.stages = stages
    per_stage = {stage: _stage_values(stage, resolved[stage], conversion) for stage in stages}
    conversion.carried = list(dict.fromkeys(conversion.carried))
    if not any("cloudwatch_retention_days" in s for s in resolved.values()):
        conversion.notes.append("Zappa keeps the function's logs forever; wsdeploy keeps them "
                                "log_retention_days = 14 days (change it in [app])")
    for key, default in ZAPPA_DEFAULTS.items():
        if not all(key in s for s in resolved.values()):
            conversion.notes.append(f"{CARRIED[key][0]} = {_value(default)} is written out: it is "
                                    f"Zappa's default {key} (wsdeploy's own differs)")
    if not all("timeout_seconds" in s for s in resolved.values()):
        conversion.notes.append("timeout: Zappa's default is 30 s; wsdeploy's is 29 s, as long "
                                "as API Gateway waits for a handler")
    if not all("runtime" in s for s in resolved.values()):
        conversion.notes.append("runtime: Zappa deploys the Python it runs on; wsdeploy's "
                                "default is python3.13")
    conversion.text = _render(conversion, per_stage, source)
    return conversion


def _render(conversion: Conversion, per_stage: dict[str, dict], source: str) -> str:
    shared = _shared(per_stage)
    lines = [f"# wsdeploy settings made from {source} by `wsdeploy init --from-zappa`.",
             "# Every key: wsdeploy.toml.example (`wsdeploy init --full` writes it here).",
             "", "[app]", f"name = {_value(conversion.app)}"]
    lines += [f"{key} = {_value(value)}" for key, value in shared.items()]
    if len(per_stage) > 1:
        lines.append(f"default_stage = {_value('dev' if 'dev' in per_stage else next(iter(per_stage)))}")
    for stage, values in per_stage.items():
        lines += ["", f"[stages.{stage}]"]
        for key, value in values.items():
            if key == "environment":
                value = {k: v for k, v in value.items() if shared.get("environment", {}).get(k) != v}
                if not value:
                    continue
            elif key in shared:
                continue
            lines.append(f"{key} = {_value(value)}")
    if conversion.dropped:
        lines += ["", f"# Not carried over from {source}:"]
        lines += [f"#   {line}" for line in conversion.dropped_lines()]
    return "\n".join(lines) + "\n"


def _shared(per_stage: dict[str, dict]) -> dict[str, Any]:
    """The values every stage has alike (environment: the variables all stages share)."""
    stages = list(per_stage.values())
    shared = {key: value for key, value in stages[0].items() if key != "environment"
              and all(s.get(key) == value for s in stages[1:])}
    environments = [s.get("environment", {}) for s in stages]
    common = {k: v for k, v in environments[0].items() if all(e.get(k) == v for e in environments[1:])}
    if common:
        shared["environment"] = common
    return shared


def _value(value: Any) -> str:
    """A TOML value: strings (JSON's escapes are TOML's), integers, lists, inline tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list):
        return "[" + ", ".join(map(_value, value)) + "]"
    return "{ " + ", ".join(f"{_key(key)} = {_value(item)}" for key, item in value.items()) + " }"


def _key(key: str) -> str:
    """A TOML key: bare when it may be ("subnet_ids"), else quoted ("aws:RequestedRegion")."""
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _value(key)
