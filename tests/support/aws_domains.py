"""What a custom domain needs before `up` runs, made in moto the way a user has it in AWS: an
ACM certificate (imported, hence ISSUED at once; or requested, PENDING_VALIDATION until
`aws_strict_domains.issue`) and a Route 53 hosted zone. And the desired domain tests deploy.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from functools import lru_cache

import boto3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from wsdeploy.provision.desired import DesiredDomain

NAME = "ws.example.com"
DOMAIN = DesiredDomain(NAME)


@lru_cache(maxsize=None)
def _key(kind: str):
    """One key per kind for the whole run: making an RSA key is the slow part."""
    if kind.startswith("RSA_"):
        return rsa.generate_private_key(public_exponent=65537, key_size=int(kind[4:]))
    return ec.generate_private_key({"EC_prime256v1": ec.SECP256R1(), "EC_secp384r1": ec.SECP384R1()}[kind])


def certificate_pem(names: tuple[str, ...], days: float = 365, key: str = "RSA_2048") -> tuple[bytes, bytes]:
    """A self-signed certificate for `names` (the first is the CN), valid `days` from now."""
    private = _key(key)
    now = datetime.now(timezone.utc)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(private.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
            .sign(private, hashes.SHA256()))
    key_pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def issued_certificate(session: boto3.Session, *names: str, days: float = 365, key: str = "RSA_2048") -> str:
    """An imported certificate for `names` (default the test's name): ISSUED at once."""
    cert, private = certificate_pem(names or (NAME,), days, key)
    return session.client("acm").import_certificate(Certificate=cert, PrivateKey=private)["CertificateArn"]


def requested_certificate(session: boto3.Session, *names: str) -> str:
    """A certificate requested from ACM: PENDING_VALIDATION until validated."""
    names = names or (NAME,)
    return session.client("acm").request_certificate(
        DomainName=names[0], SubjectAlternativeNames=list(names), ValidationMethod="DNS")["CertificateArn"]


def hosted_zone(session: boto3.Session, name: str = "example.com", private: bool = False) -> str:
    """A Route 53 hosted zone; its id without /hostedzone/."""
    params = {"HostedZoneConfig": {"PrivateZone": True, "Comment": "test"},
              "VPC": {"VPCRegion": "eu-west-1", "VPCId": "vpc-12345678"}} if private else {}
    made = session.client("route53").create_hosted_zone(Name=name, CallerReference=str(uuid.uuid4()), **params)
    return made["HostedZone"]["Id"].split("/")[-1]


def records_at(session: boto3.Session, zone_id: str, name: str = NAME) -> dict[str, dict]:
    """{type: record set} at exactly `name` in the zone (but a zone apex's own NS and SOA)."""
    sets = session.client("route53").list_resource_record_sets(
        HostedZoneId=zone_id, StartRecordName=name, MaxItems="20")["ResourceRecordSets"]
    return {r["Type"]: r for r in sets if r["Name"].rstrip(".") == name and r["Type"] not in ("NS", "SOA")}
