"""moto made to answer as AWS does for custom domains, where it is lenient or lacks an
operation (part of the strict layer: aws_strict.make_strict hooks these in).

API Gateway (v2): a domain name has a regional target and its zone (moto gives neither:
`complete_domain_answers`, which needs no backend, so the benchmark's moto server gets it too);
CreateDomainName refuses a certificate that is not ISSUED or does not cover the name, and a
name that exists (BadRequestException, not moto's ConflictException); UpdateDomainName and
UpdateApiMapping work (moto lacks them); DeleteDomainName takes its mappings (moto's fails
on them); a mapping key is unique per domain (ConflictException) and needs the stage to exist;
an API that a domain maps cannot be deleted (BadRequestException).

ACM: certificates never become ISSUED by themselves (moto issues a requested one after 60 s):
`issue` does it, as validation would; one past its NotAfter is EXPIRED; ListCertificates shows
only RSA_1024 and RSA_2048 keys unless told the key types, and names in
SubjectAlternativeNameSummaries (moto: neither).

Route 53: ChangeResourceRecordSets refuses to CREATE a record set that exists, to DELETE one
that does not or with other values than it has, an A/AAAA beside a CNAME of the same name, and
an alias to an API Gateway target that is not a domain's (moto: none of these).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

from tests.support.aws_fixtures import ACCOUNT, REGION
from tests.support.aws_strict import _apigw_backend, _error, _ok

# API Gateway's regional endpoints' Route 53 zones (AWS's table of service endpoints)
APIGW_ZONES = {"eu-west-1": "ZLY8HYME6SFDD", "us-east-1": "Z1UJRXOUMOOFQ8"}
DEFAULT_KEY_TYPES = ("RSA_1024", "RSA_2048")
Answer = tuple[AWSResponse, dict] | None


def domain_target(name: str, region: str = REGION) -> str:
    """The regional target API Gateway gives a domain name (stable per name here)."""
    return f"d-{hashlib.sha1(name.encode()).hexdigest()[:10]}.execute-api.{region}.amazonaws.com"


def complete_domain_answers(session: boto3.Session) -> None:
    """Domain names answer with their target, its zone and their status, as on AWS."""
    def complete(parsed: dict, model: Any, **_: Any) -> None:
        items = parsed.get("Items", []) if model.name == "GetDomainNames" else [parsed]
        for item in items:
            region = session.region_name or REGION
            for config in item.get("DomainNameConfigurations") or []:
                config.setdefault("ApiGatewayDomainName", domain_target(item["DomainName"], region))
                config.setdefault("HostedZoneId", APIGW_ZONES.get(region, "Z0000000APIGATEWAY"))
                config.setdefault("DomainNameStatus", "AVAILABLE")
                config.setdefault("IpAddressType", "ipv4")

    for operation in ("CreateDomainName", "GetDomainName", "GetDomainNames", "UpdateDomainName"):
        session.events.register(f"after-call.apigatewayv2.{operation}", complete)


# -- ACM ---------------------------------------------------------------------------------------
def _acm_backend() -> Any:
    from moto.acm.models import acm_backends
    return acm_backends[ACCOUNT][REGION]


def issue(arn: str) -> None:
    """ACM validates the certificate: it becomes ISSUED."""
    _acm_backend()._certificates[arn].status = "ISSUED"


def _described(bundle: Any) -> dict:
    """A certificate as AWS describes it, from moto's record, without moto's own status rules."""
    data = bundle.describe()["Certificate"]
    not_after = datetime.fromtimestamp(data["NotAfter"], timezone.utc)
    status = "EXPIRED" if not_after < datetime.now(timezone.utc) else bundle.status
    names = list(dict.fromkeys([data["DomainName"], *data.get("SubjectAlternativeNames", [])]))
    return {"CertificateArn": bundle.arn, "DomainName": data["DomainName"],
            "SubjectAlternativeNames": names, "Status": status, "Type": data["Type"],
            "KeyAlgorithm": data["KeyAlgorithm"], "NotAfter": not_after}


def acm_answer(operation: str, p: dict) -> Answer:
    certificates = _acm_backend()._certificates
    if operation == "DescribeCertificate":
        if p["CertificateArn"] not in certificates:
            return _error(operation, "ResourceNotFoundException",
                          f"Could not find certificate {p['CertificateArn']}.")
        return _ok({"Certificate": _described(certificates[p["CertificateArn"]])})
    if operation == "ListCertificates":
        key_types = (p.get("Includes") or {}).get("keyTypes") or DEFAULT_KEY_TYPES
        listed = []
        for bundle in certificates.values():
            c = _described(bundle)
            if c["KeyAlgorithm"] in key_types and c["Status"] in p.get("CertificateStatuses", [c["Status"]]):
                names = c.pop("SubjectAlternativeNames")
                listed.append({**c, "SubjectAlternativeNameSummaries": names[:100],
                               "HasAdditionalSubjectAlternativeNames": len(names) > 100})
        start, size = int(p.get("NextToken") or 0), int(p.get("MaxItems") or 1000)
        page = {"CertificateSummaryList": listed[start:start + size]}
        if start + size < len(listed):
            page["NextToken"] = str(start + size)
        return _ok(page)
    return None


def _certificate_problem(arn: str, name: str) -> str | None:
    from wsdeploy.provision.certificates import covers
    bundle = _acm_backend()._certificates.get(arn)
    if bundle is None:
        return f"Certificate {arn} not found in {REGION}"
    c = _described(bundle)
    if c["Status"] != "ISSUED":
        return f"Certificate {arn} is not ISSUED ({c['Status']})"
    if not any(covers(n, name) for n in c["SubjectAlternativeNames"]):
        return f"Certificate {arn} does not cover {name}"
    return None


# -- API Gateway -----------------------------------------------------------------------------
def _domain_json(domain: Any) -> dict:
    """As botocore parses it (moto keeps the configurations as the wire has them)."""
    return {"DomainName": domain.domain_name, "DomainNameArn": domain.domain_name_arn,
            "ApiMappingSelectionExpression": domain.api_mapping_selection_expression,
            "DomainNameConfigurations": [{k[0].upper() + k[1:]: v for k, v in c.items()}
                                         for c in domain.domain_name_configurations],
            "Tags": dict(domain.tags or {})}


def apigw_domain_answer(operation: str, p: dict) -> Answer:
    backend = _apigw_backend()
    domains, mappings = backend.domain_names, backend.api_mappings
    if operation in ("CreateDomainName", "UpdateDomainName"):
        name = p["DomainName"]
        if operation == "CreateDomainName" and name in domains:
            return _error(operation, "BadRequestException", "The domain name you provided already exists.")
        if operation == "UpdateDomainName" and name not in domains:
            return _error(operation, "NotFoundException", "Invalid domain name identifier specified", 404)
        for config in p.get("DomainNameConfigurations", []):
            problem = _certificate_problem(config.get("CertificateArn", ""), name)
            if problem:
                return _error(operation, "BadRequestException", problem)
        if operation == "UpdateDomainName":
            domains[name].domain_name_configurations = [{k[0].lower() + k[1:]: v for k, v in c.items()}
                                                        for c in p["DomainNameConfigurations"]]
            return _ok(_domain_json(domains[name]))
    if operation == "DeleteDomainName" and p["DomainName"] in domains:   # moto's fails on mappings
        for mapping_id in [i for i, m in mappings.items() if m.domain_name == p["DomainName"]]:
            del mappings[mapping_id]
        del domains[p["DomainName"]]
        return _ok({})
    if operation in ("CreateApiMapping", "UpdateApiMapping") and p["DomainName"] in domains:
        mine = mappings.get(p.get("ApiMappingId", ""))
        if operation == "UpdateApiMapping" and (mine is None or mine.domain_name != p["DomainName"]):
            return _error(operation, "NotFoundException", "Invalid api mapping identifier specified", 404)
        key = p.get("ApiMappingKey", mine.api_mapping_key if mine else "")
        if any(m.domain_name == p["DomainName"] and m.api_mapping_key == key and m is not mine
               for m in mappings.values()):
            return _error(operation, "ConflictException", "ApiMapping key already exists for this domain name", 409)
        api = backend.apis.get(p["ApiId"])
        if api is not None and p.get("Stage", mine.stage if mine else None) not in api.stages:
            return _error(operation, "NotFoundException", "Invalid stage identifier specified", 404)
        if operation == "UpdateApiMapping":
            mine.api_id, mine.api_mapping_key = p["ApiId"], key
            mine.stage = p.get("Stage", mine.stage)
            return _ok({"ApiId": mine.api_id, "ApiMappingId": mine.api_mapping_id,
                        "ApiMappingKey": mine.api_mapping_key, "Stage": mine.stage})
    if operation == "DeleteApi" and any(m.api_id == p["ApiId"] for m in mappings.values()):
        return _error(operation, "BadRequestException",
                      f"Deleting API {p['ApiId']} failed. Please remove all API mappings for the API "
                      "from your custom domain names.")
    return None


# -- Route 53 -----------------------------------------------------------------------------------
def _zone(zone_id: str) -> Any:
    from moto.route53.models import route53_backends
    return route53_backends[ACCOUNT]["aws"].zones.get(zone_id.split("/")[-1])


def _dotted(name: str) -> str:
    return name if name.endswith(".") else name + "."


def _values(record: dict) -> Any:
    alias = record.get("AliasTarget")
    if alias:
        return ("alias", alias["HostedZoneId"], alias["DNSName"].lower().rstrip("."))
    return ("records", record.get("TTL"), sorted(str(r.get("Value")) for r in record.get("ResourceRecords", [])))


def _live_values(rrset: Any) -> Any:
    if rrset.alias_target:
        a = rrset.alias_target
        return ("alias", a["HostedZoneId"], a["DNSName"].lower().rstrip("."))
    return ("records", int(rrset.ttl) if rrset.ttl else None, sorted(str(v) for v in rrset.records))


def route53_answer(operation: str, p: dict) -> Answer:
    if operation != "ChangeResourceRecordSets":
        return None
    zone = _zone(p["HostedZoneId"])
    if zone is None:
        return None          # moto says NoSuchHostedZone
    targets = {domain_target(name): APIGW_ZONES[REGION] for name in _apigw_backend().domain_names}
    problems = []
    for change in p["ChangeBatch"]["Changes"]:
        action, record = change["Action"], change["ResourceRecordSet"]
        name, kind = _dotted(record["Name"]), record["Type"]
        here = [r for r in zone.rrsets if r.name == name]
        same = next((r for r in here if r.type == kind), None)
        alias = record.get("AliasTarget")
        if action == "CREATE" and same is not None:
            problems.append(f"Tried to create resource record set [name='{name}', type='{kind}'] but it already exists")
        clash = [r.type for r in here if (r.type == "CNAME") != (kind == "CNAME")]   # CNAME stands alone
        if action in ("CREATE", "UPSERT") and clash:
            problems.append(f"RRSet of type {kind} with DNS name {name} is not permitted because a "
                            f"conflicting RRSet of type {clash[0]} with the same DNS name already "
                            f"exists in zone {zone.name}")
        if action in ("CREATE", "UPSERT") and alias and ".execute-api." in alias["DNSName"]:
            dns = alias["DNSName"].lower().rstrip(".")
            if targets.get(dns) != alias["HostedZoneId"]:
                problems.append(f"Tried to create an alias that targets {dns}., type {kind} in zone "
                                f"{alias['HostedZoneId']}, but the alias target name does not lie "
                                "within the target zone")
        if action == "DELETE" and same is None:
            problems.append(f"Tried to delete resource record set [name='{name}', type='{kind}'] but it was not found")
        elif action == "DELETE" and _values(record) != _live_values(same):
            problems.append(f"Tried to delete resource record set [name='{name}', type='{kind}'] but "
                            "the values provided do not match the current values")
    if problems:
        return _error(operation, "InvalidChangeBatch", "[" + ", ".join(problems) + "]")
    return None


def domain_answer(service: str, operation: str, p: dict) -> Answer:
    """The strict answer for the custom domain's services, or None (moto answers)."""
    if service == "acm":
        return acm_answer(operation, p)
    if service == "route53":
        return route53_answer(operation, p)
    if service == "apigatewayv2":
        return apigw_domain_answer(operation, p)
    return None
