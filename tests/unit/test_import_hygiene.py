"""The Lambda runtime stays light: importing the user API pulls in no SDK, CLI or emulator."""

import json
import subprocess
import sys

HEAVY = ("boto3", "botocore", "typer", "rich", "click", "websockets", "wsdeploy.cli",
         "wsdeploy.provision", "wsdeploy.emulator", "wsdeploy.config", "wsdeploy.package",
         "wsdeploy.discover", "wsdeploy.state", "wsdeploy.errors")


def modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        check=True, capture_output=True, text=True,
    ).stdout
    return set(json.loads(out.splitlines()[-1]))


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_importing_the_user_api_pulls_in_nothing_heavy():
    assert heavy_in(modules_after("import wsdeploy.websocket")) == []


def test_the_lambda_entry_point_pulls_in_nothing_heavy():
    assert heavy_in(modules_after("import wsdeploy.runtime")) == []


def test_handling_a_connect_pulls_in_nothing_heavy(tmp_path):
    (tmp_path / "tinyapp.py").write_text(
        "from wsdeploy.websocket import on_connect, on_message\n"
        "on_connect(lambda event, context: None)\n"
        "on_message(lambda event, context: None)\n"
    )
    code = (
        f"import os, sys; sys.path.insert(0, {str(tmp_path)!r})\n"
        "os.environ['WSDEPLOY_HANDLER_MODULE'] = 'tinyapp'\n"
        "from wsdeploy.runtime import lambda_handler\n"
        "event = {'requestContext': {'eventType': 'CONNECT', 'routeKey': '$connect',\n"
        "         'connectionId': 'AbCdEfGhIjKlMn0=', 'apiId': 'abc', 'stage': 'dev'}}\n"
        "assert lambda_handler(event, None) == {'statusCode': 200}"
    )
    assert heavy_in(modules_after(code)) == []


def test_the_check_itself_notices_a_heavy_import():
    assert "boto3" in heavy_in(modules_after("import wsdeploy.websocket, boto3"))


def test_sending_and_connection_tracking_load_only_for_apps_that_use_them():
    imported = modules_after("import wsdeploy.websocket")
    assert "wsdeploy.runtime.connections" not in imported
    assert "wsdeploy.runtime.management" not in imported and "http.client" not in imported
    sender = modules_after("from wsdeploy.websocket import send_message, ConnectionGone")
    assert "wsdeploy.runtime.management" in sender and heavy_in(sender) == []
    used = modules_after("from wsdeploy.websocket import connections\nassert connections.all")
    assert "wsdeploy.runtime.connections" in used and heavy_in(used) == []


# -- the provisioner: data apart from I/O ------------------------------------------------------
SDK = ("boto3", "botocore")


def sdk_in(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in SDK)


def test_the_planner_imports_data_only():
    """The plan is data: the planner reads the desired, observed and live shapes and the
    steps, nothing that calls AWS (no SDK, no handlers, no aws package), so its every
    decision is tested without AWS."""
    imported = modules_after("import wsdeploy.provision.planner")
    assert sdk_in(imported) == []
    assert not {m for m in imported if m.startswith(("wsdeploy.provision.handlers",
                                                       "wsdeploy.provision.aws",
                                                       "wsdeploy.provision.observe"))}


def test_only_the_aws_package_imports_the_sdk():
    """up, down and status reach AWS through `provision.aws` alone, passed in as an object."""
    code = ("import wsdeploy.provision.deploy, wsdeploy.provision.teardown, "
            "wsdeploy.provision.status, wsdeploy.provision.logs, wsdeploy.provision.kinds, "
            "wsdeploy.provision.permissions, wsdeploy.remote_state")
    assert sdk_in(modules_after(code)) == []
    assert "boto3" in sdk_in(modules_after("import wsdeploy.provision.aws"))


def test_the_shapes_are_data_only():
    """live, seen, desired, steps and record import the standard library, each other and the
    runtime's names of environment variables (the runtime is standard library only)."""
    code = ("import wsdeploy.provision.live, wsdeploy.provision.seen, wsdeploy.provision.desired, "
            "wsdeploy.provision.steps, wsdeploy.provision.record")
    imported = modules_after(code)
    assert sdk_in(imported) == []
    ours = {m for m in imported if m.startswith("wsdeploy.") and not m.startswith("wsdeploy.runtime")}
    allowed = {"wsdeploy", "wsdeploy.errors", "wsdeploy.naming", "wsdeploy.state",
               "wsdeploy.private_files", "wsdeploy.provision",
               "wsdeploy.provision.live",
               "wsdeploy.provision.seen", "wsdeploy.provision.desired", "wsdeploy.provision.steps",
               "wsdeploy.provision.record"}
    assert ours <= allowed, sorted(ours - allowed)


def test_the_authorizer_loads_only_for_apps_that_have_one():
    assert "wsdeploy.runtime.authorizer" not in modules_after("import wsdeploy.websocket")
    used = modules_after("from wsdeploy.websocket import allow, on_authorize\n"
                         "on_authorize(lambda e, c: allow('x'))")
    assert "wsdeploy.runtime.authorizer" in used and heavy_in(used) == []
