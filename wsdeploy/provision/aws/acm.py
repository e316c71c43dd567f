"""ACM: the certificates a custom domain may use (read only: wsdeploy never makes one)."""

from __future__ import annotations

from typing import Mapping

from ..certificates import KEY_TYPES
from ..live import Certificate
from ..permissions import CERTIFICATES, LIST_CERTIFICATES, Need, declare
from .core import AwsCore

declare("acm", {"list_certificates": Need(LIST_CERTIFICATES, "acm:ListCertificates"),
                "describe_certificate": Need(CERTIFICATES, "acm:DescribeCertificate")})


class AcmCalls(AwsCore):
    def list_certificates(self) -> list[Certificate]:
        """Every certificate of the region, whatever its status or key type (ACM lists only
        RSA_2048 ones unless told the types)."""
        found, token = [], None
        while True:
            page = self._call("acm", "list_certificates", Includes={"keyTypes": list(KEY_TYPES)},
                              MaxItems=1000, **({"NextToken": token} if token else {}))
            found += [_summary(item) for item in page.get("CertificateSummaryList", [])]
            token = page.get("NextToken")
            if not token:
                return found

    def describe_certificate(self, arn: str) -> Certificate | None:
        found = self._call("acm", "describe_certificate", missing_ok=True, CertificateArn=arn)
        if found is None:
            return None
        data = found["Certificate"]
        return Certificate(arn=data["CertificateArn"],
                           names=_names(data.get("DomainName"), data.get("SubjectAlternativeNames")),
                           status=data.get("Status"), key_algorithm=data.get("KeyAlgorithm"),
                           not_after=data.get("NotAfter"))


def _summary(data: Mapping) -> Certificate:
    return Certificate(arn=data["CertificateArn"],
                       names=_names(data.get("DomainName"), data.get("SubjectAlternativeNameSummaries")),
                       status=data.get("Status"), key_algorithm=data.get("KeyAlgorithm"),
                       not_after=data.get("NotAfter"),
                       names_complete=not data.get("HasAdditionalSubjectAlternativeNames", False))


def _names(domain: str | None, alternatives: list | None) -> tuple[str, ...]:
    """The certificate's names, its DomainName first (the alternatives repeat it)."""
    return tuple(dict.fromkeys([*([domain] if domain else []), *(alternatives or [])]))
