"""What the credentials that run wsdeploy must be allowed, declared beside each AWS call, and
the least-privilege policy `wsdeploy policy` builds from those declarations.

Why beside the call: each service module of `aws/` declares, for every boto3 operation it
makes, the IAM actions that operation needs (the implicit ones too: tags on create, PassRole,
the ListTags that lets GetFunction show tags) and on which resources (a `Scope`). `Aws._call`
refuses an operation nobody declared, so a new call cannot be made without saying what IAM it
needs, and the policy always covers what the code does. A kind that adds a service adds its
declarations in its own module with `declare()`, and its scopes (how its resources' ARNs are
written for one stage) wherever it likes; nothing here needs to change.

Data only: no boto3 here, so the generator is tested without AWS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from .desired import StageNames


@dataclass(frozen=True)
class PolicyContext:
    """What ARNs are written from: the stage's names, where it is, and what it has turned on."""

    names: StageNames
    partition: str
    account: str
    connections: bool = False          # [app.connections] enabled: the table's calls
    state: Any = None                  # remote_state.S3Location, or None for local state
    cfg: Any = None                    # the StageConfig, for kinds whose resources it names

    @property
    def region(self) -> str:
        return self.names.region


@dataclass(frozen=True, eq=False)
class Scope:
    """The resources of one policy statement: `arns(context)`; an empty list leaves the
    statement out (the feature is off for this stage)."""

    sid: str
    arns: Callable[[PolicyContext], list[str]]
    condition: Mapping[str, Any] | Callable[[PolicyContext], Mapping[str, Any]] | None = None


@dataclass(frozen=True)
class Need:
    """IAM actions one call needs on a scope's resources."""

    scope: Scope
    actions: tuple[str, ...]

    def __init__(self, scope: Scope, *actions: str) -> None:
        object.__setattr__(self, "scope", scope)
        object.__setattr__(self, "actions", tuple(actions))


# (service, boto3 operation) -> what it needs; filled by the aws/ modules as they are imported
DECLARED: dict[tuple[str, str], tuple[Need, ...]] = {}
# calls every identity may make: AWS never refuses sts:GetCallerIdentity
NEEDS_NOTHING = ()


def declare(service: str, needs: Mapping[str, Need | tuple[Need, ...]]) -> None:
    """Records what each boto3 operation of `service` needs, by the operation's Python name."""
    for operation, need in needs.items():
        DECLARED[(service, operation)] = (need,) if isinstance(need, Need) else tuple(need)


class UndeclaredCall(Exception):
    """A programming error: an AWS call without its IAM declaration (see the module docstring)."""


def require_declared(service: str, operation: str) -> None:
    if (service, operation) not in DECLARED:
        raise UndeclaredCall(
            f"{service}.{operation} is called without declaring the IAM actions it needs: add it "
            f"to the declare({service!r}, ...) of its module in wsdeploy/provision/aws/, so "
            "`wsdeploy policy` grants it")


# -- scopes of the resources wsdeploy makes -------------------------------------------------------
def _arn(c: PolicyContext, service: str, resource: str, region: bool = True, account: bool = True) -> str:
    return f"arn:{c.partition}:{service}:{c.region if region else ''}:{c.account if account else ''}:{resource}"


ROLE = Scope("Role", lambda c: [_arn(c, "iam", f"role/{c.names.name}", region=False)])
PASS_ROLE = Scope("PassRoleToLambda", ROLE.arns,
                  condition={"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}})
LOG_GROUP = Scope("LogGroup", lambda c: [_arn(c, "logs", f"log-group:{c.names.log_group}"),
                                         _arn(c, "logs", f"log-group:{c.names.log_group}:*")])
# DescribeLogGroups cannot be narrowed to one group: it lists the account's, by prefix
LOG_GROUPS = Scope("FindLogGroup", lambda c: [_arn(c, "logs", "log-group:*")])
# API ids are made by AWS, so the APIs of the region; the stage's API is found by its tags
APIS = Scope("WebSocketApis", lambda c: [_arn(c, "apigateway", "/apis", account=False),
                                         _arn(c, "apigateway", "/apis/*", account=False)])
API_TAGS = Scope("TagApisOnCreate", lambda c: [_arn(c, "apigateway", "/tags/*", account=False)])
# Custom domains (issue 13): names are the user's, and an old one is deleted when the name
# changes, so the region's domain names (down lists them to find this stage's by tags)
DOMAIN_NAMES = Scope("DomainNames", lambda c: [_arn(c, "apigateway", "/domainnames", account=False),
                                               _arn(c, "apigateway", "/domainnames/*", account=False)])


def _has_domain(c: PolicyContext) -> bool:
    return bool(c.cfg is not None and getattr(c.cfg, "domain", None))


# ACM and Route 53 are read (and the zone's records written) only for a stage with a domain;
# listing certificates or zones cannot be narrowed to one resource
CERTIFICATES = Scope("Certificates", lambda c: [_arn(c, "acm", "certificate/*")] if _has_domain(c) else [])
LIST_CERTIFICATES = Scope("ListCertificates", lambda c: ["*"] if _has_domain(c) else [])
HOSTED_ZONES = Scope("HostedZones", lambda c: [
    f"arn:{c.partition}:route53:::hostedzone/{c.cfg.domain.hosted_zone_id or '*'}"] if _has_domain(c) else [])
LIST_HOSTED_ZONES = Scope("ListHostedZones", lambda c: ["*"] if _has_domain(c) else [])
# $connect's authorizer (issue 11): on every stage, as `wsdeploy policy` does not import the app to
# learn whether it has one; limited to authorizers, of the region's APIs as API ids are AWS's
AUTHORIZERS = Scope("ConnectAuthorizers", lambda c: [
    _arn(c, "apigateway", "/apis/*/authorizers", account=False),
    _arn(c, "apigateway", "/apis/*/authorizers/*", account=False)])
FUNCTION = Scope("Function", lambda c: [_arn(c, "lambda", f"function:{c.names.name}")])
TABLE = Scope("ConnectionsTable", lambda c: [_arn(c, "dynamodb", f"table/{c.names.connections_table}")]
              if c.connections else [])
STATE_OBJECTS = Scope("StateObjects", lambda c: [
    f"arn:{c.partition}:s3:::{c.state.bucket}/{c.state.key(c.names.stage, suffix)}"
    for suffix in (".json", ".lock")] if c.state else [])
# without s3:ListBucket, S3 answers 403 instead of 404 for a record not written yet
STATE_BUCKET = Scope("StateBucket", lambda c: [f"arn:{c.partition}:s3:::{c.state.bucket}"] if c.state else [])


def _managed(c: PolicyContext) -> tuple[str, ...]:
    return tuple(getattr(c.cfg, "managed_policies", ()) or ()) if c.cfg is not None else ()


# The app's managed policies (issue 10): attached only those the stage names (iam:PolicyARN);
# listed and detached on the role, only for a stage that has some
ATTACH_POLICIES = Scope("AttachManagedPolicies",
                        lambda c: ROLE.arns(c) if _managed(c) else [],
                        condition=lambda c: {"ArnEquals": {"iam:PolicyARN": list(_managed(c))}})
MANAGED_POLICIES = Scope("ManagedPolicies", lambda c: ROLE.arns(c) if _managed(c) else [])


def policy_document(context: PolicyContext) -> dict:
    """The least-privilege policy for one stage: one statement per scope, with every action
    declared on it, in the order scopes were first declared; scopes without resources left out."""
    scopes: dict[str, Scope] = {}
    actions: dict[str, set[str]] = {}
    for needs in DECLARED.values():
        for need in needs:
            if scopes.setdefault(need.scope.sid, need.scope) is not need.scope:
                raise ValueError(f"two scopes are named {need.scope.sid!r}: a policy's Sids must differ")
            actions.setdefault(need.scope.sid, set()).update(need.actions)
    statements = []
    for sid, names in actions.items():
        scope = scopes[sid]
        arns = scope.arns(context)
        if not arns or not names:
            continue
        statement: dict[str, Any] = {"Sid": scope.sid, "Effect": "Allow", "Action": sorted(names),
                                     "Resource": arns if len(arns) > 1 else arns[0]}
        condition = scope.condition(context) if callable(scope.condition) else scope.condition
        if condition:
            statement["Condition"] = dict(condition)
        statements.append(statement)
    return {"Version": "2012-10-17", "Statement": statements}


def _secrets(c: PolicyContext) -> dict[str, str]:
    return dict(getattr(c.cfg, "secrets", {}) or {}) if c.cfg is not None else {}


def _parameter_arns(c: PolicyContext) -> list[str]:
    from ..app_secrets import parameter_names
    return [_arn(c, "ssm", f"parameter/{p.lstrip('/')}") for p in parameter_names(_secrets(c))]


def _secret_arns(c: PolicyContext) -> list[str]:
    from ..app_secrets import secret_names
    return [_arn(c, "secretsmanager", f"secret:{n}-??????") for n in secret_names(_secrets(c))]


# [app.secrets] (issue 10): `up` checks the referenced parameters and secrets exist, reading
# exactly those (no value: GetParameters without decryption, DescribeSecret), only with secrets
SECRET_PARAMETERS = Scope("SecretParameters", _parameter_arns)
SECRET_VALUES = Scope("SecretValues", _secret_arns)
# `vpc` (issue 10): EC2's Describe calls take no resource-level scope; only with a vpc
VPC_READS = Scope("VpcReads", lambda c: ["*"] if c.cfg is not None and getattr(c.cfg, "vpc", None) else [])
