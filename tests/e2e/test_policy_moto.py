"""`wsdeploy policy` is enough, end to end: a deploy (up, a no-op up, status, logs, down) by an
IAM user whose only permissions are the policy `wsdeploy policy` printed, against a moto
server that checks IAM as AWS does (tests/support/aws_strict_server.py). Any call refused
fails the test: a call someone added without declaring what it needs (permissions.py) is
caught here, as soon as a stage below turns on the kind that makes it.

A new resource kind: turn it on in one of PROJECTS, so that its calls are made here.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support.aws_inventory import EMPTY, inventory
from tests.support.aws_server import strict_moto_server, strict_server
from tests.support.package_project import MINIMAL_APP, MINIMAL_TOML, write_project
from tests.support.remote_state import BUCKET, STATE

__all__ = ["strict_moto_server", "strict_server"]   # fixtures, imported for pytest
PROJECTS = {
    "local-state": MINIMAL_TOML,
    "s3-state-and-connections": MINIMAL_TOML.replace(
        "[stages.dev]", f'state = "{STATE}"\n\n[app.connections]\nenabled = true\n\n[stages.dev]'),
    "http-app": MINIMAL_TOML.replace("[stages.dev]", 'http_app = "web:app"\n\n[stages.dev]'),   # issue 17
    # the app's own grants (issue 10): the `app` policy and an account's managed policy
    "app-permissions": MINIMAL_TOML.replace("[stages.dev]", (
        'managed_policies = ["arn:aws:iam::123456789012:policy/ReadReports"]\nreserved_concurrency = 5\n\n'
        '[[app.permissions]]\nactions = ["s3:GetObject"]\nresources = ["arn:aws:s3:::reports/*"]\n\n'
        '[stages.dev]')),
    # secrets (issue 10): the existence reads, on exactly the referenced parameter and secret
    "secrets": MINIMAL_TOML.replace("[stages.dev]", (
        '[app.secrets]\nDATABASE_URL = "ssm:/chat/dev/database-url"\n'
        'STRIPE_KEY = "secretsmanager:chat/keys#stripe"\n\n[stages.dev]')),
}
WEB_APP = "def app(environ, start_response):\n    start_response('200 OK', [])\n    return [b'ok']\n"
REFUSED = ("AccessDenied", "not authorized")
# A project's app when not MINIMAL_APP: local-state's guards $connect with an authorizer (issue 11)
GUARDED_APP = MINIMAL_APP + """
from wsdeploy.websocket import allow, on_authorize

@on_authorize(identity=["route.request.querystring.token"])
def authorize(event, context):
    return allow("someone")
"""
APPS = {"local-state": GUARDED_APP}


def deployer(server) -> dict[str, str]:
    """An IAM user with no permissions yet, and the environment of a shell using its keys."""
    iam = server.session().client("iam")
    iam.create_user(UserName="deployer")
    key = iam.create_access_key(UserName="deployer")["AccessKey"]
    return {**server.env(), "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}


def wsdeploy(env, cwd, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "import sys; from wsdeploy.cli import main; sys.exit(main())",
                           *args], cwd=cwd, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=180)


@pytest.fixture
def enforced(strict_server):
    """The server checks IAM from the moment the test says, and stops at its end."""
    yield strict_server
    strict_server.authenticate(after=10 ** 12)


def restricted_to_policy(server, tmp_path, toml: str, alter=None, app: str = MINIMAL_APP) -> dict[str, str]:
    """The project, the bucket, and a deployer allowed exactly what `wsdeploy policy` prints
    (changed by `alter(statement)`, if given); IAM is enforced from then on."""
    write_project(tmp_path, toml, files={"app.py": app, "web.py": WEB_APP})
    server.session().client("s3").create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    server.session().client("iam").create_policy(   # what managed_policies names
        PolicyName="ReadReports", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}))
    server.session().client("ssm").put_parameter(   # what [app.secrets] references
        Name="/chat/dev/database-url", Value="postgres://db", Type="SecureString")
    server.session().client("secretsmanager").create_secret(Name="chat/keys", SecretString='{"stripe": "k"}')
    env = deployer(server)
    printed = wsdeploy(env, tmp_path, "policy")
    assert printed.returncode == 0, printed.stderr
    policy = json.loads(printed.stdout)
    for statement in policy["Statement"] if alter else ():
        alter(statement)
    server.session().client("iam").put_user_policy(UserName="deployer", PolicyName="wsdeploy",
                                                   PolicyDocument=json.dumps(policy))
    server.authenticate()
    return env


@pytest.mark.parametrize("project", PROJECTS)
def test_a_deploy_needs_nothing_beyond_the_printed_policy(enforced, tmp_path, project):
    env = restricted_to_policy(enforced, tmp_path, PROJECTS[project], app=APPS.get(project, MINIMAL_APP))
    for command in (["up"], ["up"], ["status", "--exit-code"], ["logs", "--since", "1m"],
                    ["down", "--yes"]):
        done = wsdeploy(env, tmp_path, *command)
        assert done.returncode == 0 and not any(word in done.stderr for word in REFUSED), (command, done.stderr)
    enforced.authenticate(after=10 ** 12)
    assert inventory(enforced.session(), responses=False) == EMPTY


def without_create_function(statement: dict) -> None:
    statement["Action"] = [a for a in statement["Action"] if a != "lambda:CreateFunction"]


def on_another_function(statement: dict) -> None:
    if statement["Sid"] == "Function":
        statement["Resource"] = statement["Resource"].replace("chat-dev-ws", "chat-prod-ws")


@pytest.mark.parametrize("alter", [without_create_function, on_another_function])
def test_the_server_refuses_what_the_policy_leaves_out(enforced, tmp_path, alter):
    """The check above can fail: an action left out, or granted on another resource only, is
    refused, as AWS would."""
    env = restricted_to_policy(enforced, tmp_path, MINIMAL_TOML, alter)
    done = wsdeploy(env, tmp_path, "up")
    message = " ".join(done.stderr.split())
    assert done.returncode == 1 and "AccessDeniedException" in message, message
    assert "is not authorized to perform: lambda:" in message
    assert f"on resource: arn:aws:lambda:eu-west-1:123456789012:function:chat-dev-ws" in message
