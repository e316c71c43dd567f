"""`wsdeploy up`, `down`, `status` and `logs` in-process against moto: what users see on
success, on a held lock, on AWS failures (exit 1, no traceback) and on refusals (exit 2)."""

from __future__ import annotations

import io
import json
import os

import pytest

from tests.support.aws_faults import Faults
from tests.support.aws_fixtures import CallLog, is_read, moto_session
from tests.support.aws_inventory import EMPTY, expected_inventory, inventory
from tests.support.package_project import MINIMAL_APP, MINIMAL_TOML, write_project
import wsdeploy.provision.aws as aws_package
from wsdeploy.cli import main
from wsdeploy.errors import DeployError

__all__ = ["moto_session"]   # the fixture, imported for pytest
ROUTES = ["$connect", "$default", "$disconnect"]


@pytest.fixture
def project(tmp_path, monkeypatch, moto_session):
    write_project(tmp_path, files={"app.py": MINIMAL_APP})
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    return tmp_path


@pytest.fixture
def hooks(monkeypatch):
    """Attach call logs or faults to every session the CLI makes."""
    attached = []
    real = aws_package.make_session

    def make_session(profile, region):
        session = real(profile, region)
        for hook in attached:
            hook.attach(session)
        return session

    monkeypatch.setattr(aws_package, "make_session", make_session)
    return attached


def cli(capsys, *args) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_up_shows_the_plan_and_each_step_then_prints_the_url(project, moto_session, capsys):
    code, out, err = cli(capsys, "up")
    assert code == 0, err
    assert out.startswith("wss://") and out.strip().endswith(".amazonaws.com/dev")
    assert "+ create role chat-dev-ws" in err and "Plan: 11 to create; 0 unchanged" in err
    assert "✓ [11/11] create stage dev" in err
    assert inventory(moto_session) == expected_inventory(ROUTES)
    code, again, err = cli(capsys, "up")
    assert code == 0 and again == out and "Up to date" in err


def test_dry_run_prints_the_plan_and_changes_nothing(project, moto_session, capsys, hooks):
    log = CallLog()
    hooks.append(log)
    code, out, err = cli(capsys, "up", "--dry-run")
    assert code == 0, err
    assert "create api chat-dev-ws" in err and "Dry run: nothing was changed." in err
    assert out == "" and log.writes == [] and log.reads
    assert not (project / ".wsdeploy" / "dev.json").exists()


def test_a_held_lock_stops_a_second_run_naming_its_holder(project, moto_session, capsys):
    lock = project / ".wsdeploy" / "dev.lock"
    lock.parent.mkdir()
    lock.write_text(json.dumps({"pid": os.getppid(), "host": os.uname().nodename,
                                "command": "down", "started": "2026-01-01T00:00:00+00:00"}))
    code, out, err = cli(capsys, "up")
    assert code == 2
    assert f"process {os.getppid()}" in err and "`wsdeploy down`" in err and "Traceback" not in err
    assert inventory(moto_session) == EMPTY
    assert lock.exists()


def test_an_aws_failure_says_what_failed_what_is_recorded_and_how_to_go_on(project, moto_session,
                                                                          capsys, hooks):
    faults = Faults()
    hooks.append(faults)
    faults.arm(14)             # the first CreateRoute of a fresh up
    code, out, err = cli(capsys, "up")
    assert code == 1
    assert "step 8 of 11 failed: create route $connect" in err
    assert "AWS said: InternalFailure: injected failure of CreateRoute" in err
    assert "records: role chat-dev-ws; role policy wsdeploy; log group /aws/lambda/chat-dev-ws" in err
    assert "`wsdeploy up` resumes" in err and "`wsdeploy down` removes" in err
    assert "Traceback" not in err and out == ""
    assert not (project / ".wsdeploy" / "dev.lock").exists()
    faults.arm(None)
    code, out, err = cli(capsys, "up")
    assert code == 0, err
    assert "Plan: 4 to create; 7 unchanged" in err
    assert inventory(moto_session) == expected_inventory(ROUTES)


def test_lambdas_measured_environment_never_reaches_the_terminal(project, moto_session, capsys, hooks):
    """Lambda quotes every variable after "String measured:": the failure shows none of it."""
    secret = "pr0d-db-password-xyz"
    (project / "wsdeploy.toml").write_text(MINIMAL_TOML.replace(
        "[stages.dev]", f'[app.environment]\nDB_PASSWORD = "{secret}"\n\n[stages.dev]'))

    class TooBig:
        def attach(self, session):
            from tests.support.aws_strict import _error
            session.events.register_first("before-call.lambda.CreateFunction", lambda model, **_: _error(
                model.name, "InvalidParameterValueException",
                "Lambda was unable to configure your environment variables because the environment "
                'variables you have provided exceeded the 4KB limit. String measured: {"DB_PASSWORD":"'
                f'{secret}","WSDEPLOY_HANDLER_MODULE":"app"}}'))

    hooks.append(TooBig())
    code, out, err = cli(capsys, "up")
    assert code == 1 and "step 5 of 11 failed: create function chat-dev-ws" in err
    assert "String measured: (not shown" in " ".join(err.split())      # the console wraps
    assert secret not in err and secret not in out
    assert secret not in (project / ".wsdeploy" / "dev.json").read_text()


def test_debug_lets_the_traceback_through(project, moto_session, capsys, hooks):
    faults = Faults()
    hooks.append(faults)
    faults.arm(5)
    with pytest.raises(DeployError, match="create role"):
        main(["--debug", "up"])


def test_credentials_of_another_account_exit_2_before_any_write(project, moto_session, capsys, hooks):
    assert cli(capsys, "up")[0] == 0
    state = project / ".wsdeploy" / "dev.json"
    state.write_text(state.read_text().replace('"123456789012"', '"999999999999"'))
    log = CallLog()
    hooks.append(log)
    code, out, err = cli(capsys, "up")
    assert code == 2 and "records account 999999999999" in err
    assert log.writes == []


def test_status_shows_each_resource_and_drift_made_by_hand(project, moto_session, capsys):
    assert cli(capsys, "up")[0] == 0
    moto_session.client("lambda").update_function_configuration(FunctionName="chat-dev-ws", Timeout=3)
    code, out, err = cli(capsys, "status")
    assert code == 0, err
    assert "Local code   same as deployed" in out
    function_line = next(line for line in out.splitlines() if line.startswith("function"))
    assert function_line.split()[-2:] == ["drifted", "timeout"]
    assert "1 resource(s) differ" in err and "--refresh" in err
    code, out, err = cli(capsys, "status", "--json")
    assert json.loads(out)["drift"] == [{"type": "function", "id": "chat-dev-ws",
                                         "status": "drifted", "fields": ["timeout"]}]
    assert cli(capsys, "up", "--refresh")[0] == 0
    assert json.loads(cli(capsys, "status", "--json")[1])["drift"] == []


def test_down_asks_on_a_terminal_and_does_nothing_on_no(project, moto_session, capsys, monkeypatch):
    assert cli(capsys, "up")[0] == 0
    monkeypatch.setattr("sys.stdin", Terminal("n\n"))
    code, out, err = cli(capsys, "down")
    assert code == 1 and "Nothing was deleted" in err
    assert inventory(moto_session)["apis"] == 1
    monkeypatch.setattr("sys.stdin", Terminal("y\n"))
    code, out, err = cli(capsys, "down")
    assert code == 0, err
    assert inventory(moto_session) == EMPTY


class Terminal(io.StringIO):
    """Standard input that is a terminal, with the user's answers in it."""

    def isatty(self) -> bool:
        return True


def test_up_deletes_a_table_only_when_confirmed(project, moto_session, capsys, hooks, monkeypatch):
    """Turning tracking off loses data: no terminal and no --yes stops before any write (exit
    2, naming the table); on a terminal, "no" changes nothing; "yes" deletes it."""
    (project / "wsdeploy.toml").write_text(TRACKED_TOML)
    assert cli(capsys, "up")[0] == 0
    (project / "wsdeploy.toml").write_text(TRACKED_TOML.replace("enabled = true", "enabled = false"))
    log = CallLog()
    hooks.append(log)
    code, out, err = cli(capsys, "up")
    assert code == 2 and log.writes == [] and out == ""
    assert "refusing to delete what this plan deletes without confirmation" in err
    assert "It would delete: table chat-dev-ws-connections (every connection and room membership" in err
    assert inventory(moto_session)["tables"] == 1
    monkeypatch.setattr("sys.stdin", Terminal("n\n"))
    code, out, err = cli(capsys, "up")
    assert code == 1 and "Nothing was changed" in err and log.writes == []
    monkeypatch.setattr("sys.stdin", Terminal("y\n"))
    code, out, err = cli(capsys, "up")
    assert code == 0, err
    assert inventory(moto_session) == expected_inventory(ROUTES)


class CtrlCAt:
    """The user presses Ctrl-C as the answer to the n-th write arrives."""

    def __init__(self, n: int) -> None:
        self.n, self.writes = n, 0

    def attach(self, session) -> None:
        session.events.register("after-call.*.*", self._after)

    def _after(self, model, **_) -> None:
        if not is_read(model.name):
            self.writes += 1
            if self.writes == self.n:
                raise KeyboardInterrupt


def test_ctrl_c_during_up_says_what_was_done_and_status_what_is_missing(project, moto_session,
                                                                        capsys, hooks):
    hooks.append(CtrlCAt(6))      # role, log group (2 writes), API, role policy; then the function
    code, out, err = cli(capsys, "up")
    assert code == 130 and out == ""
    assert ("Interrupted: 4 of 11 steps done and recorded in .wsdeploy/dev.json; it was interrupted "
            "during step 5 (create function chat-dev-ws), which may or may not have been made. "
            "Run `wsdeploy up` again to finish") in err
    hooks.clear()
    code, out, err = cli(capsys, "status")
    assert code == 0, err
    assert "URL          none yet: partly deployed" in out and "None" not in out
    assert ("Partly deployed: an `up` was interrupted or failed before it finished; missing: "
            "permission chat-dev-ws, integration AWS_PROXY, route $connect, route $default, "
            "route $disconnect, stage dev") in err
    report = json.loads(cli(capsys, "status", "--json")[1])
    assert report["partly_deployed"] is True and "stage dev" in report["missing"]
    assert cli(capsys, "up")[0] == 0
    assert inventory(moto_session) == expected_inventory(ROUTES)
    report = json.loads(cli(capsys, "status", "--json")[1])
    assert report["partly_deployed"] is False and report["missing"] == []


def test_logs_rejects_a_duration_it_cannot_read(project, capsys):
    code, out, err = cli(capsys, "logs", "--since", "ten minutes")
    assert code == 2 and "is neither a duration nor a time" in err


TRACKED_TOML = MINIMAL_TOML.replace("[stages.dev]", "[app.connections]\nenabled = true\n\n[stages.dev]")


def test_connection_tracking_from_dry_run_to_status_to_off_to_down(project, moto_session, capsys, hooks):
    (project / "wsdeploy.toml").write_text(TRACKED_TOML)
    log = CallLog()
    hooks.append(log)
    code, out, err = cli(capsys, "up", "--dry-run")
    assert code == 0, err
    assert "+ create table chat-dev-ws-connections (on-demand, keys pk, sk)" in err
    assert "~ update table ttl chat-dev-ws-connections (on, attribute ttl)" in err
    assert "Plan: 12 to create, 1 to update; 0 unchanged" in err and log.writes == []
    code, out, err = cli(capsys, "up")
    assert code == 0, err
    assert out.startswith("wss://") and "✓ [7/13] create function chat-dev-ws" in err
    assert inventory(moto_session) == expected_inventory(ROUTES, tables=1)

    code, out, err = cli(capsys, "status")
    table_line = next(line for line in out.splitlines() if line.startswith("table"))
    assert table_line.split() == ["table", "chat-dev-ws-connections", "ok"]
    moto_session.client("dynamodb").update_time_to_live(
        TableName="chat-dev-ws-connections", TimeToLiveSpecification={"Enabled": False, "AttributeName": "ttl"})
    code, out, err = cli(capsys, "status", "--json")
    assert json.loads(out)["drift"] == [{"type": "table", "id": "chat-dev-ws-connections",
                                         "status": "drifted", "fields": ["ttl"]}]

    (project / "wsdeploy.toml").write_text(TRACKED_TOML.replace("enabled = true", "enabled = false"))
    code, out, err = cli(capsys, "up", "--yes")
    assert code == 0, err
    assert "- delete table chat-dev-ws-connections: connection tracking is off; this deletes every item in it" in err
    assert "warning: connection tracking is off in wsdeploy.toml, so the DynamoDB table" in err
    assert inventory(moto_session) == expected_inventory(ROUTES)

    (project / "wsdeploy.toml").write_text(TRACKED_TOML)
    assert cli(capsys, "up")[0] == 0
    code, out, err = cli(capsys, "down", "--yes")
    assert code == 0, err
    assert "- delete table chat-dev-ws-connections: with every item in it" in err
    assert inventory(moto_session) == EMPTY
