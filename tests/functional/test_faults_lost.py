"""Lost answers, duplicates and creates that find their resource there already.

A create whose answer is lost (the request reached AWS, the connection dropped) must never be
sent again by botocore: CreateApi and CreateIntegration take no client token, so a re-send
makes a second one, and the other creates answer "already exists" to a re-send of their own
success. The answer is lost here the way a dropped connection loses it, through botocore's
retry handler (tests/support/aws_faults.py, Faults mode "lost"). A create that does find its
resource (a concurrent run, or a retry) adopts it when it is ours; duplicates that older
versions left behind are found by tags and deleted. Throttling, which AWS refuses before
doing anything, and API Gateway's "concurrent modification" are retried on the injected clock.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from tests.support.aws_faults import CONCURRENT, Faults, refuse_first, refuse_sends
from tests.support.aws_fixtures import (STRICT_FIXTURES, CallLog, FakeClock, aws, calls, desired,
                                        down, life, make_aws, moto_session, session, store)
from tests.support.aws_inventory import (EMPTY, expected_inventory, inventory, record_matches_aws,
                                         reply_keys_of, route_keys_of)
from tests.support.aws_strict import _apigw_backend
from wsdeploy.errors import DeployError, UserError
from wsdeploy.provision.handlers.api import SETTLE_SECONDS
from wsdeploy.provision.deploy import apply_up, prepare_up, up
from wsdeploy.provision.desired import DesiredConnections
from wsdeploy.provision.status import stage_status
from wsdeploy.provision.teardown import prepare_down

__all__ = STRICT_FIXTURES   # the fixtures, imported for pytest

D = desired(routes=(("join", True),))
TAGS = {"wsdeploy:app": "chat", "wsdeploy:stage": "dev"}


def converged(session, store, d=D):
    assert inventory(session) == expected_inventory(route_keys_of(d), reply_keys_of(d),
                                                    tables=1 if d.connections else 0)
    assert record_matches_aws(session, store.load()) == []


# -- lost answers ----------------------------------------------------------------------------------
@pytest.mark.parametrize("operation", ["CreateApi", "CreateIntegration", "CreateRole",
                                       "CreateFunction", "CreateStage", "CreateRoute"])
def test_a_lost_create_answer_is_never_sent_again_and_the_next_run_adopts(session, aws, store, operation):
    faults = Faults().attach(session)
    log = CallLog().attach(session)
    up(aws, D, store)                      # counts the calls of a fresh up ...
    n = log.operations.index(operation) + 1
    down(aws, D, store)
    faults.arm(n, "lost")                  # ... to lose the answer to the first `operation`
    with pytest.raises(DeployError, match=f"injected: answer to {operation} lost"):
        up(aws, D, store)
    assert faults.failed[1] == operation
    assert faults.sends.count(operation) == 1          # not re-sent by botocore
    faults.arm(None)
    plan, _ = up(aws, D, store)
    assert any(s.action == "adopt" for s in plan.steps)
    converged(session, store)
    assert up(aws, D, store)[0].steps == ()


def test_a_lost_answer_to_an_update_is_sent_again_by_botocore(session, aws, store):
    """The injection goes through botocore's retry handler: what may be re-sent is."""
    log, faults = CallLog().attach(session), Faults().attach(session)   # before any client
    up(aws, D, store)
    log.clear()
    up(aws, replace(D, memory=384), store)             # the same calls as the next one
    n = log.operations.index("UpdateFunctionConfiguration") + 1
    faults.arm(n, "lost")
    up(aws, replace(D, memory=512), store)
    assert faults.failed[1] == "UpdateFunctionConfiguration"
    assert faults.sends.count("UpdateFunctionConfiguration") == 2
    config = session.client("lambda").get_function(FunctionName="chat-dev-ws")["Configuration"]
    assert config["MemorySize"] == 512


# -- duplicates of the API and the integration -------------------------------------------------------
def _duplicate_api(session) -> str:
    """Another API of this stage, as a re-sent CreateApi made: tagged, empty."""
    return session.client("apigatewayv2").create_api(
        Name="chat-dev-ws", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action",
        Tags=TAGS)["ApiId"]


def test_a_duplicate_api_beside_the_recorded_one_is_deleted_by_refresh(session, aws, calls, store):
    up(aws, D, store)
    extra = _duplicate_api(session)
    assert up(aws, D, store)[0].steps == ()            # a plain up trusts the record
    report = stage_status(aws, D, store.load(), D.code_sha256)
    assert ("api", extra, "untracked", ("duplicate",)) in {
        (r.type, r.id, r.status, r.fields) for r in report.drift}
    calls.clear()
    plan, _ = up(aws, D, store, refresh=True)
    assert [s.describe() for s in plan.steps] == [
        f"delete api {extra}: a duplicate of chat-dev-ws, tagged as this stage's"]
    assert calls.writes == ["DeleteApi"]
    converged(session, store)


def test_down_deletes_a_duplicate_api_beside_the_recorded_one(session, aws, store):
    up(aws, D, store)
    _duplicate_api(session)
    down(aws, D, store)
    assert inventory(session) == EMPTY


def test_after_a_lost_state_file_two_tagged_apis_keep_the_one_the_function_names(session, aws, calls, store):
    """What an older version left after a re-sent CreateApi, then a lost state file: `up`
    no longer refuses; it keeps the API the function's endpoint names, deletes the other."""
    up(aws, D, store)
    kept = store.load()["resources"]["api"]["id"]
    extra = _duplicate_api(session)                    # the newer, but the function names `kept`
    store.remove()
    calls.clear()
    plan, url = up(aws, D, store)
    assert kept in url and store.load()["resources"]["api"]["id"] == kept
    assert [s.describe() for s in plan.steps if s.action != "adopt"] == [
        "create route response join", f"delete api {extra}: a duplicate of chat-dev-ws, tagged as this stage's"]
    assert calls.writes == ["CreateRouteResponse", "DeleteApi"]
    converged(session, store)


def test_a_duplicate_integration_is_deleted_once_no_route_targets_it(session, aws, store):
    up(aws, D, store)
    record = store.load()
    api_id = record["resources"]["api"]["id"]
    apigw = session.client("apigatewayv2")
    function_arn = record["resources"]["function"]["arn"]
    extra = apigw.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationMethod="POST",
                                     IntegrationUri=function_arn)["IntegrationId"]
    route = record["resources"]["routes"]["join"]["id"]
    apigw.update_route(ApiId=api_id, RouteId=route, Target=f"integrations/{extra}")
    store.remove()                                     # the state file lost too
    plan, _ = up(aws, D, store)
    kept = store.load()["resources"]["integration"]["id"]
    assert kept == record["resources"]["integration"]["id"] != extra   # three routes target it
    described = [s.describe() for s in plan.steps if s.action != "adopt"]
    assert "update route join (target)" in described
    assert described[-1] == f"delete integration {extra}: a duplicate, invoking this function too"
    converged(session, store)


# -- a create that finds its resource -----------------------------------------------------------------
def test_resources_made_by_a_concurrent_run_are_adopted_by_the_creates(session, aws, calls, store):
    """Made between the plan's reads and its creates, tagged as ours: each create answers
    "already exists" and adopts, and what differs is put right."""
    tracking = DesiredConnections(ttl_hours=2, track=True)
    d = replace(D, connections=tracking)
    prepared = prepare_up(aws, d, store)
    other = desired("other = 1\n", routes=(("join", False),), memory=1024, connections=tracking)
    up(make_aws(session), other, type(store)(store.dir.parent / "elsewhere", "dev"))
    for api in _apigw_backend().apis.values():      # the other run's API came a second earlier
        api.created_date -= timedelta(seconds=1)    # (within one second the order is by id)
    calls.clear()
    apply_up(aws, d, store, prepared)
    assert {"CreateRole", "CreateLogGroup", "CreateFunction", "CreateTable"} <= set(calls.writes)
    assert {"UpdateFunctionConfiguration", "UpdateFunctionCode"} <= set(calls.writes)
    config = session.client("lambda").get_function(FunctionName="chat-dev-ws")["Configuration"]
    assert config["MemorySize"] == d.memory and config["CodeSha256"] == d.code_sha256
    # the other run's API came first: this run's new one gave way to it (handlers/api.py),
    # and the integration it made beside the other run's goes next time
    assert inventory(session)["apis"] == 1 and "DeleteApi" in calls.writes
    plan, _ = up(aws, d, store, refresh=True)
    assert [s.kind for s in plan.steps if s.action == "delete"] == ["integration"]
    converged(session, store, d)


def test_an_untagged_role_made_meanwhile_is_not_taken_over(session, aws, calls, store):
    prepared = prepare_up(aws, D, store)
    session.client("iam").create_role(RoleName="chat-dev-ws", AssumeRolePolicyDocument="{}")
    calls.clear()
    with pytest.raises(UserError, match="role named chat-dev-ws exists but is not tagged"):
        apply_up(aws, D, store, prepared)
    assert calls.writes == ["CreateRole"]


def test_a_stage_that_exists_is_adopted_by_its_create_with_auto_deploy_turned_on(session, aws, calls, store):
    prepared = prepare_up(aws, D, store)

    def stage_made_meanwhile(params, **_):    # by a run whose answer was lost
        _apigw_backend().apis[params["ApiId"]].create_stage({"stageName": "dev"})

    session.events.register("before-parameter-build.apigatewayv2.CreateStage", stage_made_meanwhile)
    apply_up(aws, D, store, prepared)
    api_id = store.load()["resources"]["api"]["id"]
    assert calls.writes[-2:] == ["CreateStage", "UpdateStage"]
    assert session.client("apigatewayv2").get_stage(ApiId=api_id, StageName="dev")["AutoDeploy"] is True
    converged(session, store)


# -- retried on the clock ------------------------------------------------------------------------
def test_a_throttled_create_is_retried_on_the_clock_not_by_botocore(session, store):
    """Refused at `before-send`, where botocore's own retry would see it: its sleeps are not
    on the clock, so the clock's shows that the retry was wsdeploy's."""
    clock = FakeClock()
    refused = refuse_sends(session, "CreateApi", 2, 429, "TooManyRequestsException", "Too Many Requests")
    up(make_aws(session, clock), D, store)
    assert refused == [2] and clock.slept == [1.0, 2.0, SETTLE_SECONDS]   # then its look for a twin
    assert inventory(session)["apis"] == 1


def test_a_create_that_could_not_connect_is_sent_again(session, store):
    import botocore.exceptions as bx
    clock = FakeClock()
    tries = []

    def unreachable(request, **_):
        tries.append(request.url)
        if len(tries) == 1:
            raise bx.EndpointConnectionError(endpoint_url=request.url)

    session.events.register_first("before-send.*.CreateApi", unreachable)
    up(make_aws(session, clock), D, store)
    assert len(tries) == 2 and clock.slept == [1.0, SETTLE_SECONDS]
    assert inventory(session)["apis"] == 1


@pytest.mark.parametrize("operation", ["CreateRoute", "CreateIntegration", "CreateStage",
                                       "UpdateRoute", "CreateRouteResponse"])
def test_a_concurrent_modification_is_waited_out(session, store, operation):
    clock = FakeClock()
    d = D if operation != "UpdateRoute" else desired(routes=(("join", False),))
    up(make_aws(session), d, store)
    if operation == "UpdateRoute":
        d = D                                          # reply turned on: UpdateRoute
    else:
        down(make_aws(session), d, store)
    refused = refuse_first(session, operation, 3, "ConflictException", CONCURRENT)
    up(make_aws(session, clock), d, store)             # new clients: they see the hook
    settled = [SETTLE_SECONDS] if operation != "UpdateRoute" else []   # a new API's look for a twin
    assert refused == [3] and clock.slept == settled + [1.0, 2.0, 4.0]
    converged(session, store)


def test_other_conflicts_are_not_waited_for(session, store):
    """A route response that exists is adopted at once; a conflict that is neither
    "concurrent modification" nor about a create fails the step without waiting."""
    clock = FakeClock()
    up(make_aws(session), D, store)
    refuse_first(session, "UpdateApi", 1, "ConflictException", "The API is locked")
    with pytest.raises(DeployError, match="ConflictException: The API is locked"):
        up(make_aws(session, clock), replace(D, route_selection="$request.body.type"), store)
    assert clock.slept == []


def test_a_concurrent_modification_that_never_ends_fails_the_step(session, store):
    clock = FakeClock()
    refuse_first(session, "CreateStage", 1000, "ConflictException", CONCURRENT)
    with pytest.raises(DeployError, match="(?s)create stage dev.*concurrent modification"):
        up(make_aws(session, clock), D, store)
    assert clock.slept[0] == SETTLE_SECONDS and len(clock.slept) == 1 + 7 and clock.now < 60


# -- down's view of the same --------------------------------------------------------------------
def test_down_without_state_lists_every_tagged_api(session, aws, store):
    up(aws, D, store)
    kept = store.load()["resources"]["api"]["id"]
    extra = _duplicate_api(session)
    store.remove()
    teardown = prepare_down(aws, D, store)
    assert sorted(s.name for s in teardown.steps if s.kind == "api") == sorted([kept, extra])


def test_refresh_keeps_the_recorded_api_whatever_its_tags(session, aws, calls, store):
    """Duplicates are found by tags; the recorded API is kept even with its tags removed."""
    up(aws, D, store)
    api_id = store.load()["resources"]["api"]["id"]
    backend = _apigw_backend()
    backend.untag_resource(backend.apis[api_id].arn, list(TAGS))     # untagged by hand
    assert session.client("apigatewayv2").get_apis()["Items"][0].get("Tags", {}) == {}
    calls.clear()
    plan, url = up(aws, D, store, refresh=True)
    assert plan.steps == () and api_id in url and calls.writes == []
