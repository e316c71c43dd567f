"""Lambda: the function, its code and settings, and its resource policy."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Callable, Mapping

from ..errors import AlreadyExists, AwsCallError
from ..live import Function
from ..permissions import FUNCTION, PASS_ROLE, Need, declare
from .core import AwsCore

# What each call needs from IAM (permissions.py). GetFunction shows the tags (which say the
# function is this stage's) only with lambda:ListTags; tags on create need lambda:TagResource;
# naming the role needs iam:PassRole, to Lambda only.
declare("lambda", {
    "get_function": Need(FUNCTION, "lambda:GetFunction", "lambda:ListTags"),
    "create_function": (Need(FUNCTION, "lambda:CreateFunction", "lambda:TagResource"),
                        Need(PASS_ROLE, "iam:PassRole")),
    "update_function_code": Need(FUNCTION, "lambda:UpdateFunctionCode"),
    "update_function_configuration": (Need(FUNCTION, "lambda:UpdateFunctionConfiguration"),
                                      Need(PASS_ROLE, "iam:PassRole")),
    "delete_function": Need(FUNCTION, "lambda:DeleteFunction"),
    "get_function_configuration": Need(FUNCTION, "lambda:GetFunctionConfiguration"),
    "get_policy": Need(FUNCTION, "lambda:GetPolicy"),
    "add_permission": Need(FUNCTION, "lambda:AddPermission"),
    "remove_permission": Need(FUNCTION, "lambda:RemovePermission"),
    # reserved_concurrency (issue 10); GetFunction's answer shows it, so it needs no read
    "put_function_concurrency": Need(FUNCTION, "lambda:PutFunctionConcurrency"),
    "delete_function_concurrency": Need(FUNCTION, "lambda:DeleteFunctionConcurrency"),
})

ROLE_NOT_ASSUMABLE = "cannot be assumed by lambda"
ROLE_PROPAGATION_SECONDS = 60.0   # IAM usually propagates a new role within ~10 s
FUNCTION_READY_SECONDS = 300.0
UPDATE_IN_PROGRESS_ATTEMPTS = 4   # Lambda: ResourceConflictException "An update is in progress"


class LambdaCalls(AwsCore):
    def get_function(self, name: str) -> Function | None:
        found = self._call("lambda", "get_function", missing_ok=True, FunctionName=name)
        if not found:
            return None
        reserved = (found.get("Concurrency") or {}).get("ReservedConcurrentExecutions")
        return replace(_function(found["Configuration"], found.get("Tags", {})), reserved_concurrency=reserved)

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
        vpc=(tuple(sorted((data.get("VpcConfig") or {}).get("SubnetIds") or ())),
             tuple(sorted((data.get("VpcConfig") or {}).get("SecurityGroupIds") or ()))),
    )


def _lambda_settings(settings: Mapping[str, Any], with_arch: bool) -> dict:
    params = {"Role": settings["role"], "Handler": settings["handler"], "Runtime": settings["runtime"],
              "MemorySize": settings["memory"], "Timeout": settings["timeout"],
              "Environment": {"Variables": dict(settings["environment"])}}
    if with_arch:
        params["Architectures"] = [settings["architecture"]]
    vpc = settings.get("vpc") or ((), ())
    if vpc != ((), ()) or not with_arch:   # on update, an empty one takes the function out
        params["VpcConfig"] = {"SubnetIds": list(vpc[0]), "SecurityGroupIds": list(vpc[1])}
    return params


class ConcurrencyCalls(AwsCore):
    """reserved_concurrency: set, or removed (the function's share of the account's pool)."""

    def put_function_concurrency(self, name: str, reserved: int) -> None:
        self._call("lambda", "put_function_concurrency", FunctionName=name,
                   ReservedConcurrentExecutions=reserved)

    def delete_function_concurrency(self, name: str) -> None:
        self._call("lambda", "delete_function_concurrency", missing_ok=True, FunctionName=name)
