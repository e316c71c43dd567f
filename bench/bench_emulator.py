"""`wsdeploy dev` figures: echo round trips with real clients, and a fan-out to 100 clients.

Run: .venv/bin/python bench/bench_emulator.py [--messages N]
The emulator runs as `wsdeploy dev --quiet` in a subprocess (as a user runs it); the clients are
the websockets library's, in this process. Asserts nothing; prints figures.
Goals (issue 5): echo p50 under 2 ms, over 2,000 messages per second with 20 clients.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from websockets.asyncio.client import connect  # noqa: E402

from tests.support.emulator_cli import DevProcess  # noqa: E402

APP = '''
from wsdeploy.websocket import broadcast, on_connect, on_disconnect, on_message, on_route, send_message

CONNECTED = set()

@on_connect
def connect(event, context):
    CONNECTED.add(event["requestContext"]["connectionId"])

@on_disconnect
def disconnect(event, context):
    CONNECTED.discard(event["requestContext"]["connectionId"])

@on_message
def echo(event, context):  # as examples/echo answers: through @connections
    send_message(event["requestContext"]["connectionId"], event["body"])

@on_route("reply", reply=True)
def reply(event, context):  # a route response: no @connections call
    return event["body"]

@on_route("fanout")
def fanout(event, context):
    broadcast(list(CONNECTED), event["body"])
'''
TOML = '[app]\nname = "bench"\nhandler_module = "app"\n[stages.dev]\n'


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def round_trips(url: str, count: int, body: str, ready: asyncio.Barrier) -> list[float]:
    async with connect(url, compression=None) as ws:
        for _ in range(20):  # warm up: imports, first @connections client, worker threads
            await ws.send(body)
            await ws.recv()
        await ready.wait()  # every client connected and warm: the clock starts now
        times = []
        for _ in range(count):
            started = time.perf_counter()
            await ws.send(body)
            await ws.recv()
            times.append(time.perf_counter() - started)
        return times


async def echo(url: str, clients: int, per_client: int, body: str) -> tuple[list[float], float]:
    """Round-trip times, and messages per second counted over the measured round trips only
    (handshakes and warm-ups are done before the clock starts)."""
    ready = asyncio.Barrier(clients + 1)
    runs = [asyncio.create_task(round_trips(url, per_client, body, ready)) for _ in range(clients)]
    await ready.wait()
    started = time.perf_counter()
    results = await asyncio.gather(*runs)
    elapsed = time.perf_counter() - started
    times = [t for result in results for t in result]
    return times, len(times) / elapsed


async def fan_out(url: str, clients: int, rounds: int) -> list[float]:
    sockets = [await connect(url, compression=None) for _ in range(clients)]
    try:
        await asyncio.sleep(0.2)  # every $connect has been handled
        times = []
        for n in range(rounds + 2):
            started = time.perf_counter()
            await sockets[0].send(f'{{"action": "fanout", "n": {n}}}')
            await asyncio.gather(*(ws.recv() for ws in sockets))
            if n >= 2:  # the first two warm up the broadcast pool
                times.append(time.perf_counter() - started)
        return times
    finally:
        await asyncio.gather(*(ws.close() for ws in sockets))


def line(label: str, times: list[float], rate: float | None = None) -> str:
    ms = [t * 1000 for t in times]
    text = (f"  {label:<44} p50 {statistics.median(ms):6.2f} ms   p99 {percentile(ms, 0.99):6.2f} ms")
    return text + (f"   {rate:8,.0f} msg/s" if rate is not None else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000, help="round trips per measurement")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "app.py").write_text(textwrap.dedent(APP))
        Path(folder, "wsdeploy.toml").write_text(TOML)
        with DevProcess(Path(folder), "--quiet") as dev:
            print(f"wsdeploy dev on {dev.url} ({os.cpu_count()} CPUs), {args.messages} messages each")
            for label, body in (("echo via send_message (the echo example)", '{"action": "echo"}'),
                                ("echo via a reply route", '{"action": "reply"}')):
                times, rate = asyncio.run(echo(dev.url, 1, args.messages, body))
                print(line(f"{label}, 1 client", times, rate))
                times, rate = asyncio.run(echo(dev.url, 20, max(1, args.messages // 20), body))
                print(line(f"{label}, 20 clients", times, rate))
            times = asyncio.run(fan_out(dev.url, 100, 50))
            print(line("fan-out of one message to 100 clients", times))


if __name__ == "__main__":
    main()
