"""The one place that calls boto3 for deploys: a narrow, typed wrapper over iam, lambda,
apigatewayv2, logs, dynamodb and sts.

Why one place: every AWS error is translated here (a missing resource becomes `None` or
"already gone", bad credentials a `UserError`, "already exists" on a create `AlreadyExists`,
anything else an `AwsCallError` that names the operation, with the values of the user's
environment blanked out of AWS's message), the waits and retries live here, and tests can
count or break every call through one botocore session.

Retries. Reads, updates and deletes go through botocore's standard retry mode, which re-sends
a request after throttling, a 5xx or a lost answer (a read timeout): harmless for them. Calls
that create are never re-sent by botocore: a re-sent CreateApi or CreateIntegration (neither
takes a client token) makes a second one, and the other creates answer "already exists" to a
re-send of their own success. So creates go through a second client without retries, and
only what AWS refused before doing anything (throttling, a connection never made) is retried,
here, on the injected clock. A lost answer fails the step; the next run finds what it made by
name and tags. API Gateway's "concurrent modification" conflicts (an auto-deploying stage
busy in the background) and Lambda's "update in progress" conflicts are waited out too.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping

import boto3
import botocore.exceptions as bx
from botocore.config import Config

from .. import __version__
from ..errors import UserError

# The error codes that mean "no such resource", per service (IAM's wire code has no suffix).
NOT_FOUND = frozenset({"NoSuchEntity", "ResourceNotFoundException", "NotFoundException"})
BAD_CREDENTIALS = frozenset({
    "UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException",
    "InvalidSignatureException", "SignatureDoesNotMatch", "AuthFailure", "InvalidAccessKeyId",
})
ACCESS_DENIED = "AccessDeniedException"
ROLE_NOT_ASSUMABLE = "cannot be assumed by lambda"
ROLE_PROPAGATION_SECONDS = 60.0   # IAM usually propagates a new role within ~10 s
FUNCTION_READY_SECONDS = 300.0
TABLE_READY_SECONDS = 600.0       # an on-demand table is usually ACTIVE within seconds
TTL_ON = frozenset({"ENABLED", "ENABLING"})

# The calls that make something: never re-sent by botocore (see the module's docstring).
CREATE_CALLS = frozenset({
    "create_role", "create_log_group", "create_api", "create_integration", "create_route",
    "create_route_response", "create_stage", "create_function", "create_table", "add_permission",
})
# botocore's throttling codes (botocore.retries.standard): AWS did nothing, so a re-send is safe.
THROTTLED = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "ProvisionedThroughputExceededException",
    "TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
    "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
    "EC2ThrottledException",
})
RETRY_ATTEMPTS = 8                # our own retries: 1, 2, 4, 8, 8, 8, 8 s apart (~40 s)
# How each service answers a create whose resource exists: IAM "Role with name X already
# exists.", Logs "The specified log group already exists", Lambda "Function already exist: X"
# and "The statement id (X) provided already exists", DynamoDB "Table already exists: X", API
# Gateway "Route with key X already exists for this API" (a ConflictException, as its
# "concurrent modification" refusals are).
ALREADY_EXISTS_CODES = frozenset({"EntityAlreadyExists", "ResourceAlreadyExistsException",
                                  "ConflictException", "ResourceConflictException",
                                  "ResourceInUseException"})
ALREADY_EXISTS = "already exist"
CONCURRENT_MODIFICATION = "concurrent modification"   # API Gateway: "... Please try again later."
UPDATE_IN_PROGRESS_ATTEMPTS = 4   # Lambda: ResourceConflictException "An update is in progress"
# Lambda's refusal of a too large environment quotes all of it after this ("String measured:
# {...}"): cut there. The user's own values are blanked wherever they appear (REDACTED).
MEASURED = "String measured:"
REDACTED = "***"
MIN_REDACTED_LENGTH = 4           # shorter values are no secrets, and would garble messages


class AwsCallError(Exception):
    """An AWS call failed for a reason the user cannot fix by editing input."""

    def __init__(self, operation: str, code: str, message: str) -> None:
        super().__init__(f"{operation}: {code}: {message}")
        self.operation, self.code, self.message = operation, code, message


class AlreadyExists(AwsCallError):
    """A create found its resource there already: made by a run whose answer was lost, by a
    concurrent run, or by someone else. The caller looks it up and adopts it if it is ours."""


# -- what the wrapper returns ------------------------------------------------------------
@dataclass(frozen=True)
class Identity:
    account: str
    partition: str


@dataclass(frozen=True)
class Role:
    name: str
    arn: str
    trust: Mapping[str, Any]
    tags: Mapping[str, str]


@dataclass(frozen=True)
class LogGroup:
    name: str
    retention_days: int | None


@dataclass(frozen=True)
class Api:
    id: str
    name: str
    route_selection: str
    tags: Mapping[str, str]
    created: str = ""             # CreatedDate, ISO 8601: orders duplicates


@dataclass(frozen=True)
class Integration:
    id: str
    uri: str


@dataclass(frozen=True)
class Route:
    id: str
    key: str
    target: str
    reply: bool   # RouteResponseSelectionExpression is "$default"


@dataclass(frozen=True)
class Stage:
    name: str
    auto_deploy: bool


@dataclass(frozen=True)
class Table:
    name: str
    arn: str
    status: str                                 # CREATING, UPDATING, DELETING, ACTIVE, ...
    billing_mode: str                           # PAY_PER_REQUEST or PROVISIONED
    keys: tuple[tuple[str, str, str], ...]      # (attribute, type, HASH/RANGE), HASH first


@dataclass(frozen=True)
class TimeToLive:
    status: str                                 # ENABLED, ENABLING, DISABLED, DISABLING
    attribute: str | None

    def on_for(self, attribute: str) -> bool:
        return self.status in TTL_ON and self.attribute == attribute


@dataclass(frozen=True)
class Function:
    name: str
    arn: str
    role: str
    handler: str
    runtime: str
    memory: int
    timeout: int
    architecture: str
    environment: Mapping[str, str] = field(repr=False)   # may hold the user's secrets
    code_sha256: str
    state: str | None
    last_update_status: str | None
    state_reason: str | None
    tags: Mapping[str, str]

    @property
    def busy(self) -> bool:
        """True while Lambda refuses updates (creating, or an update in progress)."""
        return self.state == "Pending" or self.last_update_status == "InProgress"

    @property
    def failed(self) -> bool:
        """Lambda gave up creating it (State Failed) or applying its last update."""
        return self.state == "Failed" or self.last_update_status == "Failed"


def arn_partition_account(arn: str) -> Identity:
    """The partition and account of any ARN (arn:PARTITION:service:region:ACCOUNT:...)."""
    parts = arn.split(":")
    return Identity(account=parts[4], partition=parts[1])


def make_session(profile: str | None, region: str | None) -> boto3.Session:
    """A boto3 session for the stage; missing region or credentials are the user's to fix.

    The region: wsdeploy.toml's, else AWS_REGION (which Lambda and most SDKs honour, but not
    every botocore), else AWS_DEFAULT_REGION or the profile's.
    """
    region = region or os.environ.get("AWS_REGION") or None
    try:
        session = boto3.Session(profile_name=profile, region_name=region)
    except bx.ProfileNotFound:
        raise UserError(f"AWS profile {profile!r} is not configured: run `aws configure "
                        f"--profile {profile}` or change profile in wsdeploy.toml") from None
    if not session.region_name:
        raise UserError("No AWS region: set region = \"...\" in wsdeploy.toml, or AWS_REGION "
                        "(or a region in your AWS profile)")
    try:
        credentials = session.get_credentials()
    except bx.BotoCoreError as error:
        raise UserError(f"AWS credentials could not be loaded: {error}") from None
    if credentials is None:
        raise UserError("No AWS credentials found: run `aws configure` (or `aws sso login`), or "
                        "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE")
    return session


class Aws:
    """Typed calls for one region; `sleep` and `clock` are injectable so tests never wait."""

    def __init__(self, session: boto3.Session, *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.session = session
        self.region: str = session.region_name
        self.sleep, self.clock = sleep, clock
        self._clients: dict[tuple[str, bool], Any] = {}
        agent = f"wsdeploy/{__version__}"
        self._config = Config(retries={"mode": "standard", "max_attempts": 8}, user_agent_extra=agent)
        # creates: one attempt each, whatever happens (see the module's docstring)
        self._create_config = Config(retries={"mode": "standard", "total_max_attempts": 1},
                                     user_agent_extra=agent)
        self._hidden: set[str] = set()

    def _client(self, service: str, create: bool = False) -> Any:
        if (service, create) not in self._clients:
            config = self._create_config if create else self._config
            self._clients[(service, create)] = self.session.client(service, config=config)
        return self._clients[(service, create)]

    # -- secrets --------------------------------------------------------------------------
    def hide(self, values: Iterable[str]) -> None:
        """Values (the user's environment) that no error message may show: AWS's messages
        are blanked where they appear, in any spelling (`_spellings`), before they are
        raised, shown or recorded."""
        before = len(self._hidden)
        self._hidden.update(v for v in values if isinstance(v, str) and len(v) >= MIN_REDACTED_LENGTH)
        if len(self._hidden) != before:  # compiling takes milliseconds: only when there is news
            self._hidden_pattern = self._spellings(self._hidden)

    def redact(self, message: str) -> str:
        cut = message.find(MEASURED)
        if cut >= 0:
            message = message[:cut + len(MEASURED)] + " (not shown: it holds the variables' values)"
        pattern = getattr(self, "_hidden_pattern", None)  # set by hide()
        return pattern.sub(REDACTED, message) if pattern else message

    @staticmethod
    def _spellings(values: Iterable[str]) -> re.Pattern[str]:
        """One pattern for every way an error message may spell any of `values`: as they are,
        JSON-escaped (with or without ensure_ascii, `/` as `\\/`, escaped again when a JSON
        document is quoted inside another), and as Python's repr() or ascii() show them (`\\xe9`,
        `\\u200b`, `\\U0001f600`, `\\n`, `\\'`) or the repr of their UTF-8 bytes. Each character
        may take any of its forms, so a message that escapes only some of them is caught too.
        Longer values come first, so a value holding a shorter one is blanked whole."""
        import re  # here rather than among the imports above, which are being reorganised

        def hex_digits(number: int, width: int) -> str:
            return "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in f"{number:0{width}x}")

        escape = r"\\+"   # a backslash, or several where the escape itself was escaped
        letters = {"\n": "n", "\t": "t", "\r": "r", "\b": "b", "\f": "f", "/": "/", '"': '"', "'": "'"}

        def character(char: str) -> str:
            code = ord(char)
            if char.isascii() and char.isalnum():
                return char   # no encoder escapes letters and digits: the pattern stays small
            forms = [escape] if char == "\\" else [re.escape(char)]
            if char in letters:
                forms.append(escape + re.escape(letters[char]))
            if code < 0x100:
                forms.append(escape + "x" + hex_digits(code, 2))
            if code < 0x10000:
                forms.append(escape + "u" + hex_digits(code, 4))
            else:
                high, low = divmod(code - 0x10000, 0x400)
                forms.append(escape + "u" + hex_digits(0xD800 + high, 4)
                             + escape + "u" + hex_digits(0xDC00 + low, 4))
                forms.append(escape + "U" + hex_digits(code, 8))
            if code >= 0x80:
                forms.append("".join(escape + "x" + hex_digits(byte, 2) for byte in char.encode("utf-8")))
            return "(?:" + "|".join(forms) + ")"

        ordered = sorted(set(values), key=len, reverse=True)
        return re.compile("|".join("".join(map(character, value)) for value in ordered))

    def _call(self, service: str, operation: str, missing_ok: bool = False, **params: Any) -> Any:
        """One AWS call. With missing_ok, "no such resource" returns None instead of raising."""
        create = operation in CREATE_CALLS
        client = self._client(service, create)
        attempt, delay = 0, 1.0
        while True:
            attempt += 1
            try:
                return getattr(client, operation)(**params)
            except bx.ClientError as error:
                info = error.response.get("Error", {})
                code = str(info.get("Code", "Unknown"))
                message = self.redact(str(info.get("Message", error)))
                if missing_ok and code in NOT_FOUND:
                    return None
                if code in BAD_CREDENTIALS:
                    raise UserError(f"AWS refused the credentials ({code}): {message}. Check "
                                    "AWS_PROFILE or your keys, or log in again") from None
                concurrent = (service == "apigatewayv2" and code == "ConflictException"
                              and CONCURRENT_MODIFICATION in message.lower())
                if (concurrent or (create and code in THROTTLED)) and attempt < RETRY_ATTEMPTS:
                    self.sleep(delay)
                    delay = min(delay * 2, 8.0)
                    continue
                if create and code in ALREADY_EXISTS_CODES and not concurrent and (
                        ALREADY_EXISTS in message.lower()
                        or (service == "apigatewayv2" and code == "ConflictException")):
                    raise AlreadyExists(error.operation_name, code, message) from None
                raise AwsCallError(error.operation_name, code, message) from None
            except (bx.NoCredentialsError, bx.PartialCredentialsError, bx.TokenRetrievalError,
                    bx.SSOError, bx.CredentialRetrievalError) as error:
                raise UserError(f"AWS credentials could not be used: {error}") from None
            except (bx.EndpointConnectionError, bx.ConnectTimeoutError) as error:
                # the request never left: a create may be sent again
                if create and attempt < RETRY_ATTEMPTS:
                    self.sleep(delay)
                    delay = min(delay * 2, 8.0)
                    continue
                raise AwsCallError(_operation_name(client, operation), "ConnectionError",
                                   str(error)) from None
            except (bx.ConnectionClosedError, bx.ReadTimeoutError) as error:
                # the request may have been done: never sent again here
                raise AwsCallError(_operation_name(client, operation), "ConnectionError",
                                   str(error)) from None

    # -- identity -----------------------------------------------------------------------
    def identity(self) -> Identity:
        return arn_partition_account(self._call("sts", "get_caller_identity")["Arn"])

    # -- iam --------------------------------------------------------------------------------
    def get_role(self, name: str) -> Role | None:
        found = self._call("iam", "get_role", missing_ok=True, RoleName=name)
        return _role(found["Role"]) if found else None

    def create_role(self, name: str, trust: Mapping, tags: Mapping[str, str]) -> Role:
        created = self._call("iam", "create_role", RoleName=name, AssumeRolePolicyDocument=_json(trust),
                             Description="Execution role of a wsdeploy WebSocket function",
                             Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
        return _role(created["Role"])

    def update_trust(self, name: str, trust: Mapping) -> None:
        self._call("iam", "update_assume_role_policy", RoleName=name, PolicyDocument=_json(trust))

    def put_role_policy(self, role: str, policy: str, document: Mapping) -> None:
        self._call("iam", "put_role_policy", RoleName=role, PolicyName=policy,
                   PolicyDocument=_json(document))

    def get_role_policy(self, role: str, policy: str) -> dict | None:
        found = self._call("iam", "get_role_policy", missing_ok=True, RoleName=role, PolicyName=policy)
        return _decode_policy(found["PolicyDocument"]) if found else None

    def delete_role_policy(self, role: str, policy: str) -> None:
        self._call("iam", "delete_role_policy", missing_ok=True, RoleName=role, PolicyName=policy)

    def delete_role(self, name: str) -> None:
        self._call("iam", "delete_role", missing_ok=True, RoleName=name)

    # -- logs -------------------------------------------------------------------------------
    def get_log_group(self, name: str) -> LogGroup | None:
        group = self._describe_log_group(name)
        return LogGroup(name, group.get("retentionInDays")) if group else None

    def _describe_log_group(self, name: str) -> dict | None:
        token = None
        while True:
            found = self._call("logs", "describe_log_groups", logGroupNamePrefix=name,
                               **({"nextToken": token} if token else {}))
            for group in found.get("logGroups", []):
                if group["logGroupName"] == name:
                    return group
            token = found.get("nextToken")
            if not token:
                return None

    def log_group_tags(self, name: str) -> dict[str, str] | None:
        """The log group's tags; None when it does not exist."""
        group = self._describe_log_group(name)
        if group is None:
            return None
        arn = group.get("logGroupArn") or group.get("arn", "").removesuffix(":*")
        found = self._call("logs", "list_tags_for_resource", missing_ok=True, resourceArn=arn)
        return dict(found.get("tags") or {}) if found is not None else None

    def create_log_group(self, name: str, tags: Mapping[str, str]) -> None:
        """AlreadyExists when it does (Lambda makes /aws/lambda/NAME itself on first use)."""
        self._call("logs", "create_log_group", logGroupName=name, tags=dict(tags))

    def put_retention(self, name: str, days: int) -> None:
        self._call("logs", "put_retention_policy", logGroupName=name, retentionInDays=days)

    def delete_log_group(self, name: str) -> None:
        self._call("logs", "delete_log_group", missing_ok=True, logGroupName=name)

    def log_events(self, group: str, start_ms: int, token: str | None = None) -> tuple[list[dict], str | None]:
        """One page of the group's events since start_ms, and the token of the next page."""
        params: dict[str, Any] = {"logGroupName": group, "startTime": start_ms}
        if token:
            params["nextToken"] = token
        found = self._call("logs", "filter_log_events", missing_ok=True, **params)
        if found is None:
            return [], None
        return found.get("events", []), found.get("nextToken")

    # -- apigatewayv2 -----------------------------------------------------------------------
    def find_apis(self, name: str) -> list[Api]:
        """Every WebSocket API called `name`; the caller checks the tags."""
        apis, token = [], None
        while True:
            page = self._call("apigatewayv2", "get_apis", **({"NextToken": token} if token else {}))
            apis += [_api(item) for item in page.get("Items", [])
                     if item.get("Name") == name and item.get("ProtocolType") == "WEBSOCKET"]
            token = page.get("NextToken")
            if not token:
                return apis

    def get_api(self, api_id: str) -> Api | None:
        found = self._call("apigatewayv2", "get_api", missing_ok=True, ApiId=api_id)
        return _api(found) if found else None

    def create_api(self, name: str, route_selection: str, tags: Mapping[str, str]) -> Api:
        return _api(self._call("apigatewayv2", "create_api", Name=name, ProtocolType="WEBSOCKET",
                               RouteSelectionExpression=route_selection, Tags=dict(tags)))

    def update_api(self, api_id: str, route_selection: str) -> None:
        self._call("apigatewayv2", "update_api", ApiId=api_id, RouteSelectionExpression=route_selection)

    def delete_api(self, api_id: str) -> None:
        self._call("apigatewayv2", "delete_api", missing_ok=True, ApiId=api_id)

    def get_integrations(self, api_id: str) -> list[Integration]:
        return [Integration(i["IntegrationId"], i.get("IntegrationUri", ""))
                for i in self._pages("get_integrations", ApiId=api_id)]

    def get_integration(self, api_id: str, integration_id: str) -> Integration | None:
        found = self._call("apigatewayv2", "get_integration", missing_ok=True, ApiId=api_id,
                           IntegrationId=integration_id)
        return Integration(found["IntegrationId"], found.get("IntegrationUri", "")) if found else None

    def create_integration(self, api_id: str, uri: str) -> Integration:
        """`uri`: desired.integration_uri, the function's invocation path."""
        made = self._call("apigatewayv2", "create_integration", ApiId=api_id, IntegrationType="AWS_PROXY",
                          IntegrationMethod="POST", IntegrationUri=uri)
        return Integration(made["IntegrationId"], made.get("IntegrationUri", uri))

    def update_integration(self, api_id: str, integration_id: str, uri: str) -> None:
        self._call("apigatewayv2", "update_integration", ApiId=api_id, IntegrationId=integration_id,
                   IntegrationUri=uri)

    def delete_integration(self, api_id: str, integration_id: str) -> None:
        self._call("apigatewayv2", "delete_integration", missing_ok=True, ApiId=api_id,
                   IntegrationId=integration_id)

    def get_routes(self, api_id: str) -> list[Route]:
        return [_route(r) for r in self._pages("get_routes", ApiId=api_id)]

    def create_route(self, api_id: str, key: str, target: str, reply: bool) -> Route:
        """AlreadyExists when the API has a route of this key."""
        params = {"RouteResponseSelectionExpression": "$default"} if reply else {}
        return _route(self._call("apigatewayv2", "create_route", ApiId=api_id, RouteKey=key,
                                 Target=target, **params))

    def update_route(self, api_id: str, route_id: str, target: str, reply: bool) -> None:
        # An empty expression clears it: the route goes back to one-way.
        self._call("apigatewayv2", "update_route", ApiId=api_id, RouteId=route_id, Target=target,
                   RouteResponseSelectionExpression="$default" if reply else "")

    def delete_route(self, api_id: str, route_id: str) -> None:
        self._call("apigatewayv2", "delete_route", missing_ok=True, ApiId=api_id, RouteId=route_id)

    def get_route_responses(self, api_id: str, route_id: str) -> dict[str, str]:
        """{route response key: id} of one route."""
        return {r["RouteResponseKey"]: r["RouteResponseId"]
                for r in self._pages("get_route_responses", ApiId=api_id, RouteId=route_id)}

    def route_response_exists(self, api_id: str, route_id: str, response_id: str) -> bool:
        return self._call("apigatewayv2", "get_route_response", missing_ok=True, ApiId=api_id,
                          RouteId=route_id, RouteResponseId=response_id) is not None

    def create_route_response(self, api_id: str, route_id: str) -> str:
        """The id of the route's "$default" response; adopts one that already exists."""
        try:
            return self._call("apigatewayv2", "create_route_response", ApiId=api_id, RouteId=route_id,
                              RouteResponseKey="$default")["RouteResponseId"]
        except AlreadyExists:
            existing = self.get_route_responses(api_id, route_id)
            if "$default" in existing:
                return existing["$default"]
            raise

    def delete_route_response(self, api_id: str, route_id: str, response_id: str) -> None:
        self._call("apigatewayv2", "delete_route_response", missing_ok=True, ApiId=api_id,
                   RouteId=route_id, RouteResponseId=response_id)

    def get_stage(self, api_id: str, name: str) -> Stage | None:
        found = self._call("apigatewayv2", "get_stage", missing_ok=True, ApiId=api_id, StageName=name)
        return Stage(found["StageName"], bool(found.get("AutoDeploy"))) if found else None

    def create_stage(self, api_id: str, name: str, tags: Mapping[str, str]) -> None:
        """AlreadyExists when the API has a stage of this name."""
        self._call("apigatewayv2", "create_stage", ApiId=api_id, StageName=name, AutoDeploy=True,
                   Description="Deployed by wsdeploy; changes deploy automatically", Tags=dict(tags))

    def turn_on_auto_deploy(self, api_id: str, name: str) -> None:
        self._call("apigatewayv2", "update_stage", ApiId=api_id, StageName=name, AutoDeploy=True)

    def _pages(self, operation: str, **params: Any) -> Iterator[dict]:
        token = None
        while True:
            page = self._call("apigatewayv2", operation, **params, **({"NextToken": token} if token else {}))
            yield from page.get("Items", [])
            token = page.get("NextToken")
            if not token:
                return

    # -- lambda -----------------------------------------------------------------------------
    def get_function(self, name: str) -> Function | None:
        found = self._call("lambda", "get_function", missing_ok=True, FunctionName=name)
        return _function(found["Configuration"], found.get("Tags", {})) if found else None

    def create_function(self, name: str, code: bytes, settings: Mapping[str, Any],
                        tags: Mapping[str, str]) -> Function:
        """Creates the function; retries while IAM has not yet let Lambda assume a new role.
        AlreadyExists when a function of this name exists."""
        made = self._retry_role_propagation(lambda: self._call(
            "lambda", "create_function", FunctionName=name, Code={"ZipFile": code},
            PackageType="Zip", Tags=dict(tags), **_lambda_settings(settings, with_arch=True)))
        return _function(made, tags)

    def update_function_code(self, name: str, code: bytes, architecture: str) -> Function:
        made = self._lambda_write(name, "update_function_code", ZipFile=code,
                                  Architectures=[architecture])
        return _function(made, {})

    def update_function_configuration(self, name: str, settings: Mapping[str, Any]) -> Function:
        made = self._retry_role_propagation(lambda: self._lambda_write(
            name, "update_function_configuration", **_lambda_settings(settings, with_arch=False)))
        return _function(made, {})

    def _lambda_write(self, name: str, operation: str, missing_ok: bool = False, **params: Any) -> Any:
        """A write to the function that waits out an update in progress: Lambda refuses it
        then with ResourceConflictException ("The operation cannot be performed at this time.
        An update is in progress for resource: ..."), as it does a write re-sent after a lost
        answer. The same code with "already exists" is no such refusal: it is raised."""
        for attempt in range(1, UPDATE_IN_PROGRESS_ATTEMPTS + 1):
            try:
                return self._call("lambda", operation, missing_ok, FunctionName=name, **params)
            except AwsCallError as error:
                if (isinstance(error, AlreadyExists) or error.code != "ResourceConflictException"
                        or attempt == UPDATE_IN_PROGRESS_ATTEMPTS):
                    raise
            self.wait_function_ready(name)

    def delete_function(self, name: str) -> None:
        self._call("lambda", "delete_function", missing_ok=True, FunctionName=name)

    def wait_function_ready(self, name: str, timeout: float = FUNCTION_READY_SECONDS) -> None:
        """Polls until the function is Active and no update is in progress; raises if it failed."""
        deadline, delay = self.clock() + timeout, 0.5
        while True:
            config = self._call("lambda", "get_function_configuration", FunctionName=name)
            function = _function(config, {})
            if function.state == "Failed" or function.last_update_status == "Failed":
                raise AwsCallError("GetFunctionConfiguration", "FunctionFailed",
                                   function.state_reason or "Lambda reports the function as Failed")
            if not function.busy:
                return
            if self.clock() >= deadline:
                raise AwsCallError("GetFunctionConfiguration", "Timeout",
                                   f"the function was still {function.state}/"
                                   f"{function.last_update_status} after {timeout:.0f} s")
            self.sleep(delay)
            delay = min(delay * 2, 5.0)

    def get_permission_source(self, function: str, statement_id: str) -> str | None:
        """The SourceArn of one statement of the function's resource policy, if it exists."""
        found = self._call("lambda", "get_policy", missing_ok=True, FunctionName=function)
        for statement in json.loads(found["Policy"]).get("Statement", []) if found else []:
            if statement.get("Sid") == statement_id:
                return statement.get("Condition", {}).get("ArnLike", {}).get("AWS:SourceArn", "")
        return None

    def add_permission(self, function: str, statement_id: str, source_arn: str) -> None:
        """AlreadyExists when the statement id does; an update in progress is waited out."""
        self._lambda_write(function, "add_permission", StatementId=statement_id,
                           Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com",
                           SourceArn=source_arn)

    def remove_permission(self, function: str, statement_id: str) -> None:
        self._lambda_write(function, "remove_permission", missing_ok=True, StatementId=statement_id)

    # -- dynamodb ---------------------------------------------------------------------------
    def describe_table(self, name: str) -> Table | None:
        found = self._call("dynamodb", "describe_table", missing_ok=True, TableName=name)
        return _table(found["Table"]) if found else None

    def table_tags(self, arn: str) -> dict[str, str] | None:
        """The table's tags; None when it is gone (deleted meanwhile)."""
        tags, token = {}, None
        while True:
            page = self._call("dynamodb", "list_tags_of_resource", missing_ok=True, ResourceArn=arn,
                              **({"NextToken": token} if token else {}))
            if page is None:
                return None
            tags.update({t["Key"]: t["Value"] for t in page.get("Tags", [])})
            token = page.get("NextToken")
            if not token:
                return tags

    def time_to_live(self, name: str) -> TimeToLive | None:
        found = self._call("dynamodb", "describe_time_to_live", missing_ok=True, TableName=name)
        if found is None:
            return None
        description = found.get("TimeToLiveDescription", {})
        return TimeToLive(description.get("TimeToLiveStatus", "DISABLED"), description.get("AttributeName"))

    def create_table(self, name: str, keys: tuple[tuple[str, str, str], ...], billing_mode: str,
                     tags: Mapping[str, str]) -> Table:
        """Creates the table, tagged; it answers CREATING and takes seconds to become ACTIVE.
        AlreadyExists when a table of this name exists (or is still being deleted)."""
        made = self._call(
            "dynamodb", "create_table", TableName=name, BillingMode=billing_mode,
            KeySchema=[{"AttributeName": a, "KeyType": k} for a, _, k in keys],
            AttributeDefinitions=[{"AttributeName": a, "AttributeType": t} for a, t, _ in keys],
            Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
        return _table(made["TableDescription"])

    def set_billing_mode(self, name: str, billing_mode: str) -> None:
        self._call("dynamodb", "update_table", TableName=name, BillingMode=billing_mode)

    def enable_ttl(self, name: str, attribute: str) -> None:
        """Turns TTL on for `attribute`. AWS refuses to enable it twice (ValidationException),
        which is what a retry after a lost answer does: TTL already on for it counts as done."""
        try:
            self._call("dynamodb", "update_time_to_live", TableName=name,
                       TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute})
        except AwsCallError as error:
            if error.code != "ValidationException":
                raise
            now = self.time_to_live(name)
            if now is None or not now.on_for(attribute):
                raise
            return

    def delete_table(self, name: str) -> None:
        """Deletes the table and every item in it. Gone or being deleted counts as done; a table
        still being created or updated (ResourceInUseException) is waited for, then deleted."""
        try:
            self._call("dynamodb", "delete_table", missing_ok=True, TableName=name)
        except AwsCallError as error:
            if error.code != "ResourceInUseException":
                raise
            try:
                self.wait_table(name)
            except AwsCallError as waiting:
                if waiting.code == "ResourceNotFoundException":
                    return          # gone meanwhile: nothing left to delete
                raise
            self._call("dynamodb", "delete_table", missing_ok=True, TableName=name)

    def wait_table(self, name: str, gone: bool = False, timeout: float = TABLE_READY_SECONDS) -> Table | None:
        """Polls until the table is ACTIVE (and returns it), or with `gone` until it no longer
        exists (a deleted table's name is free again only then)."""
        deadline, delay = self.clock() + timeout, 1.0
        while True:
            table = self.describe_table(name)
            if table is None:
                if gone:
                    return None
                raise AwsCallError("DescribeTable", "ResourceNotFoundException",
                                   f"the table {name} disappeared while wsdeploy waited for it")
            if not gone and table.status == "ACTIVE":
                return table
            if self.clock() >= deadline:
                raise AwsCallError("DescribeTable", "Timeout",
                                   f"the table {name} was still {table.status} after {timeout:.0f} s")
            self.sleep(delay)
            delay = min(delay * 2, 5.0)

    def _retry_role_propagation(self, call: Callable[[], Any]) -> Any:
        """Retries `call` with backoff only while Lambda says the role cannot be assumed yet."""
        deadline, delay = self.clock() + ROLE_PROPAGATION_SECONDS, 1.0
        while True:
            try:
                return call()
            except AwsCallError as error:
                if not (error.code == "InvalidParameterValueException"
                        and ROLE_NOT_ASSUMABLE in error.message.lower()):
                    raise
                if self.clock() + delay > deadline:
                    raise AwsCallError(error.operation, error.code,
                                       f"{error.message} (still refused after "
                                       f"{ROLE_PROPAGATION_SECONDS:.0f} s of retries: check that the "
                                       "role trusts lambda.amazonaws.com)") from None
                self.sleep(delay)
                delay = min(delay * 2, 8.0)


# -- translation of responses -----------------------------------------------------------------
def _json(document: Mapping) -> str:
    return json.dumps(document, separators=(",", ":"), sort_keys=True)


def _decode_policy(document: Any) -> dict:
    if isinstance(document, str):
        from urllib.parse import unquote
        return json.loads(unquote(document))
    return dict(document)


def _role(data: Mapping) -> Role:
    return Role(data["RoleName"], data["Arn"], _decode_policy(data.get("AssumeRolePolicyDocument", {})),
                {t["Key"]: t["Value"] for t in data.get("Tags", [])})


def _api(data: Mapping) -> Api:
    created = data.get("CreatedDate")
    return Api(data["ApiId"], data.get("Name", ""), data.get("RouteSelectionExpression", ""),
               dict(data.get("Tags") or {}),
               created.isoformat() if hasattr(created, "isoformat") else str(created or ""))


def _route(data: Mapping) -> Route:
    return Route(data["RouteId"], data["RouteKey"], data.get("Target", ""),
                 data.get("RouteResponseSelectionExpression") == "$default")


def _table(data: Mapping) -> Table:
    types = {a["AttributeName"]: a["AttributeType"] for a in data.get("AttributeDefinitions", [])}
    keys = sorted(((k["AttributeName"], types.get(k["AttributeName"], ""), k["KeyType"])
                   for k in data.get("KeySchema", [])), key=lambda key: key[2] != "HASH")
    return Table(name=data["TableName"], arn=data["TableArn"], status=data.get("TableStatus", ""),
                 billing_mode=(data.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED"),
                 keys=tuple(keys))


def _function(data: Mapping, tags: Mapping[str, str]) -> Function:
    # the reason that goes with what failed: the last update's, unless creation itself did
    if data.get("LastUpdateStatus") == "Failed" and data.get("State") != "Failed":
        reason = data.get("LastUpdateStatusReason") or data.get("StateReason")
    else:
        reason = data.get("StateReason") or data.get("LastUpdateStatusReason")
    return Function(
        name=data["FunctionName"], arn=data["FunctionArn"], role=data.get("Role", ""),
        handler=data.get("Handler", ""), runtime=data.get("Runtime", ""),
        memory=int(data.get("MemorySize", 0)), timeout=int(data.get("Timeout", 0)),
        architecture=(data.get("Architectures") or ["x86_64"])[0],
        environment=dict((data.get("Environment") or {}).get("Variables") or {}),
        code_sha256=data.get("CodeSha256", ""), state=data.get("State"),
        last_update_status=data.get("LastUpdateStatus"),
        state_reason=reason,
        tags=dict(tags or {}),
    )


def _lambda_settings(settings: Mapping[str, Any], with_arch: bool) -> dict:
    params = {"Role": settings["role"], "Handler": settings["handler"], "Runtime": settings["runtime"],
              "MemorySize": settings["memory"], "Timeout": settings["timeout"],
              "Environment": {"Variables": dict(settings["environment"])}}
    if with_arch:
        params["Architectures"] = [settings["architecture"]]
    return params


def _operation_name(client: Any, operation: str) -> str:
    try:
        return client.meta.method_to_api_mapping[operation]
    except (AttributeError, KeyError):
        return operation
