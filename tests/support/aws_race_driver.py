"""Runs the `wsdeploy` CLI, holding its CreateApi until N runs have reached theirs, so that
several runs on one stage create their APIs at the same moment, as two CI jobs started
together would:

    python -m tests.support.aws_race_driver BARRIER_DIR N  up ...

Each run writes BARRIER_DIR/<pid> just before its CreateApi, then waits (at most a minute)
until N such files exist.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import wsdeploy.provision.aws as aws_package
from wsdeploy.cli import main

WAIT_SECONDS = 60.0


def _arm(barrier: Path, runs: int) -> None:
    def wait_for_the_others(**_: object) -> None:
        (barrier / str(os.getpid())).touch()
        deadline = time.monotonic() + WAIT_SECONDS
        while len(list(barrier.iterdir())) < runs and time.monotonic() < deadline:
            time.sleep(0.02)

    real_make_session = aws_package.make_session

    def make_session(profile, region):
        session = real_make_session(profile, region)
        session.events.register("before-call.apigatewayv2.CreateApi", wait_for_the_others)
        return session

    aws_package.make_session = make_session


if __name__ == "__main__":
    _arm(Path(sys.argv[1]), int(sys.argv[2]))
    sys.exit(main(sys.argv[3:]))
