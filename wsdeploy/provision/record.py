"""The content of a stage's state file: what wsdeploy created, by id, and what it last wrote.

Layout (JSON): app, stage, region, name, partition, account, created_at, updated_at,
deployed_at, url, custom_url (with a custom domain), code_sha256, config_hash, and `resources`:

    role         {name, arn, trust_sha256}
    role_policy  {name, sha256}
    log_group    {name, retention_days}
    table        {name, arn, billing_mode, ttl}     connection tracking's table; ttl: the
                                                    attribute TTL is on for, or null
    api          {id, name, route_selection}
    function     {name, arn, settings}        settings without environment values
    permission   {statement_id, source_arn}
    integration  {id, uri}
    routes       {route key: {id, target, reply, response_id}}
    stage        {name}
    domain_name  {name, certificate_arn, target, target_zone_id}   a custom domain; target: its
                                                    regional name (d-....execute-api...)
    api_mapping  {id, domain, api_id, stage, key}   key: the base path ("" for the root)
    dns_records  {zone_id, zone_name, name, target, target_zone_id}   alias A and AAAA
    authorizer   {id, name, identity}             $connect's REQUEST authorizer; identity: its
                                                    sources joined by commas
    authorizer_permission {statement_id, source_arn}   the function's statement for it

A route entry may also name its `authorization` (CUSTOM, AWS_IAM) when it is not NONE.
    http_api     {id, name}                         the HTTP API of http_app (issue 17)
    http_integration {id, uri, payload_version}     uri: the function's ARN; "2.0"
    http_route   {id, key, target}                  "$default"
    http_stage   {name}                             "$default", auto-deploy
    http_permission {statement_id, source_arn}      the function's statement for that API
(and http_url at the top level, beside url)

Policies are kept as SHA-256 fingerprints and the environment by variable names only, so the
file holds no secret.
"""

from __future__ import annotations

from typing import Any

from ..errors import UserError
from ..state import utc_now
from .desired import StageNames

def new_record(d: StageNames) -> dict[str, Any]:
    return {"app": d.app, "stage": d.stage, "region": d.region, "name": d.name,
            "partition": None, "account": None, "created_at": utc_now(), "deployed_at": None,
            "url": None, "code_sha256": None, "config_hash": None, "resources": {}}


def resources(record: dict) -> dict[str, Any]:
    return record.setdefault("resources", {})


def get(record: dict | None, kind: str) -> dict | None:
    return (record or {}).get("resources", {}).get(kind)


def routes(record: dict | None) -> dict[str, dict]:
    return (record or {}).get("resources", {}).get("routes", {})


def is_empty(record: dict | None) -> bool:
    return not record or not any(record.get("resources", {}).values())


def check_matches(record: dict | None, d: StageNames, where: str) -> None:
    """Refuses a record of another region or other names: those cannot change in place."""
    if not record:
        return
    if record.get("region") != d.region:
        raise UserError(
            f"{where} records stage {d.stage!r} in region {record.get('region')}, but this run "
            f"uses {d.region}. A stage cannot move region in place: set region = "
            f"\"{record.get('region')}\" in wsdeploy.toml (or AWS_REGION) to manage it, or run "
            "`wsdeploy down` there first")
    if record.get("name") != d.name:
        raise UserError(
            f"{where} records resources named {record.get('name')!r}, but the config now names "
            f"them {d.name!r}. Names cannot change in place: run `wsdeploy down` with the old app "
            "name first, then `wsdeploy up`")
