"""Which ACM certificate a custom domain uses, and why the others will not do: pure decisions
over what ACM listed or described, so they are unit-tested without AWS.

API Gateway serves a regional domain name with a certificate from ACM in the API's region
that is ISSUED and whose names cover the domain name, exactly or by a wildcard of one label
(`*.example.com` covers `ws.example.com`, not `example.com` nor `a.ws.example.com`). Its
regional endpoints take RSA keys of at most 2048 bits (AWS's documentation) and ECDSA keys on
P-256 and P-384 (the curves ACM issues; unverified against a real domain name).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Iterable

from ..errors import UserError
from .live import Certificate

USABLE_KEYS = frozenset({"RSA_1024", "RSA_2048", "EC_prime256v1", "EC_secp384r1"})
KEY_TYPES = ("RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1",
             "EC_secp521r1")   # every type ACM knows: its listing shows only RSA_2048 unless told
EXPIRY_WARNING_DAYS = 30
SHOWN = 10        # certificates listed by name in a refusal; the rest are counted

STATUS_HINTS = {
    "PENDING_VALIDATION": "ACM has not validated it yet: create the CNAME record `aws acm "
                          "describe-certificate` shows for it, and wait for ISSUED",
    "EXPIRED": "it has expired", "REVOKED": "it was revoked", "INACTIVE": "it is inactive",
    "FAILED": "its request failed", "VALIDATION_TIMED_OUT": "its validation timed out (72 h)",
}


def covers(pattern: str, name: str) -> bool:
    """Whether a certificate name serves `name`: equal, or a wildcard of its first label."""
    pattern, name = pattern.lower().rstrip("."), name.lower().rstrip(".")
    if pattern == name:
        return True
    return pattern.startswith("*.") and "." in name and name.split(".", 1)[1] == pattern[2:]


def why_unusable(cert: Certificate, name: str) -> str | None:
    """None when API Gateway can serve `name` with `cert`, else the reason in words."""
    if not any(covers(n, name) for n in cert.names):
        return f"its names ({', '.join(cert.names) or 'none'}) do not cover {name}"
    if cert.status != "ISSUED":
        return f"{cert.status}: {STATUS_HINTS.get(cert.status or '', 'not ISSUED')}"
    if cert.key_algorithm not in USABLE_KEYS:
        return (f"its key is {cert.key_algorithm}: API Gateway's regional domain names take RSA "
                "keys of at most 2048 bits, or ECDSA P-256 or P-384")
    return None


def choose(certs: Iterable[Certificate], name: str, region: str) -> Certificate:
    """The certificate to use for `name`: among the usable ones, one naming it exactly before
    a wildcard, then the one that expires last. UserError (before any write) listing what was
    considered and why each will not do, when none is usable."""
    certs = list(certs)
    usable = [c for c in certs if why_unusable(c, name) is None]
    if usable:
        return max(usable, key=lambda c: (any(n.lower() == name for n in c.names),
                                          c.not_after or datetime.min.replace(tzinfo=timezone.utc),
                                          c.arn))
    covering = [c for c in certs if any(covers(n, name) for n in c.names)]
    others = [c for c in certs if c not in covering]
    shown = (covering + others)[:SHOWN]
    lines = [f"  {c.arn} ({', '.join(c.names[:3]) or 'no names'}): {why_unusable(c, name)}" for c in shown]
    if len(covering) + len(others) > len(shown):
        lines.append(f"  ... and {len(certs) - len(shown)} more whose names do not cover {name}")
    considered = ("Considered:\n" + "\n".join(lines)) if lines else f"ACM has no certificate in {region}."
    raise UserError(
        f"no ACM certificate in {region} can serve {name}, so nothing was changed. {considered}\n"
        f"  Request one (aws acm request-certificate --domain-name {name} --validation-method DNS "
        f"--region {region}) and validate it, or import one, then run `wsdeploy up` again; or name "
        "one with certificate_arn in the stage's domain")


def check_given(cert: Certificate | None, arn: str, name: str, region: str) -> Certificate:
    """The certificate the stage names with certificate_arn, if API Gateway can use it."""
    if cert is None:
        raise UserError(f"the certificate {arn} (domain.certificate_arn) is not in ACM in {region}, "
                        "so nothing was changed: check the ARN (aws acm list-certificates "
                        f"--region {region}), or leave it out to let wsdeploy find one")
    reason = why_unusable(cert, name)
    if reason:
        raise UserError(f"the certificate {arn} (domain.certificate_arn) cannot serve {name}, so "
                        f"nothing was changed: {reason}")
    return cert


def expiry_warning(cert: Certificate | None, now: datetime) -> str | None:
    """A warning when `cert` expires within EXPIRY_WARNING_DAYS (or has)."""
    if cert is None or cert.not_after is None:
        return None
    days = (cert.not_after - now).total_seconds() / 86400
    if days >= EXPIRY_WARNING_DAYS:
        return None
    when = cert.not_after.strftime("%Y-%m-%d")
    if days < 0:
        return f"the certificate {cert.arn} expired on {when}: clients can no longer connect securely"
    return (f"the certificate {cert.arn} expires on {when}, in {int(days)} days: ACM renews the "
            "certificates it issued while their validation records remain; renew or re-import an "
            "imported one")
