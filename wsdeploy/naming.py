"""The AWS names of a stage's resources, derived in one place from the app and stage names.

Config validation (their length), the provisioner, the emulator (the function name its
context reports) and the docs all use these.
"""

from __future__ import annotations

MAX_RESOURCE_NAME = 64   # Lambda function and IAM role names


def resource_name(app: str, stage: str) -> str:
    """The role, the function and the WebSocket API: "chat-dev-ws"."""
    return f"{app}-{stage}-ws"


def log_group(resource: str) -> str:
    """The function's log group, which Lambda writes to."""
    return f"/aws/lambda/{resource}"


def connections_table(resource: str) -> str:
    """Connection tracking's DynamoDB table: "chat-dev-ws-connections"."""
    return f"{resource}-connections"


def http_api_name(app: str, stage: str) -> str:
    """The HTTP API of `http_app`, beside the WebSocket API: "chat-dev-http"."""
    return f"{app}-{stage}-http"
