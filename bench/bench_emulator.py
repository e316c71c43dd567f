"""`wsdeploy dev` figures, each beside a plain `websockets` server's from the same run.

Run: .venv/bin/python bench/bench_emulator.py [--messages N] [--flood-mb N]
Both servers run in subprocesses (`wsdeploy dev --quiet`, as a user runs it, and a plain
websockets echo server of a few lines); the clients are the websockets library's, in this
process. Asserts nothing; prints figures. Rates count only the round trips made after every
client has connected and warmed up.

Goals (issue 15): with 20 clients, an echo through `send_message` at 0.4x or more of the plain
server's rate, through a reply route at 0.7x or more; while one client floods 100 KB messages
without reading, another client's echo p99 under 50 ms, and the server's memory growth bounded
by the per-connection limits (wsdeploy/emulator/limits.py).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from websockets.asyncio.client import connect  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402

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
def echo(event, context):  # as examples/echo answers: through send_message
    send_message(event["requestContext"]["connectionId"], event["body"])

@on_route("reply", reply=True)
def reply(event, context):  # a route response: no send_message call
    return event["body"]

@on_route("fanout")
def fanout(event, context):
    broadcast(list(CONNECTED), event["body"])
'''
TOML = '[app]\nname = "bench"\nhandler_module = "app"\n[stages.dev]\n'

# The plain server: echoes every message, and sends a "fanout" message to every client.
PLAIN = '''
import asyncio, sys
from websockets.asyncio.server import broadcast, serve
from websockets.exceptions import ConnectionClosed

CLIENTS = set()

async def handler(ws):
    CLIENTS.add(ws)
    try:
        async for message in ws:
            if '"fanout"' in message:
                broadcast(CLIENTS, message)
            else:
                await ws.send(message)
    except ConnectionClosed:
        pass
    finally:
        CLIENTS.discard(ws)

async def main():
    async with serve(handler, "127.0.0.1", 0, compression=None, ping_interval=None,
                     max_size=2**20) as server:
        print("ws://127.0.0.1:%d/" % server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()

asyncio.run(main())
'''

FLOOD_MESSAGE_BYTES = 100 * 1024


class PlainServer:
    """The plain websockets server in a subprocess; `url` and `pid` once started."""

    def __enter__(self) -> PlainServer:
        self.process = subprocess.Popen([sys.executable, "-c", PLAIN], stdout=subprocess.PIPE,
                                        text=True)
        self.url = self.process.stdout.readline().strip()
        self.pid = self.process.pid
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def round_trips(url: str, count: int, body: str, ready: asyncio.Barrier) -> list[float]:
    async with connect(url, compression=None, ping_interval=None) as ws:
        for _ in range(20):  # warm up: imports, worker threads, connections
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
    """Round-trip times, and messages per second over the measured round trips only."""
    ready = asyncio.Barrier(clients + 1)
    runs = [asyncio.create_task(round_trips(url, per_client, body, ready)) for _ in range(clients)]
    await ready.wait()
    started = time.perf_counter()
    results = await asyncio.gather(*runs)
    elapsed = time.perf_counter() - started
    times = [t for result in results for t in result]
    return times, len(times) / elapsed


async def fan_out(url: str, clients: int, rounds: int) -> list[float]:
    sockets = [await connect(url, compression=None, ping_interval=None) for _ in range(clients)]
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


@dataclass
class Flood:
    sent_mb: float
    seconds: float
    closed: str  # how the flooding client's connection ended, if it did
    others: list[float]  # the other client's round-trip times meanwhile
    rss_before: float
    rss_peak: float
    rss_after: float


async def flood(url: str, pid: int, budget_mb: float, seconds: float) -> Flood:
    """For `seconds`, one client sends 100 KB echo messages (`budget_mb` in all, then it stays
    connected) and never reads, while another client measures echo round trips."""
    await asyncio.sleep(0.5)
    rss_before = rss_mb(pid)
    peak = rss_before
    payload = '{"action": "echo", "pad": "' + "x" * (FLOOD_MESSAGE_BYTES - 30) + '"}'
    fragments = [payload[i:i + 30 * 1024] for i in range(0, len(payload), 30 * 1024)]  # the
    # gateway closes a connection that sends a frame over 32 KB
    over = asyncio.Event()
    sent = 0
    closed = "still open"

    async def flooder() -> None:
        nonlocal sent, closed
        # max_queue=1: the client's own queue of unread replies stays small, so it stops
        # reading its socket at once, as a stuck browser tab would.
        ws = await connect(url, compression=None, ping_interval=None, max_queue=1, max_size=None)
        try:
            while sent < budget_mb * 2**20:
                await ws.send(fragments)
                sent += len(payload)
            await over.wait()
        except ConnectionClosed as error:
            closed = ("closed by the server ("
                      + (f"{error.rcvd.code}" if error.rcvd else "no close frame") + ")")
        finally:
            if not ws.transport.is_closing():
                ws.transport.abort()  # leave without reading or closing politely

    async def other() -> list[float]:
        times = []
        async with connect(url, compression=None, ping_interval=None) as ws:
            while not over.is_set():
                started = time.perf_counter()
                await ws.send('{"action": "echo"}')
                try:
                    await asyncio.wait_for(ws.recv(), 60)
                except TimeoutError:
                    times.append(60.0)
                    continue
                times.append(time.perf_counter() - started)
                await asyncio.sleep(0.005)
        return times

    async def sample() -> None:
        nonlocal peak
        while not over.is_set():
            peak = max(peak, rss_mb(pid))
            await asyncio.sleep(0.05)

    other_task = asyncio.create_task(other())
    sampler = asyncio.create_task(sample())
    flood_task = asyncio.create_task(flooder())
    await asyncio.sleep(seconds)
    over.set()
    if not flood_task.done():
        flood_task.cancel()  # a send the server does not read may wait for ever
    await asyncio.gather(flood_task, return_exceptions=True)
    others = await other_task
    await sampler
    await asyncio.sleep(1.0)
    return Flood(sent / 2**20, seconds, closed, others, rss_before, peak, rss_mb(pid))


def summary(times: list[float], rate: float | None = None) -> str:
    ms = [t * 1000 for t in times]
    text = f"p50 {statistics.median(ms):6.2f} ms  p99 {percentile(ms, 0.99):7.2f} ms"
    return text + (f"  {rate:7,.0f} msg/s" if rate is not None else "")


def flood_line(result: Flood) -> str:
    return (f"other's p99 {percentile(result.others, 0.99) * 1000:7.1f} ms "
            f"({len(result.others)} echoes); flooder sent {result.sent_mb:3.0f} MB, "
            f"{result.closed}; RSS {result.rss_before:.0f} -> peak {result.rss_peak:.0f} MB "
            f"(+{result.rss_peak - result.rss_before:.0f})")


def rates_line(label: str, runs: list[tuple[list[float], float]],
               plain: list[tuple[list[float], float]] | None = None) -> str:
    """Median and range of the rounds' rates, latencies of all rounds together, and the ratio
    of each round's rate to the plain server's in the same round."""
    rates = [rate for _, rate in runs]
    times = [t for round_times, _ in runs for t in round_times]
    text = (f"    {label:<30} {summary(times)}  {statistics.median(rates):7,.0f} msg/s "
            f"({min(rates):,.0f}-{max(rates):,.0f})")
    if plain is not None:
        ratios = [rate / plain_rate for (_, rate), (_, plain_rate) in zip(runs, plain)]
        text += f"  {statistics.median(ratios):4.2f}x plain ({min(ratios):.2f}-{max(ratios):.2f})"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000, help="round trips per measurement")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds per workload, the servers taking turns within each round")
    parser.add_argument("--flood-mb", type=float, default=150, help="what the flooding client sends")
    parser.add_argument("--flood-seconds", type=float, default=15, help="how long the flood lasts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "app.py").write_text(textwrap.dedent(APP))
        Path(folder, "wsdeploy.toml").write_text(TOML)
        with DevProcess(Path(folder), "--quiet") as dev, PlainServer() as plain:
            load = os.getloadavg()
            print(f"wsdeploy dev on {dev.url} beside a plain websockets server, {os.cpu_count()} "
                  f"CPUs, load {load[0]:.1f}; {args.rounds} rounds of {args.messages} round trips "
                  "each, the servers taking turns; rates as median (range)")
            workloads = {"plain websockets server": (plain.url, '{"action": "echo"}'),
                         "wsdeploy dev, send_message": (dev.url, '{"action": "echo"}'),
                         "wsdeploy dev, a reply route": (dev.url, '{"action": "reply"}')}
            for clients in (1, 20):
                per = max(1, args.messages // clients)
                runs: dict[str, list] = {label: [] for label in workloads}
                for _ in range(args.rounds):
                    for label, (url, body) in workloads.items():
                        runs[label].append(asyncio.run(echo(url, clients, per, body)))
                print(f"  echo, {clients} client{'s' if clients > 1 else ''}")
                baseline = runs.pop("plain websockets server")
                print(rates_line("plain websockets server", baseline))
                for label, measured in runs.items():
                    print(rates_line(label, measured, baseline))
            print("  one message to 100 clients")
            print(f"    {'plain websockets server':<30} {summary(asyncio.run(fan_out(plain.url, 100, 50)))}")
            print(f"    {'wsdeploy dev, broadcast':<30} {summary(asyncio.run(fan_out(dev.url, 100, 50)))}")
            print(f"  for {args.flood_seconds:g} s one client floods {FLOOD_MESSAGE_BYTES // 1024} KB "
                  "echo messages without reading, another echoes small ones")
            for label, url, pid in (("plain websockets server", plain.url, plain.pid),
                                    ("wsdeploy dev, send_message", dev.url, dev.process.pid)):
                result = asyncio.run(flood(url, pid, args.flood_mb, args.flood_seconds))
                print(f"    {label:<30} {flood_line(result)}")


if __name__ == "__main__":
    main()
