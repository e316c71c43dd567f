"""Route 53: the hosted zone of a custom domain, and its alias A and AAAA records."""

from __future__ import annotations

from typing import Mapping

from ..dns import normal, ours
from ..errors import AwsCallError
from ..live import HostedZone, RecordSet
from ..permissions import HOSTED_ZONES, LIST_HOSTED_ZONES, Need, declare
from .core import AwsCore

declare("route53", {
    "list_hosted_zones": Need(LIST_HOSTED_ZONES, "route53:ListHostedZones"),
    "get_hosted_zone": Need(HOSTED_ZONES, "route53:GetHostedZone"),
    "list_resource_record_sets": Need(HOSTED_ZONES, "route53:ListResourceRecordSets"),
    "change_resource_record_sets": Need(HOSTED_ZONES, "route53:ChangeResourceRecordSets"),
})

LISTED = "20"       # record sets read at a name: all its types, in one page


class Route53Calls(AwsCore):
    def hosted_zones(self) -> list[HostedZone]:
        """Every hosted zone of the account (public and private)."""
        zones, marker = [], None
        while True:
            page = self._call("route53", "list_hosted_zones", **({"Marker": marker} if marker else {}))
            zones += [_zone(z) for z in page.get("HostedZones", [])]
            marker = page.get("NextMarker")
            if not page.get("IsTruncated") or not marker:
                return zones

    def hosted_zone(self, zone_id: str) -> HostedZone | None:
        found = self._call("route53", "get_hosted_zone", missing_ok=True, Id=zone_id)
        return _zone(found["HostedZone"]) if found else None

    def record_sets(self, zone_id: str, name: str) -> list[RecordSet]:
        """The record sets at exactly `name` (every type; none when the zone is gone): the
        listing starts at the name, and its own types come first."""
        page = self._call("route53", "list_resource_record_sets", missing_ok=True, HostedZoneId=zone_id,
                          StartRecordName=name, MaxItems=LISTED) or {}   # None: the zone is gone
        found = [_record(r) for r in page.get("ResourceRecordSets", [])]
        return [r for r in found if r.name == normal(name)]

    def change_records(self, zone_id: str, changes: list[tuple[str, Mapping]]) -> None:
        """One atomic batch of (CREATE | UPSERT | DELETE, record set)."""
        self._call("route53", "change_resource_record_sets", HostedZoneId=zone_id, ChangeBatch={
            "Comment": "wsdeploy: custom domain",
            "Changes": [{"Action": action, "ResourceRecordSet": dict(record)} for action, record in changes]})

    def delete_alias_records(self, zone_id: str, name: str, target: str) -> None:
        """Deletes the A and AAAA records at `name` that alias `target`, exactly as they are now
        (Route 53 deletes only on an exact match); others stay. None left counts as done."""
        mine = ours(self.record_sets(zone_id, name), target)
        if not mine:
            return
        try:
            self.change_records(zone_id, [("DELETE", r.raw) for r in mine])
        except AwsCallError as error:   # gone meanwhile (a re-sent delete): done
            if error.code != "InvalidChangeBatch" or "not found" not in error.message:
                raise


def _zone(data: Mapping) -> HostedZone:
    return HostedZone(id=data["Id"].split("/")[-1], name=normal(data["Name"]),
                      private=bool((data.get("Config") or {}).get("PrivateZone")))


def _record(data: Mapping) -> RecordSet:
    alias = data.get("AliasTarget")
    return RecordSet(name=normal(data["Name"]), type=data["Type"],
                     alias_target=normal(alias["DNSName"]) if alias else None, raw=dict(data))
