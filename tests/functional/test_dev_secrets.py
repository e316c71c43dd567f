"""`wsdeploy dev` resolves [app.secrets] as the function does: the shell's variable wins, else
AWS with the developer's credentials (moto here), else one message listing what is missing."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from moto import mock_aws

from tests.support.aws_fixtures import REGION, fake_aws_environment
from wsdeploy.dev_secrets import resolve_for_dev
from wsdeploy.errors import UserError

CFG = SimpleNamespace(profile=None, region=REGION, secrets={
    "DATABASE_URL": "ssm:/chat/dev/database-url", "STRIPE_KEY": "secretsmanager:chat/keys#stripe",
    "OPENAI_KEY": "secretsmanager:chat/openai"})


@pytest.fixture
def account(monkeypatch):
    fake_aws_environment(monkeypatch)
    for name in CFG.secrets:
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        import boto3
        session = boto3.Session(region_name=REGION)
        session.client("ssm").put_parameter(Name="/chat/dev/database-url", Value="postgres://aws",
                                            Type="SecureString")
        session.client("secretsmanager").create_secret(Name="chat/keys",
                                                       SecretString=json.dumps({"stripe": "sk_aws"}))
        yield session


def test_the_shells_variable_wins_and_the_rest_comes_from_aws(account, monkeypatch):
    monkeypatch.setenv("OPENAI_KEY", "sk-local")
    assert resolve_for_dev(CFG) == {"DATABASE_URL": "postgres://aws", "STRIPE_KEY": "sk_aws"}


def test_what_is_neither_set_nor_readable_stops_dev_with_one_message(account, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://local")
    with pytest.raises(UserError) as caught:
        resolve_for_dev(CFG)
    message = str(caught.value)
    assert "OPENAI_KEY (secretsmanager:chat/openai): ResourceNotFoundException" in message
    assert "DATABASE_URL" not in message and "STRIPE_KEY" not in message
    assert "export OPENAI_KEY=..." in message


def test_without_secrets_nothing_is_read():
    assert resolve_for_dev(SimpleNamespace(secrets={}), read=lambda *_: pytest.fail("read AWS")) == {}
