"""Two `up`s of one stage at once, without shared state (issue 12): each makes an API, and the
run whose API came later gives it up for the first (handlers/api.py). Here the other run is
played by a hook that makes its API right after ours, with the CreatedDate the case needs."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.aws_fixtures import (STRICT_FIXTURES, aws, calls, desired, down, life, moto_session,
                                        new_session, session, store)
from tests.support.aws_inventory import EMPTY, expected_inventory, inventory, record_matches_aws
from tests.support.aws_strict import _apigw_backend
from wsdeploy.provision.deploy import up
from wsdeploy.provision.desired import TAG_APP, TAG_STAGE
from wsdeploy.provision.executor import QuietReporter

__all__ = STRICT_FIXTURES
ROUTES = ["$connect", "$default", "$disconnect"]


class Notices(QuietReporter):
    def __init__(self) -> None:
        self.heard: list[str] = []

    def notice(self, message: str) -> None:
        self.heard.append(message)


def another_run_makes_an_api(session, seconds_earlier: int, smaller_id: bool | None = None) -> list[str]:
    """Right after our CreateApi, "another run" makes its own API of the stage, dated
    `seconds_earlier` before ours (0: the same second), with an id smaller or larger than ours."""
    made: list[str] = []

    def theirs(parsed, **_):
        if made:
            return
        ours = parsed["ApiId"]
        api = new_session().client("apigatewayv2").create_api(
            Name="chat-dev-ws", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action",
            Tags={TAG_APP: "chat", TAG_STAGE: "dev"})["ApiId"]
        backend = _apigw_backend()
        if smaller_id is not None:          # ids are random: give theirs the order the case needs
            wanted = ("0" if smaller_id else "z") + api[1:]
            backend.apis[wanted] = backend.apis.pop(api)
            backend.apis[wanted].api_id = api = wanted
        backend.apis[api].created_date = backend.apis[ours].created_date - timedelta(seconds=seconds_earlier)
        made.append(api)

    session.events.register("after-call.apigatewayv2.CreateApi", theirs)
    return made


@pytest.mark.parametrize("seconds_earlier, smaller_id", [(1, None), (0, True)],
                         ids=["made-a-second-earlier", "same-second-smaller-id"])
def test_a_run_whose_api_came_later_goes_on_with_the_first(aws, session, store, seconds_earlier,
                                                           smaller_id):
    theirs = another_run_makes_an_api(session, seconds_earlier, smaller_id)
    deleted, notices = [], Notices()
    session.events.register("before-parameter-build.apigatewayv2.DeleteApi",
                            lambda params, **_: deleted.append(params["ApiId"]))
    _, url = up(aws, desired(), store, notices)
    apis = session.client("apigatewayv2").get_apis()["Items"]
    assert [a["ApiId"] for a in apis] == theirs and theirs[0] in url
    assert len(deleted) == 1 and deleted != theirs
    assert notices.heard == [f"another run created an API for this stage first ({theirs[0]}), at the "
                             f"same time as this one: this run deleted its own ({deleted[0]}) "
                             "and goes on with that one"]
    endpoint = session.client("lambda").get_function(FunctionName="chat-dev-ws")["Configuration"][
        "Environment"]["Variables"]["WEBSOCKET_API_GATEWAY_ENDPOINT"]
    assert theirs[0] in endpoint
    assert inventory(session) == expected_inventory(ROUTES)
    assert record_matches_aws(session, store.load()) == []
    down(aws, desired(), store)
    assert inventory(session) == EMPTY


def test_a_run_whose_api_came_first_keeps_it_and_leaves_the_other_to_its_run(aws, session, store, calls):
    theirs = another_run_makes_an_api(session, seconds_earlier=0, smaller_id=False)
    _, url = up(aws, desired(), store)
    ids = {a["ApiId"] for a in session.client("apigatewayv2").get_apis()["Items"]}
    assert len(ids) == 2 and theirs[0] not in url and "DeleteApi" not in calls.operations
    _apigw_backend().apis.pop(theirs[0])       # what the other run does: it gives its own up
    assert inventory(session) == expected_inventory(ROUTES)
    assert up(aws, desired(), store)[0].steps == ()


def test_the_look_for_a_twin_comes_a_settled_second_after_the_create(session, store, calls):
    from tests.support.aws_fixtures import FakeClock, make_aws
    from wsdeploy.provision.handlers.api import SETTLE_SECONDS
    clock = FakeClock()
    up(make_aws(session, clock), desired(), store)
    made = calls.operations.index("CreateApi")
    assert calls.operations[made + 1] == "GetApis" and clock.slept[0] == SETTLE_SECONDS > 1
