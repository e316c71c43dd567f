"""A custom domain's DNS in Route 53: which hosted zone its records go in, what they are, and
whether records found at its name are ours. Pure decisions over what Route 53 answered.

The records are an alias A and an alias AAAA at the domain name, both to the domain's regional
target (`d-xxxx.execute-api.REGION.amazonaws.com`, in the zone API Gateway gives with it).
Records carry no tags: ones found at the name are ours only when they alias our domain's target
(made by a run whose answer was lost); any other A, AAAA or CNAME there is someone else's, and
wsdeploy refuses to replace it.
"""

from __future__ import annotations

from typing import Iterable

from ..errors import UserError
from .live import HostedZone, RecordSet

ALIAS_TYPES = ("A", "AAAA")
CONFLICTING = ("A", "AAAA", "CNAME")


def in_zone(zone_name: str, name: str) -> bool:
    return name == zone_name or name.endswith("." + zone_name)


def best_zone(zones: Iterable[HostedZone], name: str) -> HostedZone | None:
    """The account's public zone with the longest name that `name` lies in, or None. Two
    public zones of that name (Route 53 allows it) are ambiguous: UserError."""
    fits = [z for z in zones if not z.private and in_zone(z.name, name)]
    if not fits:
        return None
    longest = max(len(z.name) for z in fits)
    best = sorted(z.id for z in fits if len(z.name) == longest)
    if len(best) > 1:
        raise UserError(f"{len(best)} public Route 53 hosted zones are named "
                        f"{next(z.name for z in fits if len(z.name) == longest)} ({', '.join(best)}): "
                        "set hosted_zone_id in the stage's domain to the one the world sees "
                        "(the one your registrar's name servers point at)")
    return next(z for z in fits if z.id == best[0])


def check_zone(zone: HostedZone | None, zone_id: str, name: str) -> HostedZone:
    """The zone the stage names with hosted_zone_id, if the records can go in it."""
    if zone is None:
        raise UserError(f"the Route 53 hosted zone {zone_id} (domain.hosted_zone_id) does not exist "
                        "in this account, so nothing was changed: check the id (aws route53 "
                        "list-hosted-zones), or leave it out to let wsdeploy find the zone")
    if zone.private:
        raise UserError(f"the Route 53 hosted zone {zone_id} ({zone.name}) is private: clients on "
                        "the internet would not see the records. Name a public zone")
    if not in_zone(zone.name, name):
        raise UserError(f"{name} does not lie in the Route 53 hosted zone {zone_id} ({zone.name}): "
                        f"name a zone of {name} or of a domain above it")
    return zone


def alias_records(name: str, target: str, target_zone_id: str) -> list[dict]:
    """The A and AAAA alias record sets to `target`, as ChangeResourceRecordSets takes them."""
    alias = {"HostedZoneId": target_zone_id, "DNSName": target, "EvaluateTargetHealth": False}
    return [{"Name": name, "Type": t, "AliasTarget": dict(alias)} for t in ALIAS_TYPES]


def ours(records: Iterable[RecordSet], target: str | None) -> list[RecordSet]:
    """The alias A/AAAA records among `records` that point at `target`."""
    target = normal(target) if target else None
    return [r for r in records if r.type in ALIAS_TYPES and target and r.alias_target == target]


def foreign(records: Iterable[RecordSet], target: str | None) -> list[RecordSet]:
    """The A, AAAA and CNAME records that are not ours (that an alias A or AAAA would clash with)."""
    mine = ours(records, target)
    return [r for r in records if r.type in CONFLICTING and r not in mine]


def refuse_foreign(found: list[RecordSet], name: str, zone: HostedZone) -> None:
    if found:
        shown = ", ".join(f"{r.type} {'alias to ' + r.alias_target if r.alias_target else 'record'}"
                          for r in found)
        raise UserError(
            f"{name} already has DNS records in the Route 53 zone {zone.name} ({zone.id}) that "
            f"wsdeploy did not make ({shown}), so nothing was changed: wsdeploy will not replace "
            "them. Delete them if the name is free for this stage, then run `wsdeploy up` again")


def normal(dns_name: str) -> str:
    return dns_name.lower().rstrip(".")
