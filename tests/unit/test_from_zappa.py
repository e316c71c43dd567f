"""`wsdeploy init --from-zappa`: Zappa settings -> wsdeploy.toml, nothing dropped silently."""

from __future__ import annotations

import json
import tomllib

import pytest

from wsdeploy.config import load_stage
from wsdeploy.errors import UserError
from wsdeploy.from_zappa import app_name, convert, read_settings


def converted(settings: dict, folder: str = "my-app"):
    return convert(settings, "zappa_settings.json", folder)


def test_each_stage_gets_what_it_extends_and_shared_values_go_in_app(tmp_path):
    conversion = converted({
        "base": {"aws_region": "eu-west-1", "memory_size": 1024, "profile_name": "work",
                 "environment_variables": {"ALPHA": "1", "BETA": "2"}},
        "dev": {"extends": "base", "environment_variables": {"ALPHA": "1", "BETA": "dev"}},
        "prod": {"extends": "dev", "aws_region": "us-east-2"}})
    data = tomllib.loads(conversion.text)
    assert data["app"] == {"name": "my-app", "memory": 1024, "profile": "work", "architecture": "x86_64",
                           "environment": {"ALPHA": "1"}, "default_stage": "dev"}
    assert data["stages"] == {"base": {"region": "eu-west-1", "environment": {"BETA": "2"}},
                              "dev": {"region": "eu-west-1", "environment": {"BETA": "dev"}},
                              "prod": {"region": "us-east-2", "environment": {"BETA": "dev"}}}
    (tmp_path / "wsdeploy.toml").write_text(conversion.text)
    for stage, memory, variables in (("base", 1024, {"ALPHA": "1", "BETA": "2"}),
                                     ("prod", 1024, {"ALPHA": "1", "BETA": "dev"})):
        cfg = load_stage(tmp_path / "wsdeploy.toml", stage)    # valid, and as Zappa would run it
        assert cfg.memory == memory and dict(cfg.environment) == variables and cfg.profile == "work"


def test_a_stage_without_a_variable_does_not_inherit_it_from_app():
    data = tomllib.loads(converted({"dev": {"environment_variables": {"DEBUG": "1"}}, "prod": {}}).text)
    assert "environment" not in data["app"] and data["stages"]["dev"]["environment"] == {"DEBUG": "1"}


def test_zappas_defaults_that_change_what_runs_are_written_out_and_the_rest_noted():
    conversion = converted({"dev": {}})
    data = tomllib.loads(conversion.text)
    assert data["app"]["memory"] == 512 and data["app"]["architecture"] == "x86_64"
    notes = " ".join(conversion.notes)
    assert "Zappa keeps the function's logs forever" in notes
    assert "Zappa's default is 30 s" in notes and "Zappa deploys the Python it runs on" in notes


def test_values_wsdeploy_refuses_are_listed_with_the_reason_never_written():
    conversion = converted({"dev": {
        "runtime": "python3.9", "memory_size": 99999, "aws_region": "moon", "architecture": "amd64",
        "websocket_handler_module": "app.py", "cloudwatch_retention_days": 10,
        "environment_variables": {"AWS_SECRET": "x", "bad-name": "x", "NESTED": {"a": 1},
                                  "ON": True, "COUNT": 3},
        "s3_bucket": "b", "some_future_key": 1}})
    data = tomllib.loads(conversion.text)     # one stage: all it has goes in [app]
    assert data["stages"] == {"dev": {}} and data["app"]["environment"] == {"ON": "true", "COUNT": "3"}
    assert data["app"]["log_retention_days"] == 14        # 10 is no CloudWatch retention: the next one
    assert any("cloudwatch_retention_days 10 became log_retention_days = 14" in n for n in conversion.notes)
    dropped = dict((key, why) for (key, why), _ in conversion.dropped.items())
    assert set(dropped) == {"runtime", "memory_size", "aws_region", "architecture", "websocket_handler_module",
                            "environment_variables.AWS_SECRET", "environment_variables.bad-name",
                            "environment_variables.NESTED", "s3_bucket", "some_future_key"}
    assert '"amd64" is not a Lambda architecture (Lambda calls it "x86_64")' in dropped["architecture"]
    assert dropped["some_future_key"] == "no wsdeploy setting does this"
    assert "\n#   some_future_key (stage dev): no wsdeploy setting does this\n" in conversion.text
    assert "AWS_SECRET" in conversion.text and '"x"' not in conversion.text   # names, never values
    assert set(data["app"]) == {"name", "environment", "log_retention_days", "memory", "architecture"}


def test_strings_are_written_as_toml_reads_them():
    value = 'quote " back \\ newline \n tab \t unicode é del \x7f'
    data = tomllib.loads(converted({"dev": {"environment_variables": {"VALUE": value}}}).text)
    assert data["app"]["environment"]["VALUE"] == value


def test_extends_loops_and_unknown_stages_are_refused():
    with pytest.raises(UserError, match="stage a extends itself through a -> b -> a"):
        converted({"a": {"extends": "b"}, "b": {"extends": "a"}})
    with pytest.raises(UserError, match="stage a extends nowhere, which is not in the file"):
        converted({"a": {"extends": "nowhere"}})


def test_a_stage_name_wsdeploy_refuses_is_listed():
    conversion = converted({"dev": {}, "dev.old": {}})
    assert conversion.stages == ["dev"]
    assert conversion.dropped_lines() == ["(the whole stage) (stage dev.old): not a stage name wsdeploy "
                                          "accepts (letters, digits, '-', '_', starting with a letter): "
                                          "copy it by hand"]


@pytest.mark.parametrize("text, message", [
    ("[1, 2]", "is not a Zappa settings file"),
    ('{"dev": 3}', "is not a Zappa settings file"),
    ("{", "could not be read"),
])
def test_files_that_are_not_zappa_settings_are_refused(tmp_path, text, message):
    path = tmp_path / "zappa_settings.json"
    path.write_text(text)
    with pytest.raises(UserError, match=message):
        read_settings(path)


def test_toml_settings_are_read_too(tmp_path):
    path = tmp_path / "zappa_settings.toml"
    path.write_text('[dev]\naws_region = "eu-west-1"\n')
    assert read_settings(path) == {"dev": {"aws_region": "eu-west-1"}}
    path = tmp_path / "zappa_settings.json"
    path.write_text(json.dumps({"dev": {}}))
    assert read_settings(path) == {"dev": {}}


def test_app_names_from_project_names():
    assert app_name("My Chat_2") == "my-chat-2" and app_name("2048") == "app"
    assert converted({"dev": {"project_name": "Chat Server"}}).app == "chat-server"


def test_zappas_http_domain_is_not_given_to_the_websocket_api_and_the_reason_says_how():
    dropped = {key: why for key, why in converted({"dev": {
        "domain": "api.example.com", "certificate_arn": "arn:aws:acm:us-east-1:1:certificate/x",
        "route53_enabled": True, "base_path": "v1"}}).dropped}
    assert "domain" not in tomllib.loads(converted({"dev": {"domain": "api.example.com"}}).text)["stages"]["dev"]
    assert 'domain = { name = "ws.example.com" }' in dropped["domain"]
    assert "certificate_arn" in dropped["certificate_arn"] and "base_path" in dropped["base_path"]
    assert "Route 53" in dropped["route53_enabled"]


def test_app_function_becomes_http_app_module_colon_attribute(tmp_path):
    conversion = converted({"dev": {"app_function": "web.main.app"},
                            "prod": {"extends": "dev", "app_function": "web.main.api"}})
    data = tomllib.loads(conversion.text)
    assert data["stages"]["dev"]["http_app"] == "web.main:app"
    assert data["stages"]["prod"]["http_app"] == "web.main:api"
    assert "app_function -> http_app" in conversion.carried
    assert not any("app_function" in line for line in conversion.text.splitlines() if line.startswith("#"))
    (tmp_path / "wsdeploy.toml").write_text(conversion.text)
    assert load_stage(tmp_path / "wsdeploy.toml", "prod").http_app == "web.main:api"


def test_an_app_function_wsdeploy_cannot_name_is_listed_with_the_reason():
    conversion = converted({"dev": {"app_function": "app"}})
    assert "http_app" not in tomllib.loads(conversion.text)["app"]
    assert any("app_function" in line and "module:attribute" in line
               for line in conversion.text.splitlines() if line.startswith("#"))


def test_extra_permissions_concurrency_and_vpc_come_over_and_the_rest_is_listed(tmp_path):
    conversion = converted({"dev": {
        "extra_permissions": [
            {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::b/*",
             "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}},
            {"Effect": "Deny", "Action": "s3:*", "Resource": "*"},
            {"Action": "sqs:SendMessage", "Resource": ["arn:aws:sqs:eu-west-1:123456789012:q"]}],
        "attach_policy": "policy.json", "lambda_concurrency": 5,
        "vpc_config": {"SubnetIds": ["subnet-0123456789abcdef0"], "SecurityGroupIds": ["sg-0123456789abcdef0"]}}})
    data = tomllib.loads(conversion.text)
    assert data["app"]["permissions"] == [
        {"actions": ["s3:GetObject"], "resources": ["arn:aws:s3:::b/*"],
         "condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}},
        {"actions": ["sqs:SendMessage"], "resources": ["arn:aws:sqs:eu-west-1:123456789012:q"]}]
    assert data["app"]["reserved_concurrency"] == 5
    assert data["app"]["vpc"] == {"subnet_ids": ["subnet-0123456789abcdef0"],
                                  "security_group_ids": ["sg-0123456789abcdef0"]}
    dropped = conversion.text.split("# Not carried over")[1]
    assert "extra_permissions[2] (stage dev): only Allow statements" in dropped
    assert "attach_policy (stage dev): a policy document file: put its Allow statements in permissions" in dropped
    assert not any("became" in note for note in conversion.notes)
    (tmp_path / "wsdeploy.toml").write_text(conversion.text)
    cfg = load_stage(tmp_path / "wsdeploy.toml")
    assert len(cfg.permissions) == 2 and cfg.reserved_concurrency == 5 and cfg.vpc


def test_a_vpc_config_or_concurrency_wsdeploy_refuses_is_listed():
    conversion = converted({"dev": {"vpc_config": {"SubnetIds": ["nope"], "SecurityGroupIds": ["sg-0123456789abcdef0"]},
                                    "lambda_concurrency": -1}})
    data = tomllib.loads(conversion.text)
    assert "vpc" not in data["app"] and "reserved_concurrency" not in data["app"]
    assert "vpc_config (stage dev): subnet_ids: \"nope\" is not a subnet id" in conversion.text
