"""What a stage's custom domain has in AWS: its domain name, API mapping and DNS records, the
certificate it should use and the hosted zone its records go in. Part of `observe`, by the
same rule: what the record names is trusted (a no-op `up` reads nothing for a domain, except
one ListHostedZones while no Route 53 zone covers the name, so that adding one is noticed);
what it does not is looked up by name, and refused before any write when it is not ours.
`full` reads everything (`up --refresh`, `status`), and then picks the certificate afresh.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import record as rec
from .certificates import check_given, choose, covers
from .desired import DOMAIN_ENDPOINT, DOMAIN_IP_TYPE, DOMAIN_TLS, StageNames
from .dns import ALIAS_TYPES, best_zone, check_zone, foreign, ours, refuse_foreign
from .live import Certificate, DomainName, HostedZone, RecordSet
from .ownership import require_domain_ours
from .seen import SeenApi, SeenApiMapping, SeenDnsRecords, SeenDomainName

if TYPE_CHECKING:
    from .aws import Aws


def observe_domain(aws: "Aws", d: StageNames, record: dict | None, api: SeenApi | None,
                   full: bool) -> dict[str, Any]:
    """The domain's fields of `Observed`."""
    want = getattr(d, "domain", None)     # a Desired's DesiredDomain; `down`/`status`: None
    recorded = rec.get(record, "domain_name")
    domain = _domain_name(aws, d, want.name if want else None, recorded, full)
    if want and recorded and want.name != recorded["name"]:
        other = aws.get_domain_name(want.name)      # the new name: free, or ours
        if other is not None:
            require_domain_ours(other.name, other.tags, d)
    zone = _zone(aws, want, rec.get(record, "dns_records"), full) if want else None
    return {"domain_name": domain, "api_mapping": _mapping(aws, d, record, domain, api, full),
            "zone": zone, "dns_records": _dns_records(aws, record, want, domain, zone, full),
            "certificate": _certificate(aws, d, want, domain, full)}


def _domain_name(aws: "Aws", d: StageNames, wanted: str | None, recorded: dict | None,
                 full: bool) -> SeenDomainName | None:
    if recorded and not full:
        return SeenDomainName(recorded["name"], recorded["certificate_arn"], recorded["target"],
                              recorded["target_zone_id"], True)
    name = recorded["name"] if recorded else wanted
    live = aws.get_domain_name(name) if name else None
    if live is None:
        return None
    if not recorded:
        require_domain_ours(live.name, live.tags, d)
    return seen_domain(live, bool(recorded))


def seen_domain(live: DomainName, recorded: bool) -> SeenDomainName:
    settings = (live.endpoint_type, live.security_policy, live.ip_address_type)
    return SeenDomainName(live.name, live.certificate_arn, live.target, live.target_zone_id, recorded,
                          settings_ok=settings == (DOMAIN_ENDPOINT, DOMAIN_TLS, DOMAIN_IP_TYPE))


def _mapping(aws: "Aws", d: StageNames, record: dict | None, domain: SeenDomainName | None,
             api: SeenApi | None, full: bool) -> SeenApiMapping | None:
    if domain is None:
        return None
    mine = rec.get(record, "api_mapping") if domain.recorded else None
    if mine and mine["domain"] == domain.name and not full:
        return SeenApiMapping(mine["id"], mine["api_id"], mine["stage"], mine["key"], True)
    if mine and mine["domain"] == domain.name:
        live = aws.get_api_mapping(domain.name, mine["id"])
        return SeenApiMapping(live.id, live.api_id, live.stage, live.key, True) if live else None
    if api is None:
        return None
    found = [m for m in aws.get_api_mappings(domain.name) if m.api_id == api.id and m.stage == d.stage]
    return SeenApiMapping(found[0].id, found[0].api_id, found[0].stage, found[0].key, False) if found else None


def _zone(aws: "Aws", want: Any, recorded: dict | None, full: bool) -> HostedZone | None:
    """The zone the records belong in: the one named, or the best public one; the recorded
    one is trusted while it is still what is wanted."""
    trusted = (HostedZone(recorded["zone_id"], recorded["zone_name"])
               if recorded and recorded["name"] == want.name and not full else None)
    if want.hosted_zone_id:
        if trusted and trusted.id == want.hosted_zone_id:
            return trusted
        return check_zone(aws.hosted_zone(want.hosted_zone_id), want.hosted_zone_id, want.name)
    return trusted or best_zone(aws.hosted_zones(), want.name)


def _dns_records(aws: "Aws", record: dict | None, want: Any, domain: SeenDomainName | None,
                 zone: HostedZone | None, full: bool) -> SeenDnsRecords | None:
    """The records the record names (trusted, or read with `full`); and, where the records
    are to go (a first time, or moving to another zone or name), what is there already:
    records of ours are adopted, anyone else's refused before any write."""
    recorded = rec.get(record, "dns_records")
    seen = None
    if recorded:
        zone_of = HostedZone(recorded["zone_id"], recorded["zone_name"])
        seen = (seen_records(aws.record_sets(zone_of.id, recorded["name"]), zone_of, recorded["name"], True)
                if full else SeenDnsRecords(zone_of.id, zone_of.name, recorded["name"], recorded["target"], True))
    if want is None or zone is None or (seen and (seen.zone_id, seen.name) == (zone.id, want.name)):
        return seen
    found = aws.record_sets(zone.id, want.name)
    target = domain.target if domain and domain.name == want.name else None
    refuse_foreign(foreign(found, target), want.name, zone)
    return seen or seen_records(ours(found, target), zone, want.name, False)


def seen_records(found: list[RecordSet], zone: HostedZone, name: str, recorded: bool) -> SeenDnsRecords | None:
    """The alias A and AAAA at `name`; target None when they do not both alias one name."""
    aliases = {r.type: r.alias_target for r in found if r.type in ALIAS_TYPES and r.alias_target}
    if not aliases:
        return None
    target = aliases["A"] if aliases.get("A") == aliases.get("AAAA") else None
    return SeenDnsRecords(zone.id, zone.name, name, target, recorded)


def _certificate(aws: "Aws", d: StageNames, want: Any, domain: SeenDomainName | None,
                 full: bool) -> Certificate | None:
    """The certificate the domain should use: the one named, or the best one ACM has, or
    (a plain `up`, the domain unchanged) the domain's own, trusted. Without a wanted domain
    (`status`), the domain's own, read for its expiry."""
    if want is None:
        return aws.describe_certificate(domain.certificate_arn) if full and domain else None
    kept = domain.certificate_arn if domain and domain.name == want.name and not full else None
    if want.certificate_arn:
        if kept == want.certificate_arn:
            return Certificate(kept)
        return check_given(aws.describe_certificate(want.certificate_arn), want.certificate_arn,
                           want.name, d.region)
    if kept:
        return Certificate(kept)
    listed = [c if c.names_complete or any(covers(n, want.name) for n in c.names)
              else aws.describe_certificate(c.arn) or c for c in aws.list_certificates()]
    return choose(listed, want.name, d.region)
