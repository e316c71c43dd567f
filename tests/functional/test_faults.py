"""Fault injection: every AWS call of a fresh `up`, of an updating `up` and of `down` fails in
turn, either before it reaches AWS or after AWS did the work (the answer lost, after
botocore's retries: "after"; or the answer to the first attempt lost, through botocore's
retry handler, which re-sends what it may: "lost"). Running the command again must converge
to exactly one of each resource, with a state file that matches AWS, and a final `down` must
leave nothing. In "lost" mode a read, update or delete is re-sent by botocore and the command
may well succeed; a create is never re-sent (a second CreateApi would be a second API).

FIRST tracks connections, so the fresh up and down include the table's calls (DescribeTable,
CreateTable, the polls until ACTIVE, UpdateTimeToLive, DeleteTable); SECOND turns tracking
off (UpdateFunctionConfiguration, PutRolePolicy, DeleteTable), and `turning_tracking_on` the
other way (CreateTable, PutRolePolicy, UpdateTimeToLive, UpdateFunctionConfiguration).

The custom domain's scenarios (an ISSUED certificate and a hosted zone made first, as a user
has them): a fresh up with a domain (its look-ups, CreateDomainName, CreateApiMapping,
ChangeResourceRecordSets), changing its base path and certificate (UpdateApiMapping,
UpdateDomainName), renaming it (the old records and name deleted, the new made), turning it
off, and down with one (records, then the name, before the API it maps).

$connect's authorizer (issue 11): a fresh up with one (CreateAuthorizer, its AddPermission, the
route made CUSTOM), changing its identity sources (UpdateAuthorizer), removing it ($connect set
back to NONE, then RemovePermission and DeleteAuthorizer), and down with one.

moto is made strict (tests/support/aws_strict.py) so that it answers as AWS does where it is
lenient: among others, a new table is CREATING at first and refuses TTL until ACTIVE, a
deleted one is DELETING for a while, and TTL cannot be turned on twice.

Each broken call is its own test (scenario, position, mode), so that no test runs dozens of
deploys: CALLS says how many calls each scenario's faulty command makes, and a guard test
per scenario fails, naming the number to write, when that count changes, so that every call
is still broken once and none is left out.

Remote state (issue 12): `remote_up` and `remote_down` run a fresh `up` and a `down` as the CLI
does, holding the lock object, with the record in S3. Only their state calls are broken
(STATE_CALLS: GetCallerIdentity, the lock's and the record's GetObject, PutObject and
DeleteObject), since their AWS resource calls are the other scenarios'; a guard test keeps the
positions honest. A run that fails leaves at most its lock behind, which the user removes as
the message says (`wsdeploy unlock`), and nothing in the bucket afterwards.
"""

from __future__ import annotations

import functools
import json
from contextlib import contextmanager
from dataclasses import replace
from types import SimpleNamespace

import pytest
from moto import mock_aws

from tests.support.aws_domains import NAME, hosted_zone, issued_certificate
from tests.support.aws_faults import Faults
from tests.support.aws_fixtures import (CallLog, desired, down, fake_aws_environment, make_aws,
                                        new_session)
from tests.support.aws_inventory import (EMPTY, expected_inventory, inventory, record_matches_aws,
                                         reply_keys_of, route_keys_of)
from tests.support.aws_strict import make_strict
from tests.support.remote_state import BUCKET, make_bucket, s3_store
from wsdeploy.app_permissions import Statement
from wsdeploy.errors import DeployError
from wsdeploy.provision.deploy import up
from wsdeploy.provision.desired import DesiredAuthorizer, DesiredConnections, DesiredDomain
from wsdeploy.state import StateFile

TRACKING = DesiredConnections(ttl_hours=2, track=True)
FIRST = desired("v = 1\n", routes=(("join", True), ("leave", False)), connections=TRACKING)
SECOND = replace(desired("v = 2\n", routes=(("join", False), ("shout", True))),
                 memory=512, retention_days=30, route_selection="$request.body.type")
UNTRACKED = replace(FIRST, connections=None)
WITH_DOMAIN = desired("v = 1\n", domain=DesiredDomain(NAME))    # the built-in routes only
RENAMED = replace(WITH_DOMAIN, domain=DesiredDomain("live.example.org"))
PLAIN = replace(WITH_DOMAIN, domain=None)
GUARDED = desired("v = 1\n", authorizer=DesiredAuthorizer(("route.request.querystring.token",)),
                  connect_auth="CUSTOM")
REGUARDED = replace(GUARDED, authorizer=DesiredAuthorizer(("route.request.header.Authorization",)))
WITH_HTTP = replace(PLAIN, http_app="app:app")                  # issue 17: the HTTP API too
# The app's own grants (issue 10): its `app` policy and a managed policy of the account's
ACCESS_POLICY = "arn:aws:iam::123456789012:policy/ReadReports"
WITH_ACCESS = replace(PLAIN, app_statements=(Statement(("s3:GetObject",), ("arn:aws:s3:::b/*",)),),
                      managed_policies=(ACCESS_POLICY,))
WITH_SECRETS = replace(PLAIN, secrets=(("DATABASE_URL", "ssm:/chat/dev/db"), ("KEY", "secretsmanager:chat/key")))


def assert_converged(aws, store, d):
    # moto gives a domain name no regional target: only the strict session's answers have one
    reader = aws.session if d.domain else _test.reader
    assert inventory(reader) == expected_inventory(route_keys_of(d), reply_keys_of(d),
                                                   tables=1 if d.connections else 0,
                                                   domains=1 if d.domain else 0,
                                                   connect_auth=None if d.connect_auth == "NONE" else d.connect_auth,
                                                   http=1 if d.http_app else 0,
                                                   app_policies=1 if d.app_statements else 0,
                                                   managed_policies=len(d.managed_policies))
    assert record_matches_aws(reader, store.load()) == []
    plan, _ = up(aws, d, store)
    assert plan.steps == (), [s.describe() for s in plan.steps]


def calls_of(scenario) -> list[str]:
    """The AWS calls the scenario's faulty command makes when nothing fails, in order."""
    return [op for _, op in service_calls_of(scenario)]


def service_calls_of(scenario) -> list[tuple[str, str]]:
    """The same, as (service, operation)."""
    log, made = CallLog(), []

    def faulty(command):
        log.clear()
        command()
        made.extend(log.calls)

    scenario(log.attach, faulty)
    return made


def run_with_fault(scenario, n: int, mode: str) -> tuple[str, str] | None:
    """Runs the scenario with its faulty command's n-th call broken; which call that was
    (None if the command made fewer calls)."""
    faults, failed = Faults(), []

    def faulty(command):
        faults.arm(n, mode)
        try:
            command()
        except DeployError as raised:
            message = str(raised)
            assert "injected" in message
            assert ("`wsdeploy up`" in message or "`wsdeploy down`" in message or "again" in message
                    or "`wsdeploy unlock" in message)
        else:
            assert mode == "lost", f"call {n} ({faults.failed}) failed, and the command did not"
        failed.append(faults.failed)
        faults.arm(None)

    scenario(faults.attach, faulty)
    return failed[0]


@contextmanager
def world(attach):
    """A strict moto session with `attach` hooked in, and an empty project folder; the
    scenario must leave nothing behind. The session shares botocore's parsed service models
    with every other (new_session), which keeps a scenario's run cheap."""
    session = new_session()
    make_strict(session)
    attach(session)
    yield make_aws(session), StateFile(_test.folder / ".wsdeploy", "dev")
    assert inventory(_test.reader) == EMPTY


def recover(aws, store, d):
    """Run `up` again: exactly one of each, matching the record; then `down` leaves nothing."""
    up(aws, d, store)
    assert_converged(aws, store, d)
    down(aws, d, store)
    assert not store.exists()


def fresh_up(attach, faulty):
    with world(attach) as (aws, store):
        faulty(lambda: up(aws, FIRST, store))
        recover(aws, store, FIRST)


def updating_up(attach, faulty):
    with world(attach) as (aws, store):
        up(aws, FIRST, store)
        faulty(lambda: up(aws, SECOND, store))
        recover(aws, store, SECOND)


def turning_tracking_on(attach, faulty):
    with world(attach) as (aws, store):
        up(aws, UNTRACKED, store)
        faulty(lambda: up(aws, FIRST, store))
        recover(aws, store, FIRST)


def failing_down(attach, faulty):
    with world(attach) as (aws, store):
        up(aws, FIRST, store)
        faulty(lambda: down(aws, FIRST, store))
        down(aws, FIRST, store)
        assert not store.exists()


def with_domain_ready(aws) -> str:
    """What a user has before a domain: an ISSUED certificate for it and its zone."""
    hosted_zone(aws.session)
    return issued_certificate(aws.session)


def fresh_up_with_domain(attach, faulty):
    with world(attach) as (aws, store):
        with_domain_ready(aws)
        faulty(lambda: up(aws, WITH_DOMAIN, store))
        recover(aws, store, WITH_DOMAIN)


def _changing_domain(attach, faulty, next_of):
    """A stage deployed with WITH_DOMAIN; the faulty command is `up` of next_of(aws)."""
    with world(attach) as (aws, store):
        with_domain_ready(aws)
        up(aws, WITH_DOMAIN, store)
        after = next_of(aws)
        faulty(lambda: up(aws, after, store))
        recover(aws, store, after)


def updating_domain(attach, faulty):
    _changing_domain(attach, faulty, lambda aws: replace(WITH_DOMAIN, domain=DesiredDomain(
        NAME, base_path="v1", certificate_arn=issued_certificate(aws.session, "*.example.com"))))


def renaming_domain(attach, faulty):
    def renamed(aws):
        issued_certificate(aws.session, "live.example.org")
        hosted_zone(aws.session, "example.org")
        return RENAMED
    _changing_domain(attach, faulty, renamed)


def turning_domain_off(attach, faulty):
    _changing_domain(attach, faulty, lambda aws: PLAIN)


def _down_with(attach, faulty, ready, d):
    """`ready(aws)` makes what the user has first; a stage deployed with `d`; the faulty
    command is `down`, then `down` again leaves nothing."""
    with world(attach) as (aws, store):
        ready(aws)
        up(aws, d, store)
        faulty(lambda: down(aws, d, store))
        down(aws, d, store)
        assert not store.exists()


def down_with_domain(attach, faulty):
    _down_with(attach, faulty, with_domain_ready, WITH_DOMAIN)


def with_access_ready(aws) -> None:
    """What a user has before naming a managed policy: the policy, in the account."""
    iam = aws.session.client("iam")
    if not iam.list_policies(Scope="Local")["Policies"]:    # made once per test
        iam.create_policy(PolicyName="ReadReports", PolicyDocument='{"Version": "2012-10-17", '
                          '"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}')


def _changing_access(attach, faulty, before, after):
    """A stage deployed with `before`; the faulty command is `up` of `after`."""
    with world(attach) as (aws, store):
        with_access_ready(aws)
        up(aws, before, store)
        faulty(lambda: up(aws, after, store))
        recover(aws, store, after)


def turning_access_on(attach, faulty):
    """GetRolePolicy and ListAttachedRolePolicies (not recorded, wanted), PutRolePolicy,
    AttachRolePolicy."""
    _changing_access(attach, faulty, PLAIN, WITH_ACCESS)


def turning_access_off(attach, faulty):
    """DeleteRolePolicy and DetachRolePolicy."""
    _changing_access(attach, faulty, WITH_ACCESS, PLAIN)


def down_with_access(attach, faulty):
    _down_with(attach, faulty, with_access_ready, WITH_ACCESS)


def turning_secrets_on(attach, faulty):
    """GetParameters and DescribeSecret (reads before any write), then the grant
    (PutRolePolicy) and the references (UpdateFunctionConfiguration)."""
    with world(attach) as (aws, store):
        aws.session.client("ssm").put_parameter(Name="/chat/dev/db", Value="v", Type="SecureString")
        aws.session.client("secretsmanager").create_secret(Name="chat/key", SecretString="v")
        up(aws, PLAIN, store)
        faulty(lambda: up(aws, WITH_SECRETS, store))
        recover(aws, store, WITH_SECRETS)
        aws.session.client("secretsmanager").delete_secret(SecretId="chat/key", ForceDeleteWithoutRecovery=True)
        aws.session.client("ssm").delete_parameter(Name="/chat/dev/db")


def setting_concurrency(attach, faulty):
    """PutFunctionConcurrency (and DeleteFunctionConcurrency in removing_concurrency)."""
    with world(attach) as (aws, store):
        up(aws, PLAIN, store)
        faulty(lambda: up(aws, replace(PLAIN, reserved_concurrency=5), store))
        recover(aws, store, replace(PLAIN, reserved_concurrency=5))


def removing_concurrency(attach, faulty):
    with world(attach) as (aws, store):
        up(aws, replace(PLAIN, reserved_concurrency=5), store)
        faulty(lambda: up(aws, PLAIN, store))
        recover(aws, store, PLAIN)


def turning_vpc_on(attach, faulty):
    """The VPC's four reads before any write, then the grant (PutRolePolicy) and VpcConfig
    (UpdateFunctionConfiguration)."""
    with world(attach) as (aws, store):
        ec2 = aws.session.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
        group = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)["GroupId"]
        up(aws, PLAIN, store)
        faulty(lambda: up(aws, replace(PLAIN, vpc=((subnet,), (group,))), store))
        recover(aws, store, replace(PLAIN, vpc=((subnet,), (group,))))


def remote_up(attach, faulty):
    with world(attach) as (aws, _):
        make_bucket(aws.session)
        faulty(lambda: locked(aws, "up", lambda store: up(aws, desired(), store)))
        recover_remote(aws, desired())


def remote_down(attach, faulty):
    with world(attach) as (aws, _):
        make_bucket(aws.session)
        locked(aws, "up", lambda store: up(aws, desired(), store))
        faulty(lambda: locked(aws, "down", lambda store: down(aws, desired(), store)))
        unlock_what_is_left(aws)
        locked(aws, "down", lambda store: down(aws, desired(), store))     # the command, again
        assert aws.session.client("s3").list_objects_v2(Bucket=BUCKET).get("Contents", []) == []


def locked(aws, command, run):
    """A command as the CLI runs it, in a fresh process: a new store, holding the lock."""
    store = s3_store(aws, _test.folder)
    with store.locked(command):
        run(store)


def unlock_what_is_left(aws):
    """As the user would: remove a lock the failed run left (its message names the id)."""
    client = aws.session.client("s3")
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    if "chat/dev.lock" in keys:
        lock = json.loads(client.get_object(Bucket=BUCKET, Key="chat/dev.lock")["Body"].read())
        s3_store(aws, _test.folder).unlock(lock["id"])


def recover_remote(aws, d):
    """Remove a lock the failed run left, run `up` again under the lock, then `down`; the
    bucket ends empty."""
    client = aws.session.client("s3")
    unlock_what_is_left(aws)
    locked(aws, "up", lambda store: up(aws, d, store))
    assert_converged(aws, s3_store(aws, _test.folder), d)
    locked(aws, "down", lambda store: down(aws, d, store))
    assert client.list_objects_v2(Bucket=BUCKET).get("Contents", []) == []


def fresh_up_with_authorizer(attach, faulty):
    with world(attach) as (aws, store):
        faulty(lambda: up(aws, GUARDED, store))
        recover(aws, store, GUARDED)


def _changing_authorizer(attach, faulty, before, after):
    with world(attach) as (aws, store):
        up(aws, before, store)
        faulty(lambda: up(aws, after, store))
        recover(aws, store, after)


def changing_authorizer(attach, faulty):
    _changing_authorizer(attach, faulty, GUARDED, REGUARDED)


def removing_authorizer(attach, faulty):
    _changing_authorizer(attach, faulty, GUARDED, PLAIN)


def down_with_authorizer(attach, faulty):
    with world(attach) as (aws, store):
        up(aws, GUARDED, store)
        faulty(lambda: down(aws, GUARDED, store))
        down(aws, GUARDED, store)
def fresh_up_with_http(attach, faulty):
    with world(attach) as (aws, store):
        faulty(lambda: up(aws, WITH_HTTP, store))
        recover(aws, store, WITH_HTTP)


def turning_http_on(attach, faulty):
    with world(attach) as (aws, store):
        up(aws, PLAIN, store)
        faulty(lambda: up(aws, WITH_HTTP, store))
        recover(aws, store, WITH_HTTP)


def turning_http_off(attach, faulty):
    with world(attach) as (aws, store):
        up(aws, WITH_HTTP, store)
        faulty(lambda: up(aws, PLAIN, store))
        recover(aws, store, PLAIN)


def repairing_http(attach, faulty):
    """Drift put back by `up --refresh`: the stage's auto-deploy, the route's target and the
    integration's payload format changed by hand."""
    with world(attach) as (aws, store):
        up(aws, WITH_HTTP, store)
        resources = store.load()["resources"]
        apigw, api_id = aws.session.client("apigatewayv2"), resources["http_api"]["id"]
        apigw.update_stage(ApiId=api_id, StageName="$default", AutoDeploy=False)
        apigw.update_integration(ApiId=api_id, IntegrationId=resources["http_integration"]["id"],
                                 PayloadFormatVersion="1.0")
        apigw.update_route(ApiId=api_id, RouteId=resources["http_route"]["id"], Target="integrations/x")
        faulty(lambda: up(aws, WITH_HTTP, store, refresh=True))
        up(aws, WITH_HTTP, store, refresh=True)      # the command, again: drift is read anew
        recover(aws, store, WITH_HTTP)


def down_with_http(attach, faulty):
    with world(attach) as (aws, store):
        up(aws, WITH_HTTP, store)
        faulty(lambda: down(aws, WITH_HTTP, store))
        down(aws, WITH_HTTP, store)
        assert not store.exists()


# What the scenarios take from the running test (set by _environment): its project folder,
# and a session without hooks that makes each client once, through which the checks read what
# exists (moto's in-process backends are the same for every session; making clients was most
# of what the checks cost).
_test = SimpleNamespace(folder=None, reader=None)


@pytest.fixture(autouse=True)
def _environment(monkeypatch, tmp_path):
    """moto's in-process mock, fresh for each test (cheap once moto is imported)."""
    fake_aws_environment(monkeypatch)
    with mock_aws():
        _test.folder, _test.reader = tmp_path, new_session()
        _test.reader.client = functools.cache(_test.reader.client)
        yield


SCENARIOS = {s.__name__: s for s in (fresh_up, updating_up, turning_tracking_on, failing_down,
                                     fresh_up_with_domain, updating_domain, renaming_domain,
                                     turning_domain_off, down_with_domain, remote_up, remote_down,
                                     fresh_up_with_authorizer, changing_authorizer,
                                     removing_authorizer, down_with_authorizer,
                                     fresh_up_with_http, turning_http_on, turning_http_off,
                                     repairing_http, down_with_http,
                                     turning_access_on, turning_access_off, down_with_access,
                                     turning_secrets_on, setting_concurrency, removing_concurrency,
                                     turning_vpc_on)}
# How many AWS calls each scenario's faulty command makes when nothing fails: each is broken
# in turn, one test each. test_each_scenario_makes_exactly_the_calls_its_positions_break
# says the number to write here when the provisioner's calls change.
CALLS = {"fresh_up": 25, "updating_up": 15, "turning_tracking_on": 11, "failing_down": 14,
         "fresh_up_with_domain": 24, "updating_domain": 7, "renaming_domain": 14,
         "turning_domain_off": 7, "down_with_domain": 15,
         "fresh_up_with_authorizer": 19, "changing_authorizer": 5, "removing_authorizer": 7,
         "down_with_authorizer": 12,
         "fresh_up_with_http": 23, "turning_http_on": 12, "turning_http_off": 7, "repairing_http": 19,
         "down_with_http": 13,
         "turning_access_on": 8, "turning_access_off": 6, "down_with_access": 14, "turning_secrets_on": 8,
         "setting_concurrency": 5, "removing_concurrency": 5, "turning_vpc_on": 10}
# The positions of the remote scenarios' state calls (S3 and STS) in their faulty command;
# test_the_remote_scenarios_break_exactly_their_state_calls says what to write here.
STATE_CALLS = {"remote_up": [1, 2, 3, 9, 12, 15, 17, 19, 21, 23, 25, 27, 29, 31, 32, 33],
               "remote_down": [1, 2, 3, 12, 14, 16, 18, 20, 21, 22]}
POSITIONS = [pytest.param(name, n, id=f"{name}-call{n}")
             for name, total in CALLS.items() for n in range(1, total + 1)]
POSITIONS += [pytest.param(name, n, id=f"{name}-call{n}") for name, ns in STATE_CALLS.items() for n in ns]


@pytest.mark.parametrize("mode", ["before", "after", "lost"])
@pytest.mark.parametrize("scenario,n", POSITIONS)
def test_a_failure_at_any_call_is_recovered_by_running_again(scenario, n, mode):
    failed = run_with_fault(SCENARIOS[scenario], n, mode)
    assert failed is not None, f"{scenario} made fewer than {n} calls: call {n} was never broken"


@pytest.mark.parametrize("scenario", CALLS)
def test_each_scenario_makes_exactly_the_calls_its_positions_break(scenario):
    """Keeps POSITIONS honest: a change in a scenario's call count fails here, not silently."""
    made = calls_of(SCENARIOS[scenario])
    assert len(made) == CALLS[scenario], (
        f"{scenario} now makes {len(made)} AWS calls, not {CALLS[scenario]}: set "
        f"CALLS[{scenario!r}] = {len(made)} in {__name__} so that each call is broken once: {made}")


def state_positions(scenario) -> list[tuple[int, str]]:
    """The S3 and STS calls of a scenario's faulty command: (position, operation)."""
    return [(n, op) for n, (service, op) in enumerate(service_calls_of(scenario), 1)
            if service in ("s3", "sts")]


@pytest.mark.parametrize("scenario", [remote_up, remote_down], ids=lambda f: f.__name__)
def test_the_remote_scenarios_break_exactly_their_state_calls(scenario):
    found = state_positions(scenario)
    assert [n for n, _ in found] == STATE_CALLS[scenario.__name__], (
        f"set STATE_CALLS[{scenario.__name__!r}] = {[n for n, _ in found]}: {found}")
    operations = {op for _, op in found}
    assert {"GetCallerIdentity", "GetObject", "PutObject", "DeleteObject"} <= operations


TABLE_CALLS = {
    fresh_up: {"DescribeTable", "CreateTable", "UpdateTimeToLive"},
    updating_up: {"DeleteTable", "PutRolePolicy", "UpdateFunctionConfiguration"},
    turning_tracking_on: {"DescribeTable", "CreateTable", "PutRolePolicy", "UpdateTimeToLive",
                          "UpdateFunctionConfiguration"},
    failing_down: {"DeleteTable"},
}


@pytest.mark.parametrize("scenario", list(TABLE_CALLS), ids=lambda f: f.__name__)
def test_the_scenarios_include_the_tables_calls(scenario):
    """Keeps the scenarios honest: the calls they break include every call of the table."""
    made = calls_of(scenario)
    assert TABLE_CALLS[scenario] <= set(made), made
    if scenario in (fresh_up, turning_tracking_on):
        polls = [i for i, op in enumerate(made) if op == "DescribeTable"]
        assert made.index("CreateTable") < polls[-1] < made.index("UpdateTimeToLive")


DOMAIN_CALLS = {
    fresh_up_with_domain: {"GetDomainName", "ListHostedZones", "ListResourceRecordSets", "ListCertificates",
                           "CreateDomainName", "CreateApiMapping", "ChangeResourceRecordSets"},
    updating_domain: {"DescribeCertificate", "UpdateDomainName", "UpdateApiMapping"},
    renaming_domain: {"GetDomainName", "ListHostedZones", "ListResourceRecordSets", "ListCertificates",
                      "ChangeResourceRecordSets", "DeleteDomainName", "CreateDomainName", "CreateApiMapping"},
    turning_domain_off: {"ListResourceRecordSets", "ChangeResourceRecordSets", "DeleteDomainName"},
    down_with_domain: {"GetDomainNames", "ListResourceRecordSets", "ChangeResourceRecordSets",
                       "DeleteDomainName"},
}


@pytest.mark.parametrize("scenario", list(DOMAIN_CALLS), ids=lambda f: f.__name__)
def test_the_domain_scenarios_include_every_call_of_a_custom_domain(scenario):
    """Keeps the scenarios honest: between them they break every call a custom domain makes."""
    made = calls_of(scenario)
    assert DOMAIN_CALLS[scenario] <= set(made), made
    if scenario is down_with_domain:   # the domain goes before the API it maps
        assert made.index("DeleteDomainName") < made.index("DeleteApi")


HTTP_CALLS = {   # issue 17: between them, every call of the HTTP API of http_app
    fresh_up_with_http: {"GetApis", "CreateApi", "CreateIntegration", "CreateRoute", "CreateStage",
                         "AddPermission"},
    turning_http_on: {"UpdateFunctionConfiguration", "GetPolicy", "CreateApi", "AddPermission"},
    turning_http_off: {"RemovePermission", "DeleteApi", "UpdateFunctionConfiguration"},
    repairing_http: {"GetApi", "GetIntegrations", "GetRoutes", "GetStage", "GetPolicy",
                     "UpdateIntegration", "UpdateRoute", "UpdateStage"},
    down_with_http: {"GetApis", "DeleteApi"},
}


@pytest.mark.parametrize("scenario", list(HTTP_CALLS), ids=lambda f: f.__name__)
def test_the_http_scenarios_include_every_call_of_the_http_api(scenario):
    made = calls_of(scenario)
    assert HTTP_CALLS[scenario] <= set(made), made


ACCESS_CALLS = {
    turning_access_on: ["GetFunction", "GetApi", "GetRoutes", "GetRolePolicy", "GetRolePolicy",
                        "ListAttachedRolePolicies",
                        "PutRolePolicy", "AttachRolePolicy"],
    turning_access_off: ["GetFunction", "GetApi", "GetRoutes", "GetRolePolicy", "DeleteRolePolicy",
                         "DetachRolePolicy"],
}


@pytest.mark.parametrize("scenario", list(ACCESS_CALLS), ids=lambda f: f.__name__)
def test_the_access_scenarios_break_every_call_of_the_apps_grants(scenario):
    """Keeps the scenarios honest: between them they break every call of the app's grants,
    and down detaches and deletes them before the role."""
    assert calls_of(scenario) == ACCESS_CALLS[scenario]
    made = calls_of(down_with_access)
    assert made.index("DetachRolePolicy") < made.index("DeleteRole")
    assert made.count("DeleteRolePolicy") == 2 and made.index("DeleteRolePolicy") < made.index("DeleteRole")
