"""`wsdeploy up` killed with SIGKILL at several points (right after AWS did a call's work, and
in the middle of a state write), then run again: it takes over the dead run's lock, adopts
what the dead run created but never recorded, and converges to exactly one of each resource."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from tests.support.aws_inventory import EMPTY, expected_inventory, inventory, record_matches_aws
from tests.support.aws_server import REPO, aws_server, moto_server
from tests.support.package_project import MINIMAL_APP, write_project

__all__ = ["aws_server", "moto_server"]   # fixtures, imported for pytest
ROUTES = ["$connect", "$default", "$disconnect"]


def wsdeploy(server, cwd, *args, kill: tuple[str, int] | None = None) -> subprocess.CompletedProcess:
    prefix = ["-m", "tests.support.aws_kill_driver", kill[0], str(kill[1])] if kill else \
        ["-c", "import sys; from wsdeploy.cli import main; sys.exit(main())"]
    return subprocess.run([sys.executable, *prefix, *args], cwd=cwd, env=server.env(with_tests=bool(kill)),
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)


# Fresh up's calls: 1-4 look-ups, 5 CreateRole, 6 CreateLogGroup, 7 PutRetentionPolicy,
# 8 CreateApi, 9 GetApis (its look for a twin), 10 PutRolePolicy, 11 CreateFunction,
# 12 AddPermission, 13 CreateIntegration, 14-16 CreateRoute, 17 CreateStage. State writes
# follow each step.
KILL_POINTS = [("call", 6), ("call", 8), ("call", 11), ("call", 14), ("save", 1), ("save", 9)]


@pytest.mark.parametrize("where,at", KILL_POINTS, ids=[f"{w}-{n}" for w, n in KILL_POINTS])
def test_up_killed_then_run_again_converges(aws_server, tmp_path, where, at):
    write_project(tmp_path, files={"app.py": MINIMAL_APP})
    killed = wsdeploy(aws_server, tmp_path, "up", kill=(where, at))
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert (tmp_path / ".wsdeploy" / "dev.lock").exists()       # the dead run's lock is left

    again = wsdeploy(aws_server, tmp_path, "up")
    assert again.returncode == 0, again.stderr
    assert "took over the lock" in again.stderr
    assert again.stdout.strip().startswith("wss://")
    session = aws_server.session()
    assert inventory(session, responses=False) == expected_inventory(ROUTES)
    record = json.loads((tmp_path / ".wsdeploy" / "dev.json").read_text())
    assert record_matches_aws(session, record, responses=False) == []
    assert sorted(p.name for p in (tmp_path / ".wsdeploy").iterdir() if p.name != "cache") == ["dev.json"]

    gone = wsdeploy(aws_server, tmp_path, "down", "--yes")
    assert gone.returncode == 0, gone.stderr
    assert inventory(session, responses=False) == EMPTY


def test_the_kill_points_are_real_calls_of_a_fresh_up(aws_server, tmp_path):
    """Keeps KILL_POINTS honest: the driver's count of calls matches the comment above."""
    write_project(tmp_path, files={"app.py": MINIMAL_APP})
    probe = [sys.executable, "-c", (
        "import sys\nimport wsdeploy.provision.aws as aws\nfrom wsdeploy.cli import main\nreal = aws.make_session\n"
        "def make(p, r):\n    s = real(p, r)\n"
        "    s.events.register('after-call.*.*', lambda model, **_: print('CALL', model.name, file=sys.stderr))\n"
        "    return s\naws.make_session = make\nsys.exit(main(['up']))\n")]
    done = subprocess.run(probe, cwd=tmp_path, env=aws_server.env(), capture_output=True, text=True,
                          timeout=300)      # the installed package: no PYTHONPATH needed
    assert done.returncode == 0, done.stderr
    calls = [line.split()[1] for line in done.stderr.splitlines() if line.startswith("CALL ")]
    assert calls[5 - 1] == "CreateRole" and calls[6 - 1] == "CreateLogGroup"
    assert calls[8 - 1] == "CreateApi" and calls[9 - 1] == "GetApis"
    assert calls[11 - 1] == "CreateFunction"
    assert calls[14 - 1] == "CreateRoute" and calls[-1] == "CreateStage"
    assert "PYTHONPATH" not in aws_server.env()
    assert aws_server.env(with_tests=True)["PYTHONPATH"] == str(REPO)    # the kill driver's
