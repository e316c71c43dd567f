"""The runtime's sends handed to `wsdeploy dev`'s gateway in-process: the hook the emulator
installs into the runtime (wsdeploy.runtime.management.install_gateway), without sockets."""

from __future__ import annotations

import threading

import pytest

from wsdeploy.runtime import management
from wsdeploy.runtime.errors import ConnectionGone, ManagementApiError, MessageTooLarge

ENDPOINT = "http://127.0.0.1:1/dev"  # nothing listens there: a call that went out would fail


@pytest.fixture
def gateway():
    calls: list[tuple[str, str, bytes, threading.Thread]] = []
    answers: dict[str, tuple[int, str, bytes]] = {}

    def call(method: str, connection_id: str, body: bytes) -> tuple[int, str, bytes]:
        calls.append((method, connection_id, body, threading.current_thread()))
        return answers.get(connection_id, (200, "", b""))

    management.install_gateway(ENDPOINT, call)
    yield calls, answers
    management.install_gateway(ENDPOINT, None)


def test_sends_reach_the_installed_gateway_and_not_the_network(gateway):
    calls, _ = gateway
    management.send_message("AAAAAAAAAAAAAAA=", {"a": 1}, endpoint=ENDPOINT)
    management.close_connection("AAAAAAAAAAAAAAA=", endpoint=ENDPOINT)
    assert [(m, c, b) for m, c, b, _ in calls] == [
        ("POST", "AAAAAAAAAAAAAAA=", b'{"a":1}'), ("DELETE", "AAAAAAAAAAAAAAA=", b"")]


def test_the_gateways_answers_raise_the_errors_http_answers_raise(gateway):
    _, answers = gateway
    answers["gone"] = (410, "GoneException", b'{"message":"gone"}')
    answers["big"] = (413, "PayloadTooLargeException", b'{"message":"too big"}')
    answers["odd"] = (403, "ForbiddenException", b'{"message":"no"}')
    with pytest.raises(ConnectionGone):
        management.send_message("gone", "x", endpoint=ENDPOINT)
    with pytest.raises(MessageTooLarge):
        management.send_message("big", "x", endpoint=ENDPOINT)
    with pytest.raises(ManagementApiError) as error:
        management.send_message("odd", "x", endpoint=ENDPOINT)
    assert error.value.status == 403


def test_get_connection_reads_the_gateways_answer(gateway):
    _, answers = gateway
    answers["A"] = (200, "", b'{"connectedAt": "2024-11-11T11:35:24.123Z", "identity": '
                             b'{"sourceIp": "127.0.0.1"}, "lastActiveAt": "2024-11-11T11:35:31.208Z"}')
    info = management.get_connection("A", endpoint=ENDPOINT)
    assert info.source_ip == "127.0.0.1" and info.connected_at.year == 2024


def test_a_broadcast_is_sent_on_the_calling_thread_and_sorted_by_outcome(gateway):
    calls, answers = gateway
    answers["gone"] = (410, "GoneException", b"{}")
    answers["odd"] = (500, "InternalServerErrorException", b"{}")
    result = management.broadcast(["a", "gone", "b", "odd", "a"], "hi", endpoint=ENDPOINT)
    assert (result.sent, result.gone, list(result.failed)) == (["a", "b"], ["gone"], ["odd"])
    assert {thread for *_, thread in calls} == {threading.current_thread()}


def test_uninstalling_goes_back_to_http():
    management.install_gateway(ENDPOINT, lambda *args: (200, "", b""))
    assert isinstance(management.client_for(ENDPOINT), management.InProcessClient)
    management.install_gateway(ENDPOINT, None)
    assert isinstance(management.client_for(ENDPOINT), management.ManagementClient)
    management.install_gateway(ENDPOINT, None)  # twice is harmless


def test_the_emulator_installs_it_for_its_endpoint_and_takes_it_back(tmp_path):
    from wsdeploy.emulator.context import Function
    from wsdeploy.emulator.environment import Environment
    from wsdeploy.emulator.settings import DevSettings

    settings = DevSettings(source_dir=tmp_path, handler_module="app",
                           function=Function("t-dev-ws", "us-east-1"))
    environment = Environment()
    environment.apply(settings, ENDPOINT, lambda *args: (200, "", b""))
    try:
        assert isinstance(management.client_for(), management.InProcessClient)  # from the env
    finally:
        environment.restore()
    assert not isinstance(management._clients.get(ENDPOINT), management.InProcessClient)
