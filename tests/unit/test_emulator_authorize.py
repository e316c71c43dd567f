"""What the emulator's gateway makes of an authorizer's answer, identity sources and the cache."""

from __future__ import annotations

import pytest

from wsdeploy.emulator.authorize import (AnswerCache, authorizer_verdict, identity_values,
                                         sigv4_signed)
from wsdeploy.emulator.decisions import Outcome

ARN = "arn:aws:execute-api:us-east-1:000000000000:abcdefghij/dev/$connect"


def policy(effect: str, resource: str = ARN, **extra) -> dict:
    return {"principalId": "ann", "policyDocument": {"Version": "2012-10-17", "Statement": [
        {"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}]}, **extra}


@pytest.mark.parametrize("answer,status", [
    (policy("Allow"), 200),
    (policy("Allow", "arn:aws:execute-api:us-east-1:000000000000:abcdefghij/*"), 200),
    (policy("Allow", "arn:aws:execute-api:us-east-1:000000000000:other/dev/$connect"), 403),
    (policy("Deny"), 403),
    ({"principalId": "ann"}, 500),
    (policy("Allow", context={"nested": {"a": 1}}), 500),
    (policy("Allow") | {"principalId": 7}, 500),
])
def test_the_answer_decides_the_handshake(answer, status):
    assert authorizer_verdict(Outcome("$connect", result=answer), ARN).status == status


def test_unauthorized_is_401_and_any_other_error_500():
    assert authorizer_verdict(Outcome("$connect", error="Exception: Unauthorized"), ARN).status == 401
    failed = authorizer_verdict(Outcome("$connect", error="Traceback...\nKeyError: 'token'"), ARN)
    assert failed.status == 500 and failed.detail == "authorizer failed: KeyError: 'token'"


def test_identity_sources_are_read_from_their_places_and_empty_is_missing():
    event = {"headers": {"authorization": "Bearer x"}, "queryStringParameters": {"t": ""},
             "stageVariables": {"k": "v"}, "requestContext": {"stage": "dev"}}
    assert identity_values(("route.request.header.Authorization", "stageVariables.k", "context.stage"),
                           event) == ("Bearer x", "v", "dev")
    assert identity_values(("route.request.querystring.t",), event) is None
    assert identity_values((), event) == ()


def test_the_cache_keeps_allow_and_deny_for_their_seconds_only():
    now = [0.0]
    cache = AnswerCache(clock=lambda: now[0])
    allowed = authorizer_verdict(Outcome("$connect", result=policy("Allow")), ARN)
    failed = authorizer_verdict(Outcome("$connect", error="boom"), ARN)
    cache.put(("a",), allowed, 3.0, 60)
    cache.put(("b",), failed, 3.0, 60)
    assert cache.get(("a",)) == (allowed, 3.0) and cache.get(("b",)) is None
    now[0] = 60.0
    assert cache.get(("a",)) is None


def test_a_sigv4_signature_is_a_header_or_a_presigned_query():
    assert sigv4_signed([("Authorization", "AWS4-HMAC-SHA256 Credential=...")], {})
    assert sigv4_signed([], {"X-Amz-Signature": ["00"]})
    assert not sigv4_signed([("Authorization", "Bearer x")], {})
