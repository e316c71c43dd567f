"""A moto server on 127.0.0.1 in its own process, for tests that run the `wsdeploy` command
as a user would: the command finds it through AWS_ENDPOINT_URL, and CI needs nothing else."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
import pytest

from tests.support.aws_fixtures import REGION

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MotoServer:
    """`module`: moto's server, or tests.support.aws_strict_server (AWS's answers where moto is
    lenient, and IAM checked as AWS does once authentication is turned on)."""

    def __init__(self, module: str = "moto.server") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "PYTHONPATH": str(REPO)} if module.startswith("tests.") else None
        self.process = subprocess.Popen(
            [sys.executable, "-m", module, "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + 30
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"moto server did not start on {self.url}")
            time.sleep(0.1)

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/moto-api/", timeout=1):
                return True
        except OSError:
            return False

    def reset(self) -> None:
        """Forgets every resource, so each test starts from an empty account."""
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        urllib.request.urlopen(request, timeout=10).close()

    def env(self, with_tests: bool = False) -> dict[str, str]:
        """The environment of a user whose AWS is this server, and nothing else: the installed
        `wsdeploy` finds its own package. `with_tests` puts the repository on PYTHONPATH, for
        a driver run from the tests (tests.support.aws_kill_driver) and nothing else."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("AWS_") and k not in ("PYTHONPATH",)}
        env.update({"AWS_ENDPOINT_URL": self.url, "AWS_ACCESS_KEY_ID": "testing",
                    "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": REGION,
                    "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                    "AWS_EC2_METADATA_DISABLED": "true", "COLUMNS": "200"})
        if with_tests:
            env["PYTHONPATH"] = str(REPO)
        return env

    def session(self, key: str = "testing", secret: str = "testing") -> boto3.Session:
        return _ServerSession(self.url, key, secret)

    def authenticate(self, after: int = 0) -> None:
        """Checks IAM on every request after the next `after` (moto's INITIAL_NO_AUTH_ACTION_COUNT):
        only the credentials of IAM users and roles made in the server are accepted then."""
        request = urllib.request.Request(f"{self.url}/moto-api/reset-auth", data=str(after).encode(),
                                         method="POST", headers={"Content-Type": "text/plain"})
        urllib.request.urlopen(request, timeout=10).close()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class _ServerSession(boto3.Session):
    """A boto3 session whose clients all talk to the server."""

    def __init__(self, url: str, key: str = "testing", secret: str = "testing") -> None:
        super().__init__(aws_access_key_id=key, aws_secret_access_key=secret, region_name=REGION)
        self._url = url

    def client(self, *args, **kwargs):
        return super().client(*args, endpoint_url=self._url, **kwargs)


@pytest.fixture(scope="module")
def moto_server():
    server = MotoServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def aws_server(moto_server):
    """The module's moto server, emptied for this test."""
    moto_server.reset()
    return moto_server


@pytest.fixture(scope="module")
def strict_moto_server():
    server = MotoServer("tests.support.aws_strict_server")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def strict_server(strict_moto_server):
    """The module's strict moto server (aws_strict_server), emptied for this test."""
    strict_moto_server.reset()
    return strict_moto_server
