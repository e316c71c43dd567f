"""Which Route 53 zone a custom domain's records go in, and whose records are at its name."""

from __future__ import annotations

import pytest

from wsdeploy.errors import UserError
from wsdeploy.provision.dns import alias_records, best_zone, check_zone, foreign, ours
from wsdeploy.provision.live import HostedZone, RecordSet

TARGET = "d-abc.execute-api.eu-west-1.amazonaws.com"


def test_the_longest_public_zone_above_the_name_is_best():
    zones = [HostedZone("Z1", "example.com"), HostedZone("Z2", "api.example.com"),
             HostedZone("Z3", "ws.api.example.com", private=True), HostedZone("Z4", "i.api.example.com"),
             HostedZone("Z5", "xapi.example.com")]
    assert best_zone(zones, "ws.api.example.com").id == "Z2"
    assert best_zone(zones, "api.example.com").id == "Z2"
    assert best_zone(zones, "example.org") is None


def test_two_public_zones_of_the_best_name_are_ambiguous():
    with pytest.raises(UserError, match=r"2 public Route 53 hosted zones are named example.com \(Z1, Z2\)"):
        best_zone([HostedZone("Z2", "example.com"), HostedZone("Z1", "example.com")], "ws.example.com")


def test_a_named_zone_must_exist_be_public_and_hold_the_name():
    zone = HostedZone("Z1", "example.com")
    assert check_zone(zone, "Z1", "ws.example.com") is zone
    for found, why in ((None, "does not exist"), (HostedZone("Z1", "example.com", True), "is private"),
                       (HostedZone("Z1", "example.org"), "does not lie in")):
        with pytest.raises(UserError, match=why):
            check_zone(found, "Z1", "ws.example.com")


def test_records_aliasing_our_target_are_ours_and_any_other_a_aaaa_or_cname_is_not():
    found = [RecordSet("ws.example.com", "A", TARGET), RecordSet("ws.example.com", "AAAA", "elsewhere.net"),
             RecordSet("ws.example.com", "TXT", None), RecordSet("ws.example.com", "CNAME", None)]
    assert [r.type for r in ours(found, TARGET.upper() + ".")] == ["A"]
    assert [r.type for r in foreign(found, TARGET)] == ["AAAA", "CNAME"]
    assert [r.type for r in foreign(found, None)] == ["A", "AAAA", "CNAME"]


def test_the_records_are_an_alias_a_and_aaaa_to_the_target_in_its_zone():
    assert alias_records("ws.example.com", TARGET, "ZAPI") == [
        {"Name": "ws.example.com", "Type": t,
         "AliasTarget": {"HostedZoneId": "ZAPI", "DNSName": TARGET, "EvaluateTargetHealth": False}}
        for t in ("A", "AAAA")]
