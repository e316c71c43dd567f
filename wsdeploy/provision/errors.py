"""The errors of AWS calls, apart from the code that makes them, so step handlers and tests can
raise and catch them without importing boto3."""

from __future__ import annotations


class AwsCallError(Exception):
    """An AWS call failed for a reason the user cannot fix by editing input."""

    def __init__(self, operation: str, code: str, message: str) -> None:
        super().__init__(f"{operation}: {code}: {message}")
        self.operation, self.code, self.message = operation, code, message


class AlreadyExists(AwsCallError):
    """A create found its resource there already: made by a run whose answer was lost, by a
    concurrent run, or by someone else. The caller looks it up and adopts it if it is ours."""


ACCESS_DENIED = "AccessDeniedException"   # the credentials may not make this call
