"""Runtime figures: cold start, first send in a fresh process, and broadcast fan-out.

Run: .venv/bin/python bench/bench_runtime.py [--runs N]
Prints figures side by side with the usual approach; asserts nothing.
Goals (issue 2): cold start within 10 ms of a bare interpreter; first send at most 0.4 of
boto3's; broadcast to 1,000 connections at 20 ms each under 1.5 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.fake_gateway import FakeGateway  # noqa: E402
from tests.support.package_project import MINIMAL_APP  # noqa: E402

CONNECT_EVENT = (ROOT / "tests" / "fixtures" / "events" / "connect.json").read_text()
COLD_START = {
    "python -c pass": "pass",
    "import boto3": "import boto3",
    "wsdeploy: import + CONNECT": (  # the event is a literal, so the harness imports no json
        "import wsdeploy.websocket\n"
        "from wsdeploy.runtime import lambda_handler\n"
        f"lambda_handler({CONNECT_EVENT.replace('false', 'False')}, None)"
    ),
    "same, app importing send_message": (
        "import os; os.environ['WSDEPLOY_HANDLER_MODULE'] = 'sender'\n"
        "from wsdeploy.runtime import lambda_handler\n"
        f"lambda_handler({CONNECT_EVENT.replace('false', 'False')}, None)"
    ),
}


def lambda_like_tree() -> Path:
    """A folder laid out as the deployed zip: the runtime files and a minimal handler module.

    Importing from here, not from the editable install, measures what Lambda would run.
    """
    tree = Path(tempfile.mkdtemp(prefix="wsdeploy-bench-"))
    (tree / "wsdeploy").mkdir()
    shutil.copy(ROOT / "wsdeploy" / "__init__.py", tree / "wsdeploy")
    shutil.copy(ROOT / "wsdeploy" / "websocket.py", tree / "wsdeploy")
    shutil.copytree(ROOT / "wsdeploy" / "runtime", tree / "wsdeploy" / "runtime",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (tree / "minimal.py").write_text(MINIMAL_APP)
    (tree / "sender.py").write_text("from wsdeploy.websocket import send_message\n" + MINIMAL_APP)
    return tree

FIRST_SEND = {
    "boto3 client + post_to_connection": (
        "import os, boto3\n"
        "c = boto3.client('apigatewaymanagementapi', endpoint_url=os.environ['EP'], region_name='us-east-1')\n"
        "c.post_to_connection(ConnectionId='BFHPhfCWIAMCKlQ=', Data=b'{\"type\":\"pong\"}')"
    ),
    "wsdeploy send_message": (
        "import os\n"
        "from wsdeploy.websocket import send_message\n"
        "send_message('BFHPhfCWIAMCKlQ=', {'type': 'pong'}, endpoint=os.environ['EP'])"
    ),
}


def time_fresh_processes(code: str, runs: int, env: dict[str, str]) -> float:
    """Median wall time, in ms, of a fresh interpreter running `code`."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=env, cwd=env["PYTHONPATH"])
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def table(title: str, rows: dict[str, float], baseline: str) -> None:
    print(f"\n{title}")
    for name, ms in rows.items():
        print(f"  {name:<38} {ms:8.1f} ms   ({ms / rows[baseline]:.2f}x of {baseline})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    tree = lambda_like_tree()
    # Lambda's task folder is read-only, so the runtime's modules compile at every cold start:
    # measured that way first (no .pyc written), then with a warm __pycache__ for comparison.
    env = dict(os.environ, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
               AWS_DEFAULT_REGION="us-east-1", WSDEPLOY_HANDLER_MODULE="minimal",
               PYTHONPATH=str(tree), PYTHONDONTWRITEBYTECODE="1")
    cold = {name: time_fresh_processes(code, args.runs, env) for name, code in COLD_START.items()}
    ours = "wsdeploy: import + CONNECT"
    cached_env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([sys.executable, "-c", COLD_START[ours]], env=cached_env, cwd=tree, check=True)
    cold[ours + " (.pyc cached)"] = time_fresh_processes(COLD_START[ours], args.runs, cached_env)
    table(f"Cold start, median of {args.runs} fresh processes", cold, "python -c pass")
    print(f"  wsdeploy over bare interpreter: {cold[ours] - cold['python -c pass']:.1f} ms compiling "
          f"as Lambda does, {cold[ours + ' (.pyc cached)'] - cold['python -c pass']:.1f} ms with "
          ".pyc cached (goal: within 10 ms)")

    with FakeGateway() as gateway:
        env_send = dict(env, EP=gateway.endpoint)
        first = {name: time_fresh_processes(code, args.runs, env_send) for name, code in FIRST_SEND.items()}
        sends = len(gateway.requests)
    base = "boto3 client + post_to_connection"
    table(f"First send in a fresh process (import, client, one POST), median of {args.runs}", first, base)
    print(f"  ratio: {first['wsdeploy send_message'] / first[base]:.2f} (goal: at most 0.40); "
          f"{sends} posts reached the local endpoint")

    from wsdeploy.websocket import broadcast, send_message

    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench")
    with FakeGateway(delay=0.020) as slow:
        ids = [f"conn{i:04d}AAAAAA=" for i in range(1000)]
        started = time.perf_counter()
        result = broadcast(ids, {"type": "news", "text": "hello everyone"}, endpoint=slow.endpoint)
        fan_out = time.perf_counter() - started
        started = time.perf_counter()
        for cid in ids[:50]:
            send_message(cid, {"type": "news"}, endpoint=slow.endpoint)
        sequential = (time.perf_counter() - started) * 1000 / 50
        in_flight = slow.max_in_flight
    print("\nBroadcast to 1,000 connections, endpoint answering after 20 ms")
    print(f"  broadcast():            {fan_out:6.2f} s  (sent {len(result.sent)}, gone {len(result.gone)},"
          f" failed {len(result.failed)}; up to {in_flight} in flight; goal under 1.5 s)")
    print(f"  send_message in a loop: {sequential:6.2f} s  (measured {sequential:.1f} ms"
          " per send over 50 sends, times 1,000)")
    shutil.rmtree(tree, ignore_errors=True)


if __name__ == "__main__":
    main()
