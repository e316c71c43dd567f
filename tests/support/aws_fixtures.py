"""The provisioner's test world: moto sessions in a fake AWS environment, state stores, the
desired resources tests deploy (`desired()`), a clock that costs no time, and a log of the
AWS calls a session makes.

The strict layer (aws_strict), injected faults (aws_faults) and inventory checks
(aws_inventory) hook into the sessions made here.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from dataclasses import dataclass, field, replace
from typing import Any

import boto3
import botocore.loaders
import botocore.session
import pytest

from wsdeploy.provision.aws import Aws
from wsdeploy.provision.desired import Desired, DesiredRoute

REGION = "eu-west-1"
ACCOUNT = "123456789012"   # moto's default account
READ_PREFIXES = ("Get", "List", "Describe", "Filter")

# botocore's service models, parsed once for every session a test makes (see new_session)
_SERVICE_MODELS = botocore.loaders.create_loader()


def fake_aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials that only moto accepts, the test region, and nothing from the user's setup."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL",
                 "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/wsdeploy-tests")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/wsdeploy-tests")


def new_session() -> boto3.Session:
    """A boto3 session in the test region, with its own event hooks, that reads botocore's
    service models from one loader shared by every session of the test run. A fresh loader
    parses each service's large JSON model again, which was most of the cost of a fault
    test's run (a new session and its clients for each run)."""
    core = botocore.session.get_session()
    session = boto3.Session(region_name=REGION, botocore_session=core)
    # after boto3 set up the session's own loader: clients look the loader up when made
    core.register_component("data_loader", _SERVICE_MODELS)
    return session


@pytest.fixture
def moto_session(monkeypatch):
    """A boto3 session inside moto's in-process mock, fresh for each test."""
    from moto import mock_aws

    fake_aws_environment(monkeypatch)
    with mock_aws():
        yield new_session()


@pytest.fixture
def life(moto_session):
    """The strict layer on the test's moto session; tests may make a table slower to create."""
    from tests.support.aws_strict import make_strict   # which needs this module's REGION
    return make_strict(moto_session)


@pytest.fixture
def session(moto_session, life):
    """The test's moto session, made strict."""
    return moto_session


@pytest.fixture
def calls(session):
    return CallLog().attach(session)


@pytest.fixture
def aws(session):
    return make_aws(session)


@pytest.fixture
def store(tmp_path):
    from wsdeploy.state import StateFile
    return StateFile(tmp_path / ".wsdeploy", "dev")


STRICT_FIXTURES = ["moto_session", "life", "session", "calls", "aws", "store"]


def down(aws: Aws, d: Any, store: Any) -> None:
    """`down` in one go: prepare, then apply."""
    from wsdeploy.provision.teardown import apply_down, prepare_down
    apply_down(aws, d, store, prepare_down(aws, d, store))


class FakeClock:
    """A clock that advances only when `sleep` is called: waits cost no real time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def make_aws(session: boto3.Session, clock: FakeClock | None = None) -> Aws:
    clock = clock or FakeClock()
    return Aws(session, sleep=clock.sleep, clock=clock)


def zip_of(source: str) -> tuple[bytes, str]:
    """A deterministic zip and its base64 SHA-256 (Lambda's CodeSha256)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("app.py", (2020, 1, 1, 0, 0, 0)), source)
    data = buffer.getvalue()
    return data, base64.b64encode(hashlib.sha256(data).digest()).decode()


def desired(source: str = "x = 1\n", routes: tuple[tuple[str, bool], ...] = (), **changes: Any) -> Desired:
    """The desired resources of app `chat`, stage `dev`, as tests want them."""
    code, sha = zip_of(source)
    keys = {"$connect": False, "$disconnect": False, "$default": False, **dict(routes)}
    base = Desired(app="chat", stage="dev", region=REGION, name="chat-dev-ws", retention_days=14,
                   route_selection="$request.body.action",
                   routes=tuple(DesiredRoute(k, v) for k, v in sorted(keys.items())),
                   runtime="python3.13", architecture="arm64", memory=256, timeout=29,
                   handler_module="app", user_environment=(("LOG_LEVEL", "info"),),
                   code_sha256=sha, code=code)
    return replace(base, **changes)


# -- watching calls ------------------------------------------------------------------------------
def is_read(operation: str) -> bool:
    return operation.startswith(READ_PREFIXES)


@dataclass
class CallLog:
    """Every AWS call made through a session, in order, as (service, operation)."""

    calls: list[tuple[str, str]] = field(default_factory=list)

    def attach(self, session: boto3.Session) -> "CallLog":
        # first: a handler that answers instead of moto (the strict layer) ends the event
        session.events.register_first("before-call.*.*", self._seen)
        return self

    def _seen(self, model: Any, **_: Any) -> None:
        self.calls.append((model.service_model.service_name, model.name))

    def clear(self) -> None:
        self.calls.clear()

    @property
    def operations(self) -> list[str]:
        return [op for _, op in self.calls]

    @property
    def writes(self) -> list[str]:
        return [op for op in self.operations if not is_read(op)]

    @property
    def reads(self) -> list[str]:
        return [op for op in self.operations if is_read(op)]
