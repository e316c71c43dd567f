"""The conventions of the command line, checked on the installed `wsdeploy` as a user runs it:
help (-h, examples, no `<bool>`), --debug after the command, aliases, shell completion,
wsdeploy.toml found in a folder above, --profile/--region, and what a terminal shows (no word
cut in two, a plan summed up when taller than the screen, the URL labelled, local times)."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.support.aws_server import aws_server, moto_server
from tests.support.cli_user import installed_wsdeploy, run_in_terminal, run_wsdeploy, user_env
from tests.support.package_project import MINIMAL_APP, MINIMAL_TOML, write_project

__all__ = ["aws_server", "moto_server"]   # fixtures, imported for pytest

REPO = Path(__file__).resolve().parents[2]
CHAT = REPO / "examples" / "chat"
COMMANDS = ("dev", "down", "init", "logs", "package", "policy", "state", "status", "unlock", "up")
AWS_COMMANDS = ("down", "logs", "policy", "status", "unlock", "up")


# -- help --------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", ("",) + COMMANDS)
def test_help_is_h_or_help_with_examples_and_flags_without_types(tmp_path, command):
    args = [command] if command else []
    short, long = run_wsdeploy(*args, "-h", cwd=tmp_path), run_wsdeploy(*args, "--help", cwd=tmp_path)
    assert short.returncode == 0 and short.stdout == long.stdout, short.stderr
    text = short.stdout
    assert "<bool>" not in text and "[default: False]" not in text
    assert "-h, --help" in text
    examples = text.split("Examples:", 1)[1]
    assert re.search(rf"^    wsdeploy {command}", examples, re.M), text
    if command in AWS_COMMANDS:
        assert "--profile NAME" in text and "--region REGION" in text
    if command:
        assert "--debug" in text


def test_the_command_list_has_one_line_each_and_names_the_aliases(tmp_path):
    text = run_wsdeploy("-h", cwd=tmp_path).stdout
    listed = re.findall(r"^  (\w+)\s{2,}\S", text.split("Commands:", 1)[1], re.M)
    assert listed == sorted(COMMANDS)
    assert "deploy (= up); delete, destroy, undeploy (= down); local, serve (= dev)" in " ".join(text.split())
    assert "--install-completion" in text


# -- --debug, aliases, completion ---------------------------------------------------------------
def test_debug_is_taken_before_and_after_the_command(tmp_path):
    write_project(tmp_path, MINIMAL_TOML.replace("[app]\n", "[app]\nmemory = 1\n"), {"app.py": MINIMAL_APP})
    plain = run_wsdeploy("package", cwd=tmp_path)
    assert plain.returncode == 2 and plain.stderr.startswith("error: wsdeploy.toml has 1 problem")
    assert "Traceback" not in plain.stderr
    for args in (("package", "--debug"), ("--debug", "package")):
        shown = run_wsdeploy(*args, cwd=tmp_path)
        assert shown.returncode == 1 and "Traceback (most recent call last)" in shown.stderr
        assert "wsdeploy.errors.UserError: wsdeploy.toml has 1 problem" in shown.stderr


def test_aliases_run_the_real_command_and_say_which(aws_server, tmp_path):
    write_project(tmp_path, files={"app.py": MINIMAL_APP})
    env = aws_server.env()
    dry = run_wsdeploy("deploy", "--dry-run", cwd=tmp_path, env=env)
    assert dry.returncode == 0, dry.stderr
    assert dry.stderr.startswith("`wsdeploy deploy` is `wsdeploy up` here; running that.\n")
    assert "Plan: 11 to create" in dry.stderr and "Dry run: nothing was changed." in dry.stderr
    assert run_wsdeploy("up", cwd=tmp_path, env=env).returncode == 0
    refused = run_wsdeploy("destroy", cwd=tmp_path, env=env)     # down's confirmation holds
    assert refused.returncode == 2 and "Pass --yes" in refused.stderr
    gone = run_wsdeploy("delete", "--yes", cwd=tmp_path, env=env)
    assert gone.returncode == 0, gone.stderr
    assert "`wsdeploy delete` is `wsdeploy down` here" in gone.stderr and "Deleted stage dev" in gone.stderr
    for alias, real in (("local", "dev"), ("serve", "dev"), ("undeploy", "down")):
        assert f"Another name for `wsdeploy {real}`." in run_wsdeploy(alias, "-h", cwd=tmp_path).stdout


def test_completion_installs_and_completes_commands_and_stages(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = user_env() | {"HOME": str(home), "SHELL": "/bin/bash"}
    installed = run_wsdeploy("--install-completion", "bash", cwd=tmp_path, env=env)
    assert installed.returncode == 0, installed.stderr
    script = home / ".bash_completions" / "wsdeploy.sh"
    assert "_WSDEPLOY_COMPLETE=complete_bash" in script.read_text()
    assert f"source '{script}'" in (home / ".bashrc").read_text()

    project = write_project(tmp_path / "app", MINIMAL_TOML + "\n[stages.prod]\n").parent

    def complete(line: str) -> list[str]:
        words = line.split(" ")
        done = subprocess.run([installed_wsdeploy()], cwd=project, capture_output=True, text=True,
                              env=env | {"_WSDEPLOY_COMPLETE": "complete_bash",
                                         "COMP_WORDS": line, "COMP_CWORD": str(len(words) - 1)})
        return done.stdout.split()

    assert complete("wsdeploy sta") == ["state", "status"]
    assert complete("wsdeploy stat") == ["state", "status"]
    assert complete("wsdeploy statu") == ["status"]
    assert complete("wsdeploy up --pro") == ["--profile"]
    assert complete("wsdeploy up ") == ["dev", "prod"]
    assert complete("wsdeploy status p") == ["prod"]


# -- which wsdeploy.toml ---------------------------------------------------------------------------
def test_a_subfolder_uses_the_nearest_wsdeploy_toml_above_and_says_so(tmp_path):
    write_project(tmp_path, files={"app.py": MINIMAL_APP, "src/deep/notes.txt": "x"})
    done = run_wsdeploy("package", cwd=tmp_path / "src" / "deep")
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith(f"Using ../../wsdeploy.toml (found in {tmp_path}).")
    assert (tmp_path / ".wsdeploy" / "chat-dev-ws.zip").is_file()
    here = run_wsdeploy("package", cwd=tmp_path)
    assert here.returncode == 0 and "Using" not in here.stderr
    nowhere = run_wsdeploy("package", cwd=tmp_path.parent)
    assert nowhere.returncode == 2
    assert "is not in" in nowhere.stderr and "nor in any folder above it" in nowhere.stderr


# -- wsdeploy init: .gitignore, the example -----------------------------------------------------
def test_init_adds_the_state_folder_to_gitignore_and_full_writes_the_example(tmp_path):
    (tmp_path / ".gitignore").write_text("__pycache__/\n*.pyc")       # no final newline
    done = run_wsdeploy("init", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / ".gitignore").read_text() == (
        "__pycache__/\n*.pyc\n# wsdeploy's state, per machine\n.wsdeploy/\n")
    assert "`wsdeploy init --full` writes it here" in done.stdout
    config = (tmp_path / "wsdeploy.toml").read_text()
    assert "wsdeploy.toml.example, which\n# `wsdeploy init --full` writes beside this file" in config

    full = run_wsdeploy("init", "--full", cwd=tmp_path)
    assert full.returncode == 0, full.stderr
    assert full.stdout.startswith(f"Created wsdeploy.toml.example in {tmp_path}\n")
    assert (tmp_path / "wsdeploy.toml.example").read_text() == (REPO / "wsdeploy.toml.example").read_text()
    assert (tmp_path / "wsdeploy.toml").read_text() == config                     # untouched
    assert (tmp_path / ".gitignore").read_text().count(".wsdeploy/") == 1          # not added twice


# -- AWS: --profile, --region, the profile's name ------------------------------------------------
def test_profile_and_region_flags_override_the_file_and_are_checked(aws_server, tmp_path):
    write_project(tmp_path, MINIMAL_TOML.replace("[app]\n", '[app]\nregion = "eu-west-1"\n'),
                  {"app.py": MINIMAL_APP})
    env = aws_server.env()
    up = run_wsdeploy("up", "--region", "eu-central-1", cwd=tmp_path, env=env)
    assert up.returncode == 0, up.stderr
    assert ".execute-api.eu-central-1.amazonaws.com/dev" in up.stdout
    assert "Stage dev of chat in eu-central-1" in up.stderr
    status = run_wsdeploy("status", "--json", "--region", "eu-central-1", cwd=tmp_path, env=env)
    assert json.loads(status.stdout)["region"] == "eu-central-1"
    other = run_wsdeploy("status", cwd=tmp_path, env=env)        # the file's region: refused
    assert other.returncode == 2 and "eu-central-1" in other.stderr

    bad = run_wsdeploy("up", "--region", "mars-1", cwd=tmp_path, env=env)
    assert bad.returncode == 2
    assert bad.stderr.strip() == 'error: --region: "mars-1" is not an AWS region name such as "us-east-1" or "eu-west-2"'
    flag = run_wsdeploy("status", "--profile", "nope", cwd=tmp_path, env=env)
    assert flag.returncode == 2
    assert flag.stderr.startswith("error: AWS profile nope is not configured: run `aws configure --profile nope`")
    named = run_wsdeploy("status", cwd=tmp_path, env=env | {"AWS_PROFILE": "nope"})
    assert named.returncode == 2 and "profile None" not in named.stderr
    assert named.stderr.startswith("error: AWS profile nope is not configured (AWS_PROFILE names it)")


# -- what a terminal shows -----------------------------------------------------------------------
def chat_project(tmp_path: Path) -> Path:
    project = tmp_path / "chat"
    shutil.copytree(CHAT, project, ignore=shutil.ignore_patterns(".wsdeploy", "__pycache__"))
    return project


def words(text: str) -> set[str]:
    return set(text.split())


def test_a_narrow_terminal_wraps_between_words_never_inside_one(aws_server, tmp_path):
    project = chat_project(tmp_path)
    env = aws_server.env()
    for args in (("up", "--dry-run", "--verbose"), ("up", "-h"), ("init", "-h")):
        _, wide = run_in_terminal(*args, cwd=project, env=env, columns=250, lines=100)
        _, narrow = run_in_terminal(*args, cwd=project, env=env, columns=44, lines=100)
        assert max(map(len, narrow.splitlines())) <= 44
        assert len(narrow.splitlines()) > len(wide.splitlines())     # it did wrap
        cut = words(narrow) - words(wide)
        assert not cut, f"words cut in two at the edge: {sorted(cut)}\n{narrow}"
    assert run_wsdeploy("up", cwd=project, env=env).returncode == 0
    _, wide = run_in_terminal("status", cwd=project, env=env, columns=250)
    _, narrow = run_in_terminal("status", cwd=project, env=env, columns=44)
    assert "route join: ok" in narrow and "log group /aws/lambda/chat-dev-ws: ok" in narrow
    # only a word wider than the terminal (the URL, kept whole for copying) goes past its edge
    assert all(len(line) <= 44 or "wss://" in line for line in narrow.splitlines())
    assert {w.rstrip(":") for w in words(narrow)} <= words(wide)   # rows as lines: "route join: ok"


def test_a_plan_taller_than_the_terminal_is_summed_up_per_kind(aws_server, tmp_path):
    project = chat_project(tmp_path)
    env = aws_server.env()
    code, short = run_in_terminal("up", "--dry-run", cwd=project, env=env, columns=300, lines=12)
    assert code == 0, short
    assert ("+ create 15: role chat-dev-ws, table chat-dev-ws-connections, log group "
            "/aws/lambda/chat-dev-ws, api chat-dev-ws, role policy chat-dev-ws, function "
            "chat-dev-ws, permission chat-dev-ws, integration AWS_PROXY, 6 routes, stage dev") in short
    assert "~ update table ttl chat-dev-ws-connections (on, attribute ttl)" in short  # a change: listed
    assert "+ create route join" not in short
    assert "Plan: 15 to create, 1 to update; 0 unchanged (summed up to fit the terminal: " \
           "--verbose lists every step)" in short
    _, full = run_in_terminal("up", "--dry-run", "--verbose", cwd=project, env=env, columns=200, lines=12)
    assert "+ create route join" in full and "summed up" not in full
    _, tall = run_in_terminal("up", "--dry-run", cwd=project, env=env, columns=200, lines=60)
    assert "+ create route join" in tall and "summed up" not in tall

    code, deployed = run_in_terminal("up", cwd=project, env=env, columns=200, lines=12)
    assert code == 0, deployed
    assert "✓ [6/16] update table ttl chat-dev-ws-connections" in deployed
    assert "✓ [1/16]" not in deployed and "✓ [16/16]" not in deployed     # creates: only while they run
    assert re.search(r"^URL  wss://\w+\.execute-api\.eu-west-1\.amazonaws\.com/dev$", deployed, re.M)


def test_the_url_is_labelled_on_a_terminal_and_bare_for_scripts(aws_server, tmp_path):
    write_project(tmp_path, files={"app.py": MINIMAL_APP})
    env = aws_server.env()
    piped = run_wsdeploy("up", cwd=tmp_path, env=env)
    url = piped.stdout.strip()
    assert re.fullmatch(r"wss://\w+\.execute-api\.eu-west-1\.amazonaws\.com/dev", url)
    assert "URL " not in piped.stdout + piped.stderr
    code, screen = run_in_terminal("up", cwd=tmp_path, env=env)
    assert code == 0 and screen.splitlines()[-1] == f"URL  {url}"


def test_status_shows_local_time_with_age_and_fields_as_users_call_them(aws_server, tmp_path):
    write_project(tmp_path, files={"app.py": MINIMAL_APP})
    env = aws_server.env()
    assert run_wsdeploy("up", cwd=tmp_path, env=env).returncode == 0
    deployed = json.loads((tmp_path / ".wsdeploy" / "dev.json").read_text())["deployed_at"]
    tokyo = datetime.fromisoformat(deployed).astimezone(timezone(timedelta(hours=9)))
    functions = aws_server.session().client("lambda")
    functions.update_function_configuration(FunctionName="chat-dev-ws", MemorySize=1024, Environment={
        "Variables": {**functions.get_function_configuration(FunctionName="chat-dev-ws")["Environment"]["Variables"],
                      "ADDED_BY_HAND": "1"}})
    status = run_wsdeploy("status", cwd=tmp_path, env=env | {"TZ": "Asia/Tokyo", "COLUMNS": "120"})
    assert status.returncode == 0, status.stderr
    assert f"Last deploy  {tokyo:%Y-%m-%d %H:%M} JST (" in status.stdout
    assert re.search(r"Last deploy  .* JST \((just now|\d+ min ago)\)$", status.stdout, re.M)
    row = next(line for line in status.stdout.splitlines() if line.startswith("function"))
    assert row.split() == ["function", "chat-dev-ws", "drifted", "memory,", "environment", "variables"]
    as_json = json.loads(run_wsdeploy("status", "--json", cwd=tmp_path, env=env).stdout)
    assert ["memory", "environment_names"] == next(
        r["fields"] for r in as_json["resources"] if r["type"] == "function")  # JSON keeps its keys


# -- logs -------------------------------------------------------------------------------------------
def put_log_events(aws_server, *messages: str, at_ms: int | None = None) -> None:
    logs = aws_server.session().client("logs")
    stream = f"2026/01/01/[$LATEST]{time.monotonic_ns()}"
    logs.create_log_stream(logGroupName="/aws/lambda/chat-dev-ws", logStreamName=stream)
    now = at_ms or int(time.time() * 1000)
    logs.put_log_events(logGroupName="/aws/lambda/chat-dev-ws", logStreamName=stream,
                        logEvents=[{"timestamp": now + i, "message": m} for i, m in enumerate(messages)])


def test_logs_filter_and_since_an_iso_time(aws_server, tmp_path):
    write_project(tmp_path, files={"app.py": MINIMAL_APP})
    env = aws_server.env()
    assert run_wsdeploy("up", cwd=tmp_path, env=env).returncode == 0
    put_log_events(aws_server, "ERROR boom", "INFO fine", "Task timed out after 3.00 seconds")
    printed = lambda *args: [line.split(" ", 2)[2] for line in  # noqa: E731
                             run_wsdeploy("logs", *args, cwd=tmp_path, env=env).stdout.splitlines()]
    assert printed("--filter", "ERROR") == ["ERROR boom"]
    assert printed("--filter", '"Task timed out"') == ["Task timed out after 3.00 seconds"]
    earlier = (datetime.now(timezone.utc) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S")
    assert printed("--since", earlier) == ["ERROR boom", "INFO fine", "Task timed out after 3.00 seconds"]
    later = (datetime.now(timezone.utc) + timedelta(minutes=5)).isoformat()
    none = run_wsdeploy("logs", "--since", later, "--filter", "ERROR", cwd=tmp_path, env=env)
    assert none.returncode == 0 and none.stdout == ""
    assert none.stderr.startswith("No log events matching ERROR in /aws/lambda/chat-dev-ws since ")
    bad = run_wsdeploy("logs", "--since", "last tuesday", cwd=tmp_path, env=env)
    assert bad.returncode == 2 and "ISO 8601 time such as 2026-05-01T14:30" in bad.stderr


def test_logs_follow_says_it_is_waiting_until_events_come(aws_server, tmp_path):
    write_project(tmp_path, files={"app.py": MINIMAL_APP})
    env = aws_server.env()
    assert run_wsdeploy("up", cwd=tmp_path, env=env).returncode == 0
    follow = subprocess.Popen([installed_wsdeploy(), "logs", "--follow"], cwd=tmp_path, env=user_env(env),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        waiting = follow.stderr.readline()
        assert waiting == "Waiting for log events in /aws/lambda/chat-dev-ws (Ctrl-C stops) ...\n"
        put_log_events(aws_server, "connected: abc=")
        assert follow.stdout.readline().rstrip().endswith(" connected: abc=")
    finally:
        follow.send_signal(signal.SIGINT)
        code = follow.wait(timeout=30)
    assert code == 0 and "Traceback" not in follow.stderr.read()
