"""The user's environment values never reach an AWS error message, in whatever spelling AWS or
botocore gives them: as they are, JSON-escaped (ASCII or not, once or twice), or as a repr."""

from __future__ import annotations

import json

import boto3
import pytest

from wsdeploy.provision.aws import Aws
from wsdeploy.provision.aws.core import REDACTED

SECRETS = ['pa"ss\\w\u00f6rd', "caf\u00e9-cr\u00e8me", "line1\nline2\ttab", "emoji-\U0001f600-key",
           "it's/a<b>&c", "zero\u200bwidth", "plain-secret-123"]


def spellings(value: str) -> dict[str, str]:
    once = json.dumps(value)[1:-1]
    return {
        "raw": value,
        "json ascii": once,
        "json utf-8": json.dumps(value, ensure_ascii=False)[1:-1],
        "json, slashes escaped": once.replace("/", "\\/"),
        "json, hex in capitals": json.dumps(value)[1:-1].replace("\\u00f6", "\\u00F6")
                                                        .replace("\\u00e9", "\\u00E9"),
        "json twice": json.dumps(once)[1:-1],
        "repr": repr(value)[1:-1],
        "ascii": ascii(value)[1:-1],
        "utf-8 bytes repr": repr(value.encode("utf-8"))[2:-1],
    }


@pytest.fixture
def aws():
    return Aws(boto3.Session(region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y"))


@pytest.mark.parametrize("secret", SECRETS)
def test_every_spelling_of_a_value_is_blanked(aws, secret):
    aws.hide([secret, "other-value"])
    for name, spelled in spellings(secret).items():
        message = f'Value {spelled} at "Environment.Variables.KEY" failed to satisfy constraint'
        assert aws.redact(message) == (f'Value {REDACTED} at "Environment.Variables.KEY" failed to '
                                       "satisfy constraint"), name


def test_a_value_quoted_inside_a_json_document_is_blanked(aws):
    secret = 'a"b\\c\u00e9'
    aws.hide([secret])
    document = json.dumps({"Variables": {"DB_PASSWORD": secret, "MODE": "x"}})
    assert aws.redact(f"could not parse {document}") == (
        'could not parse {"Variables": {"DB_PASSWORD": "***", "MODE": "x"}}')
    assert aws.redact(f"nested: {json.dumps(document)}") == (
        'nested: "{\\"Variables\\": {\\"DB_PASSWORD\\": \\"***\\", \\"MODE\\": \\"x\\"}}"')


def test_a_longer_value_holding_a_shorter_one_is_blanked_whole(aws):
    aws.hide(["abcd", 'xx"abcd"yy'])
    assert aws.redact('got "xx\\"abcd\\"yy" and abcd') == "got \"***\" and ***"


def test_other_text_and_short_values_are_left_alone(aws):
    aws.hide(["abc", "s3cr\u00e9t!"])
    message = 'Role abc not found; \\u00e9 and s3cr\\u00e8t! stay'
    assert aws.redact(message) == message


def test_nothing_hidden_leaves_messages_as_they_are(aws):
    assert aws.redact("a \\u00e9 \\n message") == "a \\u00e9 \\n message"


def test_lambdas_measured_environment_is_still_cut(aws):
    aws.hide(["whatever-it-is"])
    assert aws.redact('too big. String measured: {"A":"b"}') == (
        "too big. String measured: (not shown: it holds the variables' values)")
