"""How `observe` reads AWS's answers, without AWS: a fake answers the typed calls.

Which resources are trusted from the record and which are read, which API is kept among
duplicates, which integration is ours, and what a record of another account means.
"""

from __future__ import annotations

import pytest

from tests.support.aws_fixtures import ACCOUNT, desired
from wsdeploy.errors import UserError
from wsdeploy.provision.desired import TAG_APP, TAG_STAGE, integration_uri
from wsdeploy.provision.live import Api, Function, Identity, Integration, Role, Route
from wsdeploy.provision.observe import observe

D = desired()
TAGS = {TAG_APP: "chat", TAG_STAGE: "dev"}
FUNCTION_ARN = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:chat-dev-ws"


def function(endpoint_api: str = "") -> Function:
    env = {"WEBSOCKET_API_GATEWAY_ENDPOINT": f"https://{endpoint_api}.execute-api.eu-west-1.amazonaws.com/dev"}
    return Function(name=D.name, arn=FUNCTION_ARN, role="r", handler="h", runtime="python3.13",
                    memory=256, timeout=29, architecture="arm64", environment=env, code_sha256="c",
                    state="Active", last_update_status="Successful", state_reason=None, tags=TAGS)


class FakeAws:
    """Answers from plain attributes; `reads` lists every call made."""

    def __init__(self, **answers) -> None:
        self.answers = answers
        self.reads: list[str] = []
        self.hidden: list[str] = []

    def _answer(self, name, default=None):
        self.reads.append(name)
        return self.answers.get(name, default)

    def hide(self, values):
        self.hidden += list(values)

    def identity(self): return self._answer("identity", Identity(ACCOUNT, "aws"))
    def get_role(self, name): return self._answer("get_role")
    def get_role_policy(self, role, policy): return self._answer("get_role_policy")
    def get_log_group(self, name): return self._answer("get_log_group")
    def describe_table(self, name): return self._answer("describe_table")
    def get_function(self, name): return self._answer("get_function")
    def get_api(self, api_id): return self._answer("get_api")
    def find_apis(self, name): return self._answer("find_apis", [])
    def get_routes(self, api_id): return self._answer("get_routes", [])
    def get_integrations(self, api_id): return self._answer("get_integrations", [])
    def get_permission_source(self, name, sid): return self._answer("get_permission_source")
    def get_stage(self, api_id, name): return self._answer("get_stage")
    def get_domain_name(self, name): return self._answer("get_domain_name")
    def get_api_mappings(self, domain): return self._answer("get_api_mappings", [])
    def hosted_zones(self): return self._answer("hosted_zones", [])
    def record_sets(self, zone_id, name): return self._answer("record_sets", [])
    def list_certificates(self): return self._answer("list_certificates", [])


def api(api_id: str, created: str = "2026-01-01", tags=TAGS) -> Api:
    return Api(api_id, D.name, "$request.body.action", tags, created)


def test_with_nothing_recorded_and_nothing_there_everything_is_none():
    aws = FakeAws()
    o = observe(aws, D, None)
    assert (o.role, o.function, o.api, o.log_group, o.table, o.identity) == (None,) * 6
    assert "identity" not in aws.reads      # no record: no account to compare with


def test_the_newest_of_several_unrecorded_apis_is_kept_unless_the_function_names_one():
    apis = [api("old", "2026-01-01"), api("new", "2026-02-01"), api("other", "2026-03-01", tags={})]
    o = observe(FakeAws(find_apis=apis), D, None)
    assert (o.api.id, o.extra_apis, o.api.recorded) == ("new", ("old",), False)
    o = observe(FakeAws(find_apis=apis, get_function=function(endpoint_api="old")), D, None)
    assert (o.api.id, o.extra_apis) == ("old", ("new",))


def test_a_recorded_api_is_read_by_id_and_trusted_without_listing_apis():
    record = {"account": ACCOUNT, "resources": {"api": {"id": "rec"}}}
    aws = FakeAws(get_api=api("rec"), find_apis=[api("dup")])
    o = observe(aws, D, record)
    assert (o.api.id, o.api.recorded, o.extra_apis) == ("rec", True, ())
    assert "find_apis" not in aws.reads
    o = observe(FakeAws(get_api=api("rec"), find_apis=[api("rec"), api("dup")]), D, record, full=True)
    assert o.extra_apis == ("dup",)


def test_the_integration_kept_is_the_one_routes_target_and_other_ones_of_our_function_are_extras():
    uri = integration_uri(D, FUNCTION_ARN)
    found = [Integration("a", uri), Integration("b", uri), Integration("c", "arn:other-function")]
    routes = [Route("r1", "$connect", "integrations/b", False)]
    o = observe(FakeAws(find_apis=[api("x")], get_integrations=found, get_routes=routes), D, None)
    assert (o.integration.id, o.extra_integrations) == ("b", ("a",))


@pytest.mark.parametrize("target, read", [("integrations/mine", False), ("integrations/theirs", True)])
def test_a_recorded_integration_is_read_only_when_a_route_targets_another(target, read):
    """Two `up`s at once each made an integration (or the record is stale): look, then keep the
    recorded one if it exists, else the one the routes target; the other is an extra."""
    uri = integration_uri(D, FUNCTION_ARN)
    record = {"account": ACCOUNT, "resources": {"api": {"id": "x"}, "integration": {"id": "mine", "uri": uri},
                                                "routes": {"$connect": {"id": "r1"}}}}
    aws = FakeAws(get_function=function("x"), get_api=api("x"),
                  get_routes=[Route("r1", "$connect", target, False)],
                  get_integrations=[Integration("theirs", uri)])
    o = observe(aws, D, record)
    assert ("get_integrations" in aws.reads) == read
    assert (o.integration.id, o.integration.recorded) == (("theirs", False) if read else ("mine", True))


def test_what_the_record_names_is_trusted_without_a_read():
    record = {"account": ACCOUNT, "resources": {
        "role": {"arn": "arn:role", "trust_sha256": "t"}, "role_policy": {"sha256": "p"},
        "log_group": {"retention_days": 7}, "table": {"arn": "arn:t", "ttl": "ttl"}}}
    aws = FakeAws()
    o = observe(aws, D, record)
    assert o.role.arn == "arn:role" and o.log_group.retention_days == 7
    assert o.table.ttl_on and o.table.status is None
    assert not {"get_role", "get_log_group", "describe_table"} & set(aws.reads)
    assert "get_role_policy" in aws.reads       # always read: a policy widened by hand is put back


def test_an_unrecorded_table_is_not_looked_for_when_tracking_is_off():
    aws = FakeAws()
    observe(aws, D, None)
    assert "describe_table" not in aws.reads


def test_an_unrecorded_role_of_our_name_without_our_tags_is_refused():
    role = Role(D.name, "arn:role", {}, {})
    with pytest.raises(UserError, match="not tagged wsdeploy:app=chat"):
        observe(FakeAws(get_role=role), D, None)


def test_a_record_of_another_account_is_refused_before_anything_else_is_read():
    """The function's ARN names the credentials' account; without a function, STS does."""
    record = {"account": "999999999999", "resources": {"role": {"arn": "a"}}}
    aws = FakeAws()
    with pytest.raises(UserError, match="records account 999999999999, but these credentials "
                                        f"are for account {ACCOUNT}"):
        observe(aws, D, record)
    assert aws.reads == ["get_function", "identity"]
    aws = FakeAws(get_function=function())
    with pytest.raises(UserError, match=f"are for account {ACCOUNT}"):
        observe(aws, D, record)
    assert aws.reads == ["get_function"]


def test_the_account_is_learnt_from_the_function_without_a_call_to_sts():
    record = {"account": ACCOUNT, "resources": {"role": {"arn": "a"}, "function": {}}}
    aws = FakeAws(get_function=function())
    assert observe(aws, D, record).identity == Identity(ACCOUNT, "aws")
    assert "identity" not in aws.reads


def test_the_users_deployed_values_are_hidden_from_error_messages_but_not_wsdeploys_own():
    live = function(endpoint_api="x")
    live = Function(**{**live.__dict__, "environment": {**live.environment, "DB_PASSWORD": "hunter22"}})
    aws = FakeAws(get_function=live)
    observe(aws, D, None)
    assert aws.hidden == ["hunter22"]


# -- a custom domain ---------------------------------------------------------------------------
def domain_name(tags=TAGS):
    from wsdeploy.provision.live import DomainName
    return DomainName("ws.example.com", "arn:cert", "d-1.execute-api.eu-west-1.amazonaws.com", "ZAPI",
                      "REGIONAL", "TLS_1_2", "dualstack", "AVAILABLE", tags)


def test_a_stage_without_a_domain_reads_nothing_for_one():
    aws = FakeAws()
    o = observe(aws, D, None)
    assert o.domain_name is None and o.certificate is None and o.zone is None
    assert not {"get_domain_name", "hosted_zones", "list_certificates"} & set(aws.reads)


def test_a_recorded_domain_is_trusted_whole_and_its_certificate_kept():
    from wsdeploy.provision.desired import DesiredDomain
    d = desired(domain=DesiredDomain("ws.example.com"))
    record = {"account": ACCOUNT, "resources": {
        "domain_name": {"name": "ws.example.com", "certificate_arn": "arn:cert", "target": "t", "target_zone_id": "z"},
        "api_mapping": {"id": "m", "domain": "ws.example.com", "api_id": "a", "stage": "dev", "key": ""},
        "dns_records": {"zone_id": "Z1", "zone_name": "example.com", "name": "ws.example.com", "target": "t",
                        "target_zone_id": "z"}}}
    aws = FakeAws()
    o = observe(aws, d, record)
    assert (o.domain_name.recorded, o.api_mapping.id, o.dns_records.zone_id, o.zone.id, o.certificate.arn) == (
        True, "m", "Z1", "Z1", "arn:cert")
    assert not {"get_domain_name", "get_api_mappings", "hosted_zones", "record_sets",
                "list_certificates"} & set(aws.reads)


def test_a_new_name_that_exists_must_be_ours_before_any_write():
    from wsdeploy.provision.desired import DesiredDomain
    d = desired(domain=DesiredDomain("ws.example.com"))
    record = {"account": ACCOUNT, "resources": {"domain_name": {
        "name": "old.example.com", "certificate_arn": "c", "target": "t", "target_zone_id": "z"}}}
    with pytest.raises(UserError, match="exists in API Gateway but has no wsdeploy tags"):
        observe(FakeAws(get_domain_name=domain_name(tags={})), d, record)
