"""Many clients at once, handlers that block or send to their own connection, and reloads
under open connections: nothing stalls, nothing deadlocks, nothing is dropped."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os

from websockets.asyncio.client import connect as async_connect
from websockets.sync.client import connect

from tests.support.emulator import gw  # noqa: F401  (a fixture)
from tests.support.emulator import events_of, wait_for


def test_twenty_clients_whose_handlers_send_to_their_own_connection_get_every_reply(gw):
    messages_each, parts = 5, 3

    async def client(number: int) -> list[dict]:
        async with async_connect(gw.url) as ws:
            for n in range(messages_each):
                await ws.send(json.dumps({"action": "self", "n": n}))
            return [json.loads(await asyncio.wait_for(ws.recv(), 30))
                    for _ in range(messages_each * parts)]

    async def everyone() -> list[list[dict]]:
        return await asyncio.gather(*(client(i) for i in range(20)))

    for replies in asyncio.run(everyone()):
        assert sorted((r["n"], r["part"]) for r in replies) == [
            (n, p) for n in range(messages_each) for p in range(parts)]
    # each reply was sent before its handler returned; the log line follows the return
    wait_for(lambda: len(gw.routes_run("self")) == 20 * messages_each)
    assert all(r.status == 200 for r in gw.routes_run("self"))


def test_three_clients_broadcasting_each_hear_everyone(gw):
    with contextlib.ExitStack() as stack:
        clients = [stack.enter_context(connect(gw.url)) for _ in range(3)]
        ids = [e["requestContext"]["connectionId"] for e in events_of("CONNECT")]
        for ws, text in zip(clients, ("one", "two", "three")):
            ws.send(json.dumps({"action": "shout", "text": text}))
        for ws in clients:
            heard = sorted((m["from"], m["text"]) for m in
                           (json.loads(ws.recv(timeout=10)) for _ in range(3)))
            assert heard == sorted(zip(ids, ("one", "two", "three")))


def test_a_blocking_handler_does_not_stall_other_connections(gw):
    with connect(gw.url) as sleeper, connect(gw.url) as other:
        sleeper.send('{"action": "sleep", "seconds": 1.5}')
        other.send('{"action": "custom"}')
        assert json.loads(other.recv(timeout=10)) == {"route": "custom"}
        # the other client was answered while the sleeper's handler still ran
        assert gw.routes_run("sleep") == []  # its handler has not returned yet
        assert json.loads(sleeper.recv(timeout=10)) == {"slept": 1.5}


def test_an_edit_takes_effect_on_the_next_event_without_dropping_connections(gw, tmp_path):
    with connect(gw.url) as ws:
        ws.send('{"action": "custom"}')
        assert json.loads(ws.recv(timeout=10)) == {"route": "custom"}
        app = tmp_path / "app.py"
        stamp = app.stat().st_mtime_ns + 10**9
        app.write_text(app.read_text().replace('{"route": "custom"}', '{"route": "custom, edited"}'))
        os.utime(app, ns=(stamp, stamp))
        ws.send('{"action": "custom"}')
        assert json.loads(ws.recv(timeout=10)) == {"route": "custom, edited"}
        assert [kind for kind, _ in gw.notices] == ["reloaded"]

        app.write_text(app.read_text() + "\nthis is ( broken\n")
        os.utime(app, ns=(stamp + 10**9, stamp + 10**9))
        ws.send('{"action": "custom"}')  # the last good version still serves
        assert json.loads(ws.recv(timeout=10)) == {"route": "custom, edited"}
        assert gw.notices[-1][0] == "failed" and "SyntaxError" in gw.notices[-1][1]
        assert gw.routes_run("$disconnect") == [] and len(gw.routes_run("$connect")) == 1
