"""The core of the one place that calls boto3 for deploys: clients, error translation,
retries and redaction. The typed calls of each service are in the modules beside it.

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
import re
import time
from typing import Any, Callable, Iterable, Mapping

import boto3
import botocore.exceptions as bx
from botocore.config import Config

from ... import __version__
from ...errors import UserError
from ..errors import AlreadyExists, AwsCallError
from ..live import Identity, arn_partition_account
from ..permissions import NEEDS_NOTHING, declare, require_declared

# The error codes that mean "no such resource", per service (IAM's wire code has no suffix).
NOT_FOUND = frozenset({"NoSuchEntity", "ResourceNotFoundException", "NotFoundException",
                       "NoSuchHostedZone"})
BAD_CREDENTIALS = frozenset({
    "UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException",
    "InvalidSignatureException", "SignatureDoesNotMatch", "AuthFailure", "InvalidAccessKeyId",
})
ACCESS_DENIED = "AccessDeniedException"

# The calls that make something: never re-sent by botocore (see the module's docstring).
CREATE_CALLS = frozenset({
    "create_role", "create_log_group", "create_api", "create_integration", "create_route",
    "create_route_response", "create_stage", "create_function", "create_table", "add_permission",
    "create_domain_name", "create_api_mapping",
    "create_authorizer",
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
# Lambda's refusal of a too large environment quotes all of it after this ("String measured:
# {...}"): cut there. The user's own values are blanked wherever they appear (REDACTED).
MEASURED = "String measured:"
REDACTED = "***"
MIN_REDACTED_LENGTH = 4           # shorter values are no secrets, and would garble messages


def make_session(profile: str | None, region: str | None) -> boto3.Session:
    """A boto3 session for the stage; missing region or credentials are the user's to fix.

    The region: wsdeploy.toml's, else AWS_REGION (which Lambda and most SDKs honour, but not
    every botocore), else AWS_DEFAULT_REGION or the profile's.
    """
    region = region or os.environ.get("AWS_REGION") or None
    try:
        session = boto3.Session(profile_name=profile, region_name=region)
    except bx.ProfileNotFound as error:  # named by --profile / wsdeploy.toml, else AWS_PROFILE
        name = profile or error.kwargs.get("profile")
        source = "" if profile else " (AWS_PROFILE names it)"
        raise UserError(f"AWS profile {name} is not configured{source}: run `aws configure "
                        f"--profile {name}` (or `aws configure sso`), or choose a configured one "
                        "with --profile, profile in wsdeploy.toml or AWS_PROFILE") from None
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


class AwsCore:
    """The calls every service shares; `sleep` and `clock` are injectable so tests never wait."""

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
        self._hidden_pattern: re.Pattern[str] | None = None

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
        return self._hidden_pattern.sub(REDACTED, message) if self._hidden_pattern else message

    @staticmethod
    def _spellings(values: Iterable[str]) -> re.Pattern[str]:
        """One pattern for every way an error message may spell any of `values`: as they are,
        JSON-escaped (with or without ensure_ascii, `/` as `\\/`, escaped again when a JSON
        document is quoted inside another), and as Python's repr() or ascii() show them (`\\xe9`,
        `\\u200b`, `\\U0001f600`, `\\n`, `\\'`) or the repr of their UTF-8 bytes. Each character
        may take any of its forms, so a message that escapes only some of them is caught too.
        Longer values come first, so a value holding a shorter one is blanked whole."""

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
        require_declared(service, operation)   # what IAM it needs: wsdeploy policy grants it
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
        return arn_partition_account(self.caller_arn())

    def caller_arn(self) -> str:
        """Who the credentials are: arn:aws:sts::ACCOUNT:assumed-role/... (its account is the ARN's)."""
        return self._call("sts", "get_caller_identity")["Arn"]


# AWS never refuses anyone sts:GetCallerIdentity.
declare("sts", {"get_caller_identity": NEEDS_NOTHING})


def _json(document: Mapping) -> str:
    return json.dumps(document, separators=(",", ":"), sort_keys=True)


def _decode_policy(document: Any) -> dict:
    if isinstance(document, str):
        from urllib.parse import unquote
        return json.loads(unquote(document))
    return dict(document)


def _operation_name(client: Any, operation: str) -> str:
    try:
        return client.meta.method_to_api_mapping[operation]
    except (AttributeError, KeyError):
        return operation

