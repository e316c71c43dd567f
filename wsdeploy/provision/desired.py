"""What one stage should look like in AWS, as frozen values computed from config and package.

Some values depend on facts only AWS knows (the account, the API's id); they are functions of
those facts rather than fields, so the planner can tell "changes because the API is new" apart
from "unchanged", and the executor renders them once the facts are known.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

from .. import naming
from ..runtime.env import SECRETS_ENV, connections_environment, function_environment

if TYPE_CHECKING:
    from .live import Function

RUNTIME_HANDLER = "wsdeploy.runtime.lambda_handler"
TAG_APP, TAG_STAGE = "wsdeploy:app", "wsdeploy:stage"
ROLE_POLICY_NAME = "wsdeploy"
TABLE_KEYS = (("pk", "S", "HASH"), ("sk", "S", "RANGE"))   # (attribute, type, key type)
TABLE_BILLING = "PAY_PER_REQUEST"
TTL_ATTRIBUTE = "ttl"
# Exactly the item calls DynamoStore makes: get_item, query, batch_write_item (its puts and
# deletes), batch_get_item (prune's ages).
TABLE_ACTIONS = ("dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:GetItem",
                 "dynamodb:Query")
PERMISSION_ID = "wsdeploy-apigateway-invoke"
# `vpc`: Lambda makes, lists and deletes the function's network interfaces with the role's
# rights (EC2 takes no resource-level scope for them; AWS's own managed policy says "*")
ENI_ACTIONS = ("ec2:AssignPrivateIpAddresses", "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface",
               "ec2:DescribeNetworkInterfaces", "ec2:UnassignPrivateIpAddresses")
# A custom domain name: WebSocket APIs take only REGIONAL ones with TLS 1.2; dualstack so that
# its AAAA alias resolves (API Gateway's default is IPv4 only).
DOMAIN_ENDPOINT, DOMAIN_TLS, DOMAIN_IP_TYPE = "REGIONAL", "TLS_1_2", "dualstack"
DNS_SUFFIX = {"aws-cn": "amazonaws.com.cn"}   # every other partition: amazonaws.com


@dataclass(frozen=True)
class DesiredRoute:
    key: str
    reply: bool


@dataclass(frozen=True)
class DesiredConnections:
    """[app.connections] when enabled: the table is the stage's `connections_table`."""

    ttl_hours: float
    track: bool


@dataclass(frozen=True)
class DesiredDomain:
    """A stage's custom domain; the certificate and zone, when not given, are found in AWS."""

    name: str
    base_path: str = ""
    certificate_arn: str | None = None
    hosted_zone_id: str | None = None

    @property
    def url(self) -> str:
        return custom_url(self.name, self.base_path)


def custom_url(name: str, base_path: str) -> str:
    """The URL clients use: the mapping serves the stage at the name's root or its base path."""
    return f"wss://{name}" + (f"/{base_path}" if base_path else "")


def domain_configuration(certificate_arn: str) -> dict[str, str]:
    """The one DomainNameConfiguration of a wsdeploy domain."""
    return {"CertificateArn": certificate_arn, "EndpointType": DOMAIN_ENDPOINT,
            "SecurityPolicy": DOMAIN_TLS, "IpAddressType": DOMAIN_IP_TYPE}


@dataclass(frozen=True)
class DesiredAuthorizer:
    """The app's @on_authorize as a REQUEST authorizer on the same function (issue 11).

    `cache_seconds` is not sent: API Gateway takes AuthorizerResultTtlInSeconds only for HTTP
    APIs (the API reference says so), so a WebSocket authorizer runs on every handshake."""

    identity: tuple[str, ...]
    cache_seconds: int = 0


AUTHORIZER_PERMISSION_ID = "wsdeploy-apigateway-authorizer"


def authorizer_name(name: str) -> str:
    return f"{name}-authorizer"


def authorizer_source_arn(d: "StageNames", partition: str, account: str, api_id: str,
                          authorizer_id: str) -> str:
    """API Gateway may invoke the function as this API's authorizer only."""
    return f"arn:{partition}:execute-api:{d.region}:{account}:{api_id}/authorizers/{authorizer_id}"


@dataclass(frozen=True)
class StageNames:
    """What names and tags a stage's resources: all that `down` and look-ups need."""

    app: str
    stage: str
    region: str
    name: str                          # role, function and API

    @property
    def log_group(self) -> str:
        return naming.log_group(self.name)

    @property
    def connections_table(self) -> str:
        """The DynamoDB table of connection tracking (StageConfig.connections_table)."""
        return naming.connections_table(self.name)

    @property
    def tags(self) -> dict[str, str]:
        return {TAG_APP: self.app, TAG_STAGE: self.stage}

    @property
    def http_api_name(self) -> str:
        """The HTTP API of `http_app` (issue 17)."""
        return naming.http_api_name(self.app, self.stage)


def names_from(cfg: Any, region: str) -> StageNames:
    return StageNames(app=cfg.app, stage=cfg.stage, region=region,
                      name=naming.resource_name(cfg.app, cfg.stage))


@dataclass(frozen=True)
class Desired(StageNames):
    """One stage's resources as they should be; built by `desired_from`."""

    retention_days: int
    route_selection: str
    routes: tuple[DesiredRoute, ...]
    runtime: str
    architecture: str
    memory: int
    timeout: int
    handler_module: str
    user_environment: tuple[tuple[str, str], ...] = field(repr=False)
    code_sha256: str = ""
    code: bytes = field(default=b"", repr=False, compare=False)
    connections: DesiredConnections | None = None    # None: no table, no grant, no variables
    domain: DesiredDomain | None = None              # None: no custom domain
    authorizer: DesiredAuthorizer | None = None      # None: no @on_authorize
    connect_auth: str = "NONE"                       # $connect's AuthorizationType (auth_mode.py)
    http_app: str | None = None                      # "module:attribute"; None: no HTTP API
    app_statements: tuple = ()                       # app_permissions.Statement: the `app` policy
    managed_policies: tuple[str, ...] = ()           # policy ARNs attached to the role
    secrets: tuple[tuple[str, str], ...] = ()        # (name, reference): WSDEPLOY_SECRETS
    secrets_kms_key: str | None = None               # kms:Decrypt on it, when named
    reserved_concurrency: int | None = None          # None: the account's unreserved pool
    vpc: tuple | None = None                         # (subnet ids, security group ids)

    def route(self, key: str) -> DesiredRoute | None:
        return next((r for r in self.routes if r.key == key), None)


def desired_from(cfg: Any, package: Any, region: str) -> Desired:
    """From a StageConfig and a BuiltPackage; the three built-in routes are always there."""
    routes = {key: DesiredRoute(key, False) for key in ("$connect", "$disconnect", "$default")}
    for spec in package.handler.routes:
        routes[spec.key] = DesiredRoute(spec.key, bool(spec.reply))
    return Desired(
        app=cfg.app, stage=cfg.stage, region=region, name=naming.resource_name(cfg.app, cfg.stage),
        retention_days=cfg.log_retention_days, route_selection=cfg.route_selection,
        routes=tuple(sorted(routes.values(), key=lambda r: r.key)),
        runtime=cfg.runtime, architecture=cfg.architecture, memory=cfg.memory,
        timeout=cfg.timeout, handler_module=package.handler.module,
        user_environment=tuple(sorted(dict(cfg.environment).items())),
        code_sha256=package.sha256_b64, code=package.data,
        connections=(DesiredConnections(cfg.connections.ttl_hours, cfg.connections.track)
                     if cfg.connections.enabled else None),
        domain=_desired_domain(getattr(cfg, "domain", None)),
        **_desired_auth(cfg, package.handler),
        http_app=getattr(cfg, "http_app", None),
        app_statements=tuple(getattr(cfg, "permissions", ())),
        managed_policies=tuple(getattr(cfg, "managed_policies", ())),
        secrets=tuple(sorted(dict(getattr(cfg, "secrets", {})).items())),
        secrets_kms_key=getattr(cfg, "secrets_kms_key", None),
        reserved_concurrency=getattr(cfg, "reserved_concurrency", None),
        vpc=getattr(cfg, "vpc", None),
    )


def _desired_auth(cfg: Any, handler: Any) -> dict[str, Any]:
    from ..auth_mode import connect_authorization   # UserError for iam + @on_authorize

    found = getattr(handler, "authorizer", None)
    return {"connect_auth": connect_authorization(cfg, handler),
            "authorizer": DesiredAuthorizer(tuple(found.identity), found.cache_seconds) if found else None}


def _desired_domain(domain: Any) -> DesiredDomain | None:
    if domain is None:
        return None
    return DesiredDomain(domain.name, domain.base_path, domain.certificate_arn, domain.hosted_zone_id)


def wants_table(d: StageNames) -> bool:
    """True when `d` is a Desired with connection tracking on (StageNames alone: unknown, False)."""
    return getattr(d, "connections", None) is not None


# -- values that depend on AWS's facts --------------------------------------------------------
def trust_policy() -> dict:
    """Only Lambda may assume the role."""
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole"}]}


def role_policy(d: StageNames, partition: str, account: str, api_id: str) -> dict:
    """Logs to its own group, @connections on this API's stage and, with connection tracking,
    the four item calls of the runtime on its own table (no index exists): nothing wider."""
    statements = [
        {"Sid": "OwnLogGroup", "Effect": "Allow",
         "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": f"arn:{partition}:logs:{d.region}:{account}:log-group:{d.log_group}:*"},
        {"Sid": "ManageConnections", "Effect": "Allow", "Action": "execute-api:ManageConnections",
         "Resource": connections_arn(d, partition, account, api_id)},
    ]
    if wants_table(d):
        statements.append({"Sid": "ConnectionsTable", "Effect": "Allow",
                           "Action": list(TABLE_ACTIONS),
                           "Resource": table_arn(d, partition, account)})
    statements += secrets_statements(d, partition, account)
    if getattr(d, "vpc", None):   # what Lambda needs to put the function's interfaces in the VPC
        statements.append({"Sid": "VpcNetworkInterfaces", "Effect": "Allow", "Action": list(ENI_ACTIONS),
                           "Resource": "*"})
    return {"Version": "2012-10-17", "Statement": statements}


def secrets_statements(d: StageNames, partition: str, account: str) -> list[dict]:
    """[app.secrets]: GetParameters on exactly those parameters, GetSecretValue on exactly those
    secrets (their ARNs end in a random six-character suffix), kms:Decrypt only on a named key."""
    from ..app_secrets import parameter_names, secret_names
    secrets = dict(getattr(d, "secrets", ()))
    found = []
    parameters = [f"arn:{partition}:ssm:{d.region}:{account}:parameter/{p.lstrip('/')}"
                  for p in parameter_names(secrets)]
    if parameters:
        found.append({"Sid": "SecretParameters", "Effect": "Allow", "Action": "ssm:GetParameters",
                      "Resource": parameters})
    values = [f"arn:{partition}:secretsmanager:{d.region}:{account}:secret:{n}-??????"
              for n in secret_names(secrets)]
    if values:
        found.append({"Sid": "SecretValues", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                      "Resource": values})
    key = getattr(d, "secrets_kms_key", None)
    if secrets and key:
        found.append({"Sid": "SecretsKey", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": key})
    return found


def table_arn(d: StageNames, partition: str, account: str) -> str:
    """Known before the table exists, so the policy is written once."""
    return f"arn:{partition}:dynamodb:{d.region}:{account}:table/{d.connections_table}"


def connections_arn(d: StageNames, partition: str, account: str, api_id: str) -> str:
    return f"arn:{partition}:execute-api:{d.region}:{account}:{api_id}/{d.stage}/*/@connections/*"


def permission_source_arn(d: StageNames, partition: str, account: str, api_id: str) -> str:
    """API Gateway may invoke the function for this API only."""
    return f"arn:{partition}:execute-api:{d.region}:{account}:{api_id}/*"


LAMBDA_PATH = ":lambda:path/2015-03-31/functions/"


def integration_uri(d: StageNames, function_arn: str) -> str:
    """The URI AWS documents for a Lambda proxy integration of a WebSocket API: the
    function's invocation path (the bare function ARN works at runtime but not in the
    console), in the function's partition."""
    partition = function_arn.split(":")[1]
    return f"arn:{partition}:apigateway:{d.region}{LAMBDA_PATH}{function_arn}/invocations"


def integration_function(uri: str) -> str:
    """The function ARN an integration URI invokes, whichever of the two forms it has."""
    if LAMBDA_PATH in uri:
        return uri.split(LAMBDA_PATH, 1)[1].removesuffix("/invocations")
    return uri


def api_host(d: StageNames, partition: str, api_id: str) -> str:
    return f"{api_id}.execute-api.{d.region}.{DNS_SUFFIX.get(partition, 'amazonaws.com')}"


def websocket_url(d: StageNames, partition: str, api_id: str) -> str:
    return f"wss://{api_host(d, partition, api_id)}/{d.stage}"


def api_id_of_endpoint(endpoint: str) -> str | None:
    """The API id in a WEBSOCKET_API_GATEWAY_ENDPOINT value (https://{apiId}.execute-api...)."""
    host = endpoint.partition("://")[2].split("/", 1)[0]
    return host.split(".", 1)[0] if ".execute-api." in host else None


def function_settings(d: Desired, partition: str, role_arn: str, api_id: str) -> dict[str, Any]:
    """Everything update_function_configuration sets, plus the architecture (set with the code)."""
    connections = (connections_environment(d.connections_table, d.connections.ttl_hours,
                                           d.connections.track) if d.connections else None)
    environment = function_environment(dict(d.user_environment), d.handler_module,
                                       f"https://{api_host(d, partition, api_id)}/{d.stage}",
                                       connections, d.http_app)
    if d.secrets:    # references only: the runtime reads the values (runtime/secrets.py)
        environment = dict(sorted({**environment, SECRETS_ENV: json.dumps(dict(d.secrets),
                                                                          separators=(",", ":"))}.items()))
    if d.vpc:
        return {"role": role_arn, "handler": RUNTIME_HANDLER, "runtime": d.runtime, "memory": d.memory,
                "timeout": d.timeout, "architecture": d.architecture, "environment": environment,
                "vpc": d.vpc}
    return {"role": role_arn, "handler": RUNTIME_HANDLER, "runtime": d.runtime, "memory": d.memory,
            "timeout": d.timeout, "architecture": d.architecture, "environment": environment}


def document_hash(document: Mapping) -> str:
    """A stable fingerprint of a policy document, so the state file need not hold it."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def config_hash(d: Desired) -> str:
    """Fingerprint of the settings; environment *names* only, so no secret leaks into state."""
    fields = {"runtime": d.runtime, "architecture": d.architecture, "memory": d.memory,
              "timeout": d.timeout, "handler_module": d.handler_module,
              "retention_days": d.retention_days, "route_selection": d.route_selection,
              "routes": [[r.key, r.reply] for r in d.routes],
              "environment_names": [k for k, _ in d.user_environment]}
    if d.connections is not None:   # only when on: stages without it keep their old hash
        fields["connections"] = [d.connections.ttl_hours, d.connections.track]
    if d.domain is not None:        # the same
        fields["domain"] = [d.domain.name, d.domain.base_path, d.domain.certificate_arn,
                            d.domain.hosted_zone_id]
    if d.connect_auth != "NONE":    # the same
        fields["connect_auth"] = [d.connect_auth, *(d.authorizer.identity if d.authorizer else ())]
    if d.http_app is not None:      # the same
        fields["http_app"] = d.http_app
    if d.vpc:                       # the same
        fields["vpc"] = [list(d.vpc[0]), list(d.vpc[1])]
    if d.secrets:                   # the same; names and references hold no value
        fields["secrets"] = [list(pair) for pair in d.secrets] + [d.secrets_kms_key]
    return document_hash(fields)


# -- what differs between the function wanted and the one found --------------------------------
CONFIG_FIELDS = ("role", "handler", "runtime", "memory", "timeout")   # and the environment


def function_changes(d: Desired, live: "Function", want: dict) -> tuple[list[str], tuple[str, ...]]:
    """What differs: configuration fields (environment variables by name), and code fields."""
    have = {"role": live.role, "handler": live.handler, "runtime": live.runtime,
            "memory": live.memory, "timeout": live.timeout, "environment": dict(live.environment)}
    changed = [f for f in CONFIG_FIELDS if want[f] != have[f]]
    changed += environment_changes(want["environment"], have["environment"])
    if tuple(want.get("vpc") or ((), ())) != tuple(live.vpc):
        changed.append("vpc")
    code_changes = tuple(field for field, differs in (
        ("code", live.code_sha256 != d.code_sha256),
        ("architecture", live.architecture != d.architecture)) if differs)
    return changed, code_changes


def environment_changes(want: dict, have: dict) -> list[str]:
    """Which variables differ, by name only: values may be secrets."""
    names = sorted(set(want) | set(have))
    differing = [n for n in names if want.get(n) != have.get(n)]
    return [f"environment: {', '.join(differing)}"] if differing else []


# -- the HTTP API of `http_app` (issue 17) -----------------------------------------------------
HTTP_PERMISSION_ID = "wsdeploy-apigateway-invoke-http"   # its own statement beside PERMISSION_ID
HTTP_PAYLOAD_VERSION = "2.0"
HTTP_STAGE = "$default"                                  # served at the API's root, auto-deployed
HTTP_ROUTE = "$default"                                  # every method and path to the app


def wants_http(d: StageNames) -> bool:
    """True when `d` is a Desired with an http_app (StageNames alone: unknown, False)."""
    return getattr(d, "http_app", None) is not None


def http_url(d: StageNames, partition: str, api_id: str) -> str:
    """The HTTP API's URL: its $default stage answers at the root."""
    return f"https://{api_host(d, partition, api_id)}/"
