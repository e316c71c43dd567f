"""One slow or stuck client costs only itself, with real clients: a client that does not read
is dropped once too much waits for it, one client's handlers never take every worker, and a
client whose messages wait for workers is not read until they drain (TCP pushes back)."""

from __future__ import annotations

import json
import sys
import threading

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.support.emulator import RunningGateway, management_client, wait_for, write_app
from wsdeploy.emulator import limits

APP = '''
import json
import threading

from wsdeploy.websocket import ConnectionGone, on_connect, on_disconnect, on_message, on_route, send_message

RELEASE = threading.Event()  # "block" handlers wait for it
LOCK = threading.Lock()
RUNNING = []  # connection ids of the "block" handlers running now
MOST = {}  # connection id -> the most "block" handlers it had running at once
HANDLED = []  # the "n" of each "block" message, in the order their handlers ran
FLOODS = []  # how many 128 KB sends each "flood" made before its target was gone
DISCONNECTS = {}  # connection id -> (code, reason)


@on_connect
def connect(event, context):
    return {"statusCode": 200}


@on_disconnect
def disconnect(event, context):
    c = event["requestContext"]
    DISCONNECTS[c["connectionId"]] = (c["disconnectStatusCode"], c["disconnectReason"])


@on_message(reply=True)
def default(event, context):
    return event["body"]


@on_route("whoami", reply=True)
def whoami(event, context):
    return event["requestContext"]["connectionId"]


@on_route("block")
def block(event, context):
    me = event["requestContext"]["connectionId"]
    with LOCK:
        RUNNING.append(me)
        MOST[me] = max(MOST.get(me, 0), RUNNING.count(me))
        HANDLED.append(json.loads(event["body"])["n"])
    RELEASE.wait(60)
    with LOCK:
        RUNNING.remove(me)


@on_route("flood")
def flood(event, context):
    target = json.loads(event["body"])["target"]
    for sent in range(100_000):
        try:
            send_message(target, "x" * (128 * 1024))
        except ConnectionGone:
            FLOODS.append(sent)
            return
    FLOODS.append(None)
'''


def app():
    return sys.modules["app"]


def stuck_client(gw: RunningGateway):
    """A client that will read its own id, then nothing more: websockets' reader stops once one
    message waits unread (max_queue=1), so the server's sends pile up in the OS's buffers."""
    return connect(gw.url, max_queue=1)


def own_id(ws) -> str:
    ws.send('{"action": "whoami"}')
    return ws.recv(timeout=10)


def test_a_client_that_does_not_read_is_dropped_and_the_sender_told_it_is_gone(tmp_path):
    write_app(tmp_path, APP)
    with RunningGateway(tmp_path, max_unsent_bytes=256 * 1024) as gw, stuck_client(gw) as stuck:
        stuck_id = own_id(stuck)
        with connect(gw.url) as other:
            other.send(json.dumps({"action": "flood", "target": stuck_id}))
            wait_for(lambda: app().FLOODS, timeout=60)
            other.send("still answered")
            assert other.recv(timeout=10) == "still answered"
        [sends] = app().FLOODS
        assert sends is not None  # the flood ended on ConnectionGone, not by running out
        wait_for(lambda: stuck_id in app().DISCONNECTS)
        assert app().DISCONNECTS[stuck_id] == limits.UNREAD
        assert gw.gateway.table.get(stuck_id) is None
        [said] = [text for kind, text in gw.notices if kind == "limit"]
        assert stuck_id in said and "unread" in said and "410" in said
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                stuck.recv(timeout=10)  # what reached it before the drop, then the end
        assert closed.value.rcvd is None  # no close frame: its TCP connection was dropped


def test_posts_over_http_to_a_client_that_does_not_read_fail_fast_with_gone(tmp_path):
    write_app(tmp_path, APP)
    with RunningGateway(tmp_path, max_unsent_bytes=256 * 1024) as gw, stuck_client(gw) as stuck:
        stuck_id = own_id(stuck)
        client = management_client(gw)
        posted = 0
        try:
            while posted < 10_000:
                client.post_to_connection(ConnectionId=stuck_id, Data=b"y" * (128 * 1024))
                posted += 1
        except client.exceptions.GoneException:
            pass
        assert posted < 10_000  # it became gone: no post waited for the client to read
        with connect(gw.url) as other:
            other.send("meanwhile")
            assert other.recv(timeout=10) == "meanwhile"
        wait_for(lambda: stuck_id in app().DISCONNECTS)
        assert app().DISCONNECTS[stuck_id] == limits.UNREAD


def test_one_connection_can_not_take_every_worker(tmp_path):
    write_app(tmp_path, APP)
    with RunningGateway(tmp_path, workers=4, max_running_per_connection=2) as gw, \
            connect(gw.url) as busy, connect(gw.url) as other:
        for n in range(6):
            busy.send(json.dumps({"action": "block", "n": n}))
        wait_for(lambda: len(app().RUNNING) == 2)
        other.send("a worker is free for me")  # 2 of 4 workers are busy's; its 4 others wait
        assert other.recv(timeout=10) == "a worker is free for me"
        assert len(app().RUNNING) == 2
        app().RELEASE.set()
        wait_for(lambda: len(app().HANDLED) == 6)
        assert sorted(app().HANDLED) == list(range(6)) and max(app().MOST.values()) == 2


def test_a_client_whose_messages_wait_is_not_read_until_they_drain(tmp_path):
    write_app(tmp_path, APP)
    queued_limit = 64 * 1024
    count, pad = 600, "p" * (30 * 1024)  # 18 MB: more than the OS's buffers hold
    with RunningGateway(tmp_path, max_running_per_connection=1,
                        max_queued_bytes=queued_limit) as gw, connect(gw.url) as ws:
        sent = []

        def send_all() -> None:
            for n in range(count):
                ws.send(json.dumps({"action": "block", "n": n, "pad": pad}))
                sent.append(n)

        sender = threading.Thread(target=send_all, daemon=True)
        sender.start()
        [connection] = list(gw.gateway.table)
        inflow = connection.channel.inflow
        wait_for(lambda: inflow.paused)
        sender.join(timeout=1)
        assert sender.is_alive() and len(sent) < count  # TCP pushes back on the client
        # one read from the socket (256 KB) may land after the limit is reached, no more
        assert inflow.queued_bytes <= queued_limit + 256 * 1024 + 32 * 1024
        assert [kind for kind, _ in gw.notices] == ["limit"]
        app().RELEASE.set()
        sender.join(timeout=60)
        wait_for(lambda: len(app().HANDLED) == count, timeout=60)
        assert app().HANDLED == list(range(count))  # nothing dropped, in order (one at a time)
