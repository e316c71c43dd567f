"""[app.secrets] (issue 10): the function gets references only, the role exactly the reads of
those parameters and secrets, `up` stops before any write when one is missing, and the runtime
resolves them before the handler module is imported, against moto's server end to end."""

from __future__ import annotations

import json

import pytest

from tests.conftest import make_event
from tests.support.aws_fixtures import (ACCOUNT, REGION, STRICT_FIXTURES, aws, calls, desired, life,
                                        make_aws, moto_session, session, store)
from tests.support.aws_server import aws_server, moto_server
from wsdeploy.errors import UserError
from wsdeploy.provision.deploy import up
from wsdeploy.runtime import lambda_handler
from wsdeploy.runtime import secrets as runtime_secrets
from wsdeploy.state import StateFile

__all__ = [*STRICT_FIXTURES, "aws_server", "moto_server"]

SECRETS = (("DATABASE_URL", "ssm:/chat/dev/database-url"), ("OPENAI_KEY", "secretsmanager:chat/openai"),
           ("STRIPE_KEY", "secretsmanager:chat/keys#stripe"))
WITH_SECRETS = desired(secrets=SECRETS)
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
DATABASE_URL = "postgres://chat:s3cr3t-pa55@db.internal/chat"


def store_secrets(session) -> None:
    session.client("ssm").put_parameter(Name="/chat/dev/database-url", Value=DATABASE_URL,
                                        Type="SecureString")
    sm = session.client("secretsmanager")
    sm.create_secret(Name="chat/openai", SecretString="sk-openai-value")
    sm.create_secret(Name="chat/keys", SecretString=json.dumps({"stripe": "sk_stripe_value"}))


def environment_of(session) -> dict:
    config = session.client("lambda").get_function(FunctionName="chat-dev-ws")["Configuration"]
    return config["Environment"]["Variables"]


def test_the_function_gets_references_and_the_role_exactly_their_reads(session, aws, store):
    store_secrets(session)
    up(aws, desired(secrets=SECRETS, secrets_kms_key=KEY), store)
    environment = environment_of(session)
    assert json.loads(environment["WSDEPLOY_SECRETS"]) == dict(SECRETS)
    assert not any(value in json.dumps(environment) for value in (DATABASE_URL, "sk-openai-value"))
    policy = session.client("iam").get_role_policy(RoleName="chat-dev-ws", PolicyName="wsdeploy")
    grants = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    assert grants["SecretParameters"] == {
        "Sid": "SecretParameters", "Effect": "Allow", "Action": "ssm:GetParameters",
        "Resource": [f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/chat/dev/database-url"]}
    assert grants["SecretValues"]["Action"] == "secretsmanager:GetSecretValue"
    assert grants["SecretValues"]["Resource"] == [
        f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:chat/keys-??????",
        f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:chat/openai-??????"]
    assert grants["SecretsKey"] == {"Sid": "SecretsKey", "Effect": "Allow", "Action": "kms:Decrypt",
                                    "Resource": KEY}
    state = store.path.read_text() if hasattr(store, "path") else json.dumps(store.load())
    assert DATABASE_URL not in state


def test_without_a_key_there_is_no_kms_grant_and_without_secrets_no_reads(session, aws, store, calls):
    up(aws, desired(), store)
    assert not {"GetParameters", "DescribeSecret"} & set(calls.operations)
    policy = session.client("iam").get_role_policy(RoleName="chat-dev-ws", PolicyName="wsdeploy")
    assert "Secret" not in json.dumps(policy["PolicyDocument"])
    store_secrets(session)
    up(aws, WITH_SECRETS, store)
    policy = session.client("iam").get_role_policy(RoleName="chat-dev-ws", PolicyName="wsdeploy")
    assert "kms:" not in json.dumps(policy["PolicyDocument"])


def test_a_no_op_up_makes_no_write_and_only_the_existence_reads(session, aws, store, calls):
    store_secrets(session)
    up(aws, WITH_SECRETS, store)
    calls.clear()
    plan, _ = up(aws, WITH_SECRETS, store)
    assert plan.steps == () and calls.writes == []
    assert [op for op in calls.operations if op in ("GetParameters", "DescribeSecret")] == [
        "GetParameters", "DescribeSecret", "DescribeSecret"]


def test_missing_secrets_stop_up_before_any_write_naming_them(session, aws, store, calls):
    session.client("secretsmanager").create_secret(Name="chat/openai", SecretString="x")
    calls.clear()
    with pytest.raises(UserError) as caught:
        up(aws, WITH_SECRETS, store)
    message = str(caught.value)
    assert "ssm:/chat/dev/database-url" in message and "secretsmanager:chat/keys" in message
    assert "DATABASE_URL, STRIPE_KEY" in message and "chat/openai" not in message.split("(for")[0]
    assert calls.writes == [] and not store.exists()


# -- end to end: up on moto's server, then the runtime with the environment up set -----------------
ECHO_APP = '''
import os
from wsdeploy.websocket import on_connect, on_message

SEEN_AT_IMPORT = os.environ.get("DATABASE_URL")


@on_connect
def connect(event, context):
    return {"statusCode": 200}


@on_message(reply=True)
def check(event, context):
    expected = event["body"]
    return {"equal": os.environ["DATABASE_URL"] == expected and SEEN_AT_IMPORT == expected,
            "stripe": os.environ["STRIPE_KEY"] == "sk_stripe_value"}
'''


def test_the_runtime_resolves_them_before_the_handler_module_through_lambda_handler(
        aws_server, runtime, app_dir, monkeypatch, tmp_path):
    server_session = aws_server.session()
    store_secrets(server_session)
    up(make_aws(server_session), WITH_SECRETS, StateFile(tmp_path / ".wsdeploy", "dev"))
    for name, value in environment_of(server_session).items():   # the function's, as Lambda sets it
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("WSDEPLOY_HANDLER_MODULE", "echo_secret")
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_server.url)      # the runtime's endpoints, for tests
    for name, _ in SECRETS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(runtime_secrets, "_resolved", False)
    app_dir("echo_secret", ECHO_APP)
    from tests.support.fake_gateway import FakeGateway
    with FakeGateway() as gateway:
        monkeypatch.setenv("WEBSOCKET_API_GATEWAY_ENDPOINT", gateway.endpoint)
        answer = lambda_handler(make_event("message", body=DATABASE_URL), None)
    assert json.loads(answer["body"]) == {"equal": True, "stripe": True}


def test_a_failure_names_the_secret_and_the_reason_never_a_value(aws_server, monkeypatch):
    server_session = aws_server.session()
    server_session.client("secretsmanager").create_secret(Name="chat/keys", SecretString='{"other": "v4lue"}')
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws_server.url)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with pytest.raises(runtime_secrets.SecretError) as caught:
        runtime_secrets.read_references(dict(SECRETS))
    message = str(caught.value)
    assert "DATABASE_URL (ssm:/chat/dev/database-url): no such parameter" in message
    assert "OPENAI_KEY (secretsmanager:chat/openai): ResourceNotFoundException" in message
    assert "STRIPE_KEY (secretsmanager:chat/keys#stripe): the secret's JSON has no key 'stripe'" in message
    assert "v4lue" not in message
