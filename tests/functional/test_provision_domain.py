"""A stage's custom domain against moto in-process, made strict (tests/support/aws_strict_domains:
certificates are ISSUED only when validated or imported, record sets and mappings conflict,
an API that a domain maps cannot be deleted, as on AWS): what `up` creates, which certificate
and zone it picks and refuses, what it never takes over, changes, removal, `down`, adoption,
drift and status."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from tests.support.aws_domains import (DOMAIN, NAME, hosted_zone, issued_certificate, records_at,
                                       requested_certificate)
from tests.support.aws_fixtures import (ACCOUNT, REGION, STRICT_FIXTURES, aws, calls, desired, down,
                                        life, moto_session, session, store)
from tests.support.aws_inventory import (EMPTY, expected_inventory, inventory, record_matches_aws,
                                         route_keys_of)
from tests.support.aws_strict_domains import APIGW_ZONES, domain_target, issue
from wsdeploy.errors import UserError
from wsdeploy.provision.deploy import dns_instructions, prepare_up, result_urls, up
from wsdeploy.provision.desired import DesiredDomain
from wsdeploy.provision.kinds import destructive
from wsdeploy.provision.status import stage_status
from wsdeploy.provision.teardown import prepare_down

__all__ = STRICT_FIXTURES   # the fixtures, imported for pytest

D = desired(domain=DOMAIN)
PLAIN = desired()
TARGET = domain_target(NAME)
# A fresh up of PLAIN makes 17 calls (with the look for a twin API after CreateApi), 12 of them
# writes; a domain adds four look-ups (its name, the zones, the records at the name, the
# certificates) and three writes.
FRESH_CALLS, FRESH_WRITES = 24, 15
NO_OP = ["GetFunction", "GetApi", "GetRoutes", "GetRolePolicy"]


@pytest.fixture
def ready(session):
    """What the user has before `up`: an issued certificate for the name, and its zone."""
    return issued_certificate(session), hosted_zone(session)


def domain_of(session, name: str = NAME) -> dict:
    return session.client("apigatewayv2").get_domain_name(DomainName=name)


def mappings_of(session, name: str = NAME) -> list[dict]:
    return session.client("apigatewayv2").get_api_mappings(DomainName=name)["Items"]


def with_domain(**fields) -> object:
    return replace(D, domain=replace(DOMAIN, **fields))


# -- a fresh up ---------------------------------------------------------------------------------
def test_up_makes_a_regional_tls12_dualstack_domain_a_mapping_and_alias_records(session, aws, store, ready):
    certificate, zone = ready
    _, url = up(aws, D, store)
    domain = domain_of(session)
    config = domain["DomainNameConfigurations"][0]
    assert (config["EndpointType"], config["SecurityPolicy"], config["IpAddressType"]) == (
        "REGIONAL", "TLS_1_2", "dualstack")
    assert config["CertificateArn"] == certificate
    assert domain["Tags"] == {"wsdeploy:app": "chat", "wsdeploy:stage": "dev"}
    api_id = store.load()["resources"]["api"]["id"]
    assert [(m["ApiId"], m["Stage"], m["ApiMappingKey"]) for m in mappings_of(session)] == [(api_id, "dev", "")]
    records = records_at(session, zone)
    for kind in ("A", "AAAA"):
        assert records[kind]["AliasTarget"]["DNSName"].rstrip(".") == TARGET
        assert records[kind]["AliasTarget"]["HostedZoneId"] == APIGW_ZONES[REGION]
    assert inventory(session) == expected_inventory(route_keys_of(D), domains=1)
    record = store.load()
    assert record_matches_aws(session, record) == []
    assert record["resources"]["domain_name"] == {"name": NAME, "certificate_arn": certificate,
                                                  "target": TARGET, "target_zone_id": APIGW_ZONES[REGION]}
    assert result_urls(record) == [f"wss://{NAME}", url] and url.endswith(".amazonaws.com/dev")
    assert dns_instructions(record) is None


def test_a_fresh_up_adds_four_look_ups_and_three_writes_made_after_the_stage(aws, calls, store, ready):
    calls.clear()
    up(aws, D, store)
    assert len(calls.operations) == FRESH_CALLS and len(calls.writes) == FRESH_WRITES
    assert calls.writes[-4:] == ["CreateStage", "CreateDomainName", "CreateApiMapping",
                                 "ChangeResourceRecordSets"]
    assert {"GetDomainName", "ListHostedZones", "ListResourceRecordSets", "ListCertificates"} <= set(calls.reads)


def test_a_no_op_up_reads_nothing_for_the_domain(aws, calls, store, ready):
    up(aws, D, store)
    calls.clear()
    plan, _ = up(aws, D, store)
    assert plan.steps == () and calls.operations == NO_OP


def test_a_base_path_serves_the_stage_under_it_and_changing_it_is_one_update(session, aws, calls, store, ready):
    up(aws, with_domain(base_path="v1"), store)
    assert [m["ApiMappingKey"] for m in mappings_of(session)] == ["v1"]
    assert result_urls(store.load())[0] == f"wss://{NAME}/v1"
    calls.clear()
    plan, _ = up(aws, with_domain(base_path="chat/v2"), store)
    assert [s.describe() for s in plan.steps] == [f"update api mapping {NAME}/chat/v2 (base_path)"]
    assert calls.writes == ["UpdateApiMapping"]
    assert [m["ApiMappingKey"] for m in mappings_of(session)] == ["chat/v2"]
    assert result_urls(store.load())[0] == f"wss://{NAME}/chat/v2"
    assert record_matches_aws(session, store.load()) == []


# -- which certificate --------------------------------------------------------------------------
def test_the_certificate_naming_the_domain_wins_over_a_wildcard_and_the_later_expiry_wins(session, aws, store, ready):
    exact, _ = ready
    issued_certificate(session, "*.example.com", days=900)
    longer = issued_certificate(session, NAME, "other.example.com", days=700)
    up(aws, D, store)
    assert domain_of(session)["DomainNameConfigurations"][0]["CertificateArn"] == longer != exact


def test_a_wildcard_certificate_serves_a_name_one_label_below_it(session, aws, store):
    wildcard = issued_certificate(session, "*.example.com")
    issued_certificate(session, "*.ws.example.com")     # covers a.ws.example.com, not ws.example.com
    hosted_zone(session)
    up(aws, D, store)
    assert domain_of(session)["DomainNameConfigurations"][0]["CertificateArn"] == wildcard


def test_no_usable_certificate_stops_up_before_any_write_saying_why_each_will_not_do(session, aws, calls, store):
    hosted_zone(session)
    pending = requested_certificate(session)
    rsa4096 = issued_certificate(session, NAME, key="RSA_4096")
    other = issued_certificate(session, "api.example.org")
    calls.clear()
    with pytest.raises(UserError) as refused:
        up(aws, D, store)
    message = str(refused.value)
    assert calls.writes == []
    assert f"no ACM certificate in {REGION} can serve {NAME}, so nothing was changed" in message
    assert f"{pending} ({NAME}): PENDING_VALIDATION: ACM has not validated it yet" in message
    assert f"{rsa4096} ({NAME}): its key is RSA_4096" in message
    assert f"{other} (api.example.org): its names (api.example.org) do not cover {NAME}" in message
    assert f"aws acm request-certificate --domain-name {NAME}" in message
    issue(pending)                                  # ACM validates it: now it serves
    up(aws, D, store)
    assert domain_of(session)["DomainNameConfigurations"][0]["CertificateArn"] == pending


def test_an_account_without_certificates_is_told_so(session, aws, store):
    hosted_zone(session)
    with pytest.raises(UserError, match=f"ACM has no certificate in {REGION}"):
        up(aws, D, store)


def test_a_named_certificate_is_used_and_checked(session, aws, calls, store, ready):
    issued_certificate(session, "*.example.com", days=900)       # would be chosen otherwise
    chosen, _ = ready
    up(aws, with_domain(certificate_arn=chosen), store)
    assert domain_of(session)["DomainNameConfigurations"][0]["CertificateArn"] == chosen
    pending = requested_certificate(session)
    missing = chosen[:-4] + "0000"
    other = issued_certificate(session, "api.example.org")
    for arn, why in ((pending, "PENDING_VALIDATION"), (missing, f"is not in ACM in {REGION}"),
                     (other, f"do not cover {NAME}")):
        calls.clear()
        with pytest.raises(UserError, match=why):
            up(aws, with_domain(certificate_arn=arn), store)
        assert calls.writes == []


def test_another_certificate_is_one_update_of_the_domain_name(session, aws, calls, store, ready):
    first, _ = ready
    second = issued_certificate(session, "*.example.com")
    up(aws, with_domain(certificate_arn=first), store)
    calls.clear()
    plan, _ = up(aws, with_domain(certificate_arn=second), store)
    assert [s.describe() for s in plan.steps] == [f"update domain name {NAME} (certificate)"]
    assert calls.writes == ["UpdateDomainName"]
    assert domain_of(session)["DomainNameConfigurations"][0]["CertificateArn"] == second
    assert store.load()["resources"]["domain_name"]["certificate_arn"] == second
    assert records_at(session, hosted_zone_of(store))["A"]["AliasTarget"]["DNSName"].rstrip(".") == TARGET


def hosted_zone_of(store) -> str:
    return store.load()["resources"]["dns_records"]["zone_id"]


# -- which zone ---------------------------------------------------------------------------------
def test_the_public_zone_with_the_longest_matching_name_gets_the_records(session, aws, store):
    name = "ws.api.example.com"
    issued_certificate(session, name)
    hosted_zone(session, "example.com")
    hosted_zone(session, "i.api.example.com")
    hosted_zone(session, "ws.api.example.com", private=True)
    best = hosted_zone(session, "api.example.com")
    up(aws, replace(D, domain=DesiredDomain(name)), store)
    assert set(records_at(session, best, name)) == {"A", "AAAA"}
    assert store.load()["resources"]["dns_records"]["zone_name"] == "api.example.com"


def test_a_named_zone_is_used_and_checked(session, aws, calls, store):
    issued_certificate(session)
    hosted_zone(session, "ws.example.com")
    named = hosted_zone(session, "example.com")
    up(aws, with_domain(hosted_zone_id=named), store)
    assert set(records_at(session, named)) == {"A", "AAAA"}
    private = hosted_zone(session, "example.com", private=True)
    elsewhere = hosted_zone(session, "example.org")
    for zone_id, why in ((private, "is private"), (elsewhere, f"{NAME} does not lie in"),
                         ("Z0000NOSUCHZONE", "does not exist in this account")):
        calls.clear()
        with pytest.raises(UserError, match=why):
            up(aws, with_domain(hosted_zone_id=zone_id), store)
        assert calls.writes == []


def test_two_public_zones_of_one_name_ask_for_hosted_zone_id(session, aws, calls, store):
    issued_certificate(session)
    hosted_zone(session)
    hosted_zone(session)
    calls.clear()
    with pytest.raises(UserError, match="set hosted_zone_id"):
        up(aws, D, store)
    assert calls.writes == []


def test_without_a_zone_no_record_is_made_and_up_says_which_to_make_until_one_appears(session, aws, calls, store):
    issued_certificate(session)
    plan, _ = up(aws, D, store)
    assert any("no public Route 53 hosted zone of this account covers" in n for n in plan.notes)
    assert inventory(session) == expected_inventory(route_keys_of(D), domains=1, dns_records=0)
    said = dns_instructions(store.load())
    assert f"point {NAME} at {TARGET} (a CNAME record" in said and f"wss://{NAME} answers" in said
    calls.clear()
    up(aws, D, store)
    assert calls.operations == NO_OP + ["ListHostedZones"]   # to notice a zone made later
    zone = hosted_zone(session)                 # the zone moves to Route 53: the next up adds the records
    plan, _ = up(aws, D, store)
    assert [s.describe() for s in plan.steps] == [f"create dns records {NAME} (alias A and AAAA in zone example.com)"]
    assert set(records_at(session, zone)) == {"A", "AAAA"} and dns_instructions(store.load()) is None


# -- what is never taken over -------------------------------------------------------------------
@pytest.mark.parametrize("tags, owner", [
    ({}, "has no wsdeploy tags"),
    ({"wsdeploy:app": "chat", "wsdeploy:stage": "prod"}, "belongs to stage prod of app chat"),
    ({"wsdeploy:app": "shop", "wsdeploy:stage": "dev"}, "belongs to stage dev of app shop"),
])
def test_a_domain_name_not_made_for_this_stage_is_refused_before_any_write(session, aws, calls, store, ready, tags, owner):
    certificate, _ = ready
    session.client("apigatewayv2").create_domain_name(
        DomainName=NAME, Tags=tags, DomainNameConfigurations=[{"CertificateArn": certificate}])
    calls.clear()
    with pytest.raises(UserError) as refused:
        up(aws, D, store)
    assert calls.writes == []
    assert f"the custom domain name {NAME} exists in API Gateway but {owner}" in str(refused.value)
    assert "will not take it over" in str(refused.value)


@pytest.mark.parametrize("existing", [
    {"Type": "CNAME", "TTL": 300, "ResourceRecords": [{"Value": "old.example.net"}]},
    {"Type": "A", "TTL": 300, "ResourceRecords": [{"Value": "192.0.2.1"}]},
])
def test_dns_records_someone_else_made_at_the_name_are_refused_before_any_write(session, aws, calls, store, ready, existing):
    _, zone = ready
    session.client("route53").change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
        {"Action": "CREATE", "ResourceRecordSet": {"Name": NAME, **existing}}]})
    calls.clear()
    with pytest.raises(UserError, match="wsdeploy did not make .*will not replace them"):
        up(aws, D, store)
    assert calls.writes == [] and set(records_at(session, zone)) == {existing["Type"]}


# -- turning it off, renaming, moving ----------------------------------------------------------
def test_turning_the_domain_off_deletes_records_then_the_name_and_asks_first(session, aws, calls, store, ready):
    _, zone = ready
    up(aws, D, store)
    prepared = prepare_up(aws, PLAIN, store)
    assert [s.describe() for s in prepared.plan.steps] == [
        f"delete dns records {NAME}: alias A and AAAA in zone example.com",
        f"delete domain name {NAME}: the domain is off in wsdeploy.toml; its API mapping goes with it"]
    assert [s.kind for s in destructive(prepared.plan.steps)] == ["domain_name"]
    assert any(f"wss://{NAME} will stop answering" in n for n in prepared.plan.notes)
    calls.clear()
    up(aws, PLAIN, store)
    assert calls.writes == ["ChangeResourceRecordSets", "DeleteDomainName"]
    assert inventory(session) == expected_inventory(route_keys_of(PLAIN))
    record = store.load()
    assert not {"domain_name", "api_mapping", "dns_records"} & set(record["resources"])
    assert record.get("custom_url") is None and result_urls(record) == [record["url"]]
    assert records_at(session, zone) == {}
    calls.clear()
    assert up(aws, PLAIN, store)[0].steps == () and calls.operations == NO_OP


def test_a_new_name_replaces_the_old_one_whose_records_and_name_go_first(session, aws, calls, store, ready):
    _, zone = ready
    up(aws, D, store)
    new = "live.example.org"
    issued_certificate(session, new)
    other_zone = hosted_zone(session, "example.org")
    calls.clear()
    plan, _ = up(aws, with_domain(name=new), store)
    assert [(s.action, s.kind, s.name) for s in plan.steps] == [
        ("delete", "dns_records", NAME), ("delete", "domain_name", NAME),
        ("create", "domain_name", new), ("create", "api_mapping", new), ("create", "dns_records", new)]
    assert records_at(session, zone) == {} and set(records_at(session, other_zone, new)) == {"A", "AAAA"}
    assert inventory(session) == expected_inventory(route_keys_of(D), domains=1)
    assert record_matches_aws(session, store.load()) == []
    assert result_urls(store.load())[0] == f"wss://{new}"


def test_moving_the_records_to_another_zone_writes_the_new_ones_before_deleting_the_old(session, aws, calls, store, ready):
    _, zone = ready
    up(aws, D, store)
    inner = hosted_zone(session, NAME)
    calls.clear()
    plan, _ = up(aws, with_domain(hosted_zone_id=inner), store)
    assert [s.describe() for s in plan.steps] == [f"update dns records {NAME} (zone)"]
    assert calls.writes == ["ChangeResourceRecordSets", "ChangeResourceRecordSets"]
    assert set(records_at(session, inner)) == {"A", "AAAA"} and records_at(session, zone) == {}
    assert store.load()["resources"]["dns_records"]["zone_id"] == inner


# -- down ---------------------------------------------------------------------------------------
def test_down_deletes_records_and_domain_before_the_api_that_it_maps(session, aws, calls, store, ready):
    up(aws, D, store)
    calls.clear()
    teardown = prepare_down(aws, D, store)
    assert [s.describe() for s in teardown.steps][:3] == [
        f"delete dns records {NAME}: alias A and AAAA", f"delete domain name {NAME}: with its API mapping",
        f"delete api {store.load()['resources']['api']['id']}: with its routes, integration and stage"]
    down(aws, D, store)
    assert calls.writes == ["ChangeResourceRecordSets", "DeleteDomainName", "DeleteApi", "DeleteFunction",
                            "DeleteRolePolicy", "DeleteRole", "DeleteLogGroup"]
    assert inventory(session) == EMPTY and not store.exists()


def test_down_without_a_state_file_finds_the_domain_and_its_records_by_tags(session, aws, store, ready):
    up(aws, D, store)
    store.remove()
    down(aws, PLAIN, store)
    assert inventory(session) == EMPTY


def test_down_leaves_a_domain_name_of_another_stage_alone(session, aws, store, ready):
    certificate, _ = ready
    up(aws, PLAIN, store)
    session.client("apigatewayv2").create_domain_name(
        DomainName=NAME, Tags={"wsdeploy:app": "chat", "wsdeploy:stage": "prod"},
        DomainNameConfigurations=[{"CertificateArn": certificate}])
    down(aws, PLAIN, store)
    assert [d["DomainName"] for d in session.client("apigatewayv2").get_domain_names()["Items"]] == [NAME]


# -- adoption and drift -------------------------------------------------------------------------
def test_a_lost_state_file_adopts_the_domain_mapping_and_records_without_writing(session, aws, calls, store, ready):
    up(aws, D, store)
    store.remove()
    calls.clear()
    plan, _ = up(aws, D, store)
    assert [(s.action, s.kind) for s in plan.steps if s.kind in ("domain_name", "api_mapping", "dns_records")] == [
        ("adopt", "domain_name"), ("adopt", "api_mapping"), ("adopt", "dns_records")]
    assert not {"CreateDomainName", "CreateApiMapping", "ChangeResourceRecordSets"} & set(calls.writes)
    assert record_matches_aws(session, store.load()) == []


def test_status_shows_the_domain_and_up_refresh_puts_back_what_was_changed_by_hand(session, aws, store, ready):
    _, zone = ready
    up(aws, D, store)
    report = stage_status(aws, D, store.load(), None)
    assert [(r.type, r.status) for r in report.resources][-3:] == [
        ("domain_name", "ok"), ("api_mapping", "ok"), ("dns_records", "ok")]
    assert report.custom_url == f"wss://{NAME}" and report.certificate["status"] == "ISSUED"
    assert report.notes == () and report.as_json()["custom_url"] == f"wss://{NAME}"
    mapping = store.load()["resources"]["api_mapping"]["id"]
    session.client("apigatewayv2").update_api_mapping(DomainName=NAME, ApiMappingId=mapping,
                                                      ApiId=store.load()["resources"]["api"]["id"],
                                                      ApiMappingKey="moved")
    records = records_at(session, zone)
    session.client("route53").change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
        {"Action": "DELETE", "ResourceRecordSet": records["AAAA"]}]})
    drift = {(r.type, r.status, r.fields) for r in stage_status(aws, D, store.load(), None).drift}
    assert drift == {("api_mapping", "drifted", ("key",)), ("dns_records", "drifted", ("target",))}
    plan, _ = up(aws, D, store, refresh=True)
    assert [s.describe() for s in plan.steps] == [f"update api mapping {NAME} (base_path)",
                                                  f"update dns records {NAME} (target)"]
    assert stage_status(aws, D, store.load(), None).drift == []


def test_a_domain_name_deleted_by_hand_is_made_again_by_up_refresh(session, aws, store, ready):
    up(aws, D, store)
    session.client("apigatewayv2").delete_domain_name(DomainName=NAME)
    assert {(r.type, r.status) for r in stage_status(aws, D, store.load(), None).drift} == {
        ("domain_name", "missing"), ("api_mapping", "missing")}
    up(aws, D, store, refresh=True)
    assert inventory(session) == expected_inventory(route_keys_of(D), domains=1)
    assert record_matches_aws(session, store.load()) == []


def test_status_warns_of_a_certificate_expiring_within_30_days(session, aws, store):
    hosted_zone(session)
    certificate = issued_certificate(session, days=10)
    up(aws, D, store)
    report = stage_status(aws, D, store.load(), None)
    assert len(report.notes) == 1 and f"the certificate {certificate} expires on" in report.notes[0]
    assert "in 9 days" in report.notes[0] or "in 10 days" in report.notes[0]
    later = stage_status(aws, D, store.load(), None, now=datetime.now(timezone.utc) + timedelta(days=11))
    assert "expired on" in later.notes[0]
    assert stage_status(aws, D, store.load(), None, now=datetime.now(timezone.utc) - timedelta(days=30)).notes == ()
