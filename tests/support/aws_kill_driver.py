"""Runs the `wsdeploy` CLI and SIGKILLs itself at a chosen point, as a crash or `kill -9` would.

    python -m tests.support.aws_kill_driver call N  up ...   # right after AWS answered call N
    python -m tests.support.aws_kill_driver save N  up ...   # in the N-th state write, after the
                                                             # temporary file, before the rename
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import wsdeploy.provision.aws as aws_package
from wsdeploy.cli import main


def _die() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def _arm(where: str, at: int) -> None:
    count = [0]

    def tick() -> None:
        count[0] += 1
        if count[0] == at:
            _die()

    if where == "call":
        real_make_session = aws_package.make_session

        def make_session(profile, region):
            session = real_make_session(profile, region)
            session.events.register("after-call.*.*", lambda **_: tick())
            return session

        aws_package.make_session = make_session
    elif where == "save":
        real_replace = os.replace

        def replace(source, target, *args, **kwargs):
            if str(target).endswith(".json") and "cache" not in Path(target).parts:
                tick()           # the state file's saves (not the routes cached beside it)
            return real_replace(source, target, *args, **kwargs)

        os.replace = replace
    else:
        raise SystemExit(f"unknown kill point {where!r}")


if __name__ == "__main__":
    _arm(sys.argv[1], int(sys.argv[2]))
    sys.exit(main(sys.argv[3:]))
