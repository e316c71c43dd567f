"""The process environment a handler sees, as in the deployed function.

The stage's variables from wsdeploy.toml, the handler module, the management endpoint pointing
at the local API (for the runtime and for boto3 clients created without an endpoint), the
runtime's sends handed to the gateway in-process, the in-memory connections store, a region,
and dummy credentials when there are none (so boto3 and the runtime can sign; the emulator does
not check signatures). Everything set is put back on `restore()`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ..runtime.connections import install_store
from ..runtime.env import function_environment
from ..runtime.management import install_gateway
from .memory_store import MemoryStore

if TYPE_CHECKING:
    from .settings import DevSettings

_CREDENTIAL_SOURCES = ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                       "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_WEB_IDENTITY_TOKEN_FILE")


def has_credentials() -> bool:
    """A quick look for any credential source, without botocore's slow instance-metadata probe."""
    if any(os.environ.get(name) for name in _CREDENTIAL_SOURCES):
        return True
    files = (os.environ.get("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"),
             os.environ.get("AWS_CONFIG_FILE", "~/.aws/config"))
    return any(Path(name).expanduser().is_file() for name in files)


class Environment:
    def __init__(self) -> None:
        self._saved: dict[str, str | None] = {}
        self._endpoint: str | None = None

    def _set(self, name: str, value: str) -> None:
        self._saved.setdefault(name, os.environ.get(name))
        os.environ[name] = value

    def apply(self, settings: DevSettings, endpoint: str,
              gateway: Callable[[str, str, bytes], tuple[int, str, bytes]] | None = None) -> None:
        """`gateway(method, connection_id, body)` answers the runtime's calls to `endpoint`."""
        variables = function_environment(dict(settings.environment), settings.handler_module, endpoint,
                                         http_app=settings.http_app)
        for name, value in variables.items():
            self._set(name, str(value))
        if gateway is not None:
            install_gateway(endpoint, gateway)
            self._endpoint = endpoint
        if settings.connections:  # docs/CONTRACTS.md, issue 6: connections in memory
            install_store(MemoryStore())
        self._set("AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI", endpoint)
        for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
            if not os.environ.get(name):
                self._set(name, settings.function.region)
        if not has_credentials():
            self._set("AWS_ACCESS_KEY_ID", "wsdeploy-dev")
            self._set("AWS_SECRET_ACCESS_KEY", "wsdeploy-dev")

    def restore(self) -> None:
        install_store(None)
        if self._endpoint is not None:
            install_gateway(self._endpoint, None)
            self._endpoint = None
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved.clear()
