"""Which ACM certificate serves a custom domain, and what a refusal says: no AWS."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from wsdeploy.errors import UserError
from wsdeploy.provision.certificates import check_given, choose, covers, expiry_warning, why_unusable
from wsdeploy.provision.live import Certificate

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)


def cert(arn: str, *names: str, status: str = "ISSUED", key: str = "RSA_2048", days: int = 365) -> Certificate:
    return Certificate(arn, names, status, key, NOW + timedelta(days=days))


@pytest.mark.parametrize("pattern, name, expected", [
    ("ws.example.com", "ws.example.com", True),
    ("WS.Example.com.", "ws.example.com", True),
    ("*.example.com", "ws.example.com", True),
    ("*.example.com", "example.com", False),
    ("*.example.com", "a.ws.example.com", False),
    ("*.ws.example.com", "ws.example.com", False),
    ("example.com", "ws.example.com", False),
])
def test_a_name_covers_itself_and_a_wildcard_one_label_below(pattern, name, expected):
    assert covers(pattern, name) is expected


def test_usable_means_covering_issued_and_a_key_api_gateway_takes():
    assert why_unusable(cert("a", "*.example.com"), "ws.example.com") is None
    assert why_unusable(cert("a", "x.example.com"), "ws.example.com") == (
        "its names (x.example.com) do not cover ws.example.com")
    assert why_unusable(cert("a", "ws.example.com", status="EXPIRED"), "ws.example.com") == "EXPIRED: it has expired"
    assert why_unusable(cert("a", "ws.example.com", key="RSA_4096"), "ws.example.com").startswith(
        "its key is RSA_4096: API Gateway's regional domain names take RSA keys of at most 2048 bits")
    assert why_unusable(cert("a", "ws.example.com", key="EC_prime256v1"), "ws.example.com") is None


def test_the_choice_prefers_the_exact_name_then_the_latest_expiry_then_the_arn():
    certs = [cert("wild", "*.example.com", days=900), cert("b", "ws.example.com", days=100),
             cert("c", "ws.example.com", days=300), cert("d", "ws.example.com", days=300, status="PENDING_VALIDATION")]
    assert choose(certs, "ws.example.com", "eu-west-1").arn == "c"
    assert choose(certs[:1], "ws.example.com", "eu-west-1").arn == "wild"
    twins = [cert("y", "ws.example.com"), cert("z", "ws.example.com")]
    assert choose(twins, "ws.example.com", "eu-west-1").arn == choose(twins[::-1], "ws.example.com", "eu-west-1").arn


def test_a_refusal_lists_covering_certificates_first_and_counts_what_it_does_not_show():
    certs = [cert(f"other{i}", f"n{i}.example.org") for i in range(12)] + [
        cert("pending", "ws.example.com", status="PENDING_VALIDATION")]
    with pytest.raises(UserError) as refused:
        choose(certs, "ws.example.com", "eu-west-1")
    lines = str(refused.value).split("\n")
    assert lines[1].startswith("  pending (ws.example.com): PENDING_VALIDATION")
    assert "  ... and 3 more whose names do not cover ws.example.com" in lines


def test_a_named_certificate_must_exist_and_be_usable():
    assert check_given(cert("a", "ws.example.com"), "a", "ws.example.com", "eu-west-1").arn == "a"
    with pytest.raises(UserError, match="is not in ACM in eu-west-1"):
        check_given(None, "a", "ws.example.com", "eu-west-1")
    with pytest.raises(UserError, match="cannot serve ws.example.com, so nothing was changed: REVOKED"):
        check_given(cert("a", "ws.example.com", status="REVOKED"), "a", "ws.example.com", "eu-west-1")


def test_expiry_is_warned_of_under_30_days_only():
    assert expiry_warning(cert("a", "x", days=31), NOW) is None
    assert "expires on 2026-06-30, in 29 days" in expiry_warning(cert("a", "x", days=29), NOW)
    assert "expired on 2026-05-31" in expiry_warning(cert("a", "x", days=-1), NOW)
    assert expiry_warning(Certificate("a"), NOW) is None and expiry_warning(None, NOW) is None
