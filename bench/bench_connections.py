"""Connection tracking figures: DynamoDB calls and time for a broadcast to a 1,000-member room.

Run: .venv/bin/python bench/bench_connections.py
DynamoDB is moto in-process (calls are counted, not timed against AWS); the @connections
endpoint is a local server answering after 20 ms. Asserts nothing.
Goals (issue 6): one query page per MB of membership; broadcast under 2 s.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                  AWS_DEFAULT_REGION="us-east-1", WSDEPLOY_CONNECTIONS_TABLE="bench-connections")

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

from tests.support.fake_gateway import FakeGateway  # noqa: E402
from wsdeploy.runtime import connections as connections_module  # noqa: E402
from wsdeploy.runtime.management import send_message  # noqa: E402
from wsdeploy.websocket import connections  # noqa: E402

MEMBERS = 1000


def main() -> None:
    with mock_aws():
        client = boto3.client("dynamodb")
        client.create_table(
            TableName="bench-connections",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                       {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        ids = [f"Conn{i:04d}AbCdEf=" for i in range(MEMBERS)]
        for cid in ids:
            connections.add(cid, name=f"user{cid[4:8]}")
            connections.join(cid, "lobby")
        store = connections.store()
        calls: list[str] = []
        store.client.meta.events.register("before-call.dynamodb",
                                          lambda model, **_: calls.append(model.name))

        with FakeGateway(delay=0.020) as gateway:
            started = time.perf_counter()
            result = connections.broadcast({"type": "news", "text": "hello room"}, room="lobby",
                                           endpoint=gateway.endpoint)
            elapsed = time.perf_counter() - started
            dynamo_calls = list(calls)

            # The feature reference's pattern: scan the table, then send one at a time.
            calls.clear()
            sample = 50
            started = time.perf_counter()
            scanned = client.scan(TableName="bench-connections", ProjectionExpression="pk, sk")
            connection_items = [i for i in scanned["Items"] if i["pk"]["S"] == "conns"]
            for item in connection_items[:sample]:
                send_message(item["sk"]["S"], {"type": "news"}, endpoint=gateway.endpoint)
            per_send = (time.perf_counter() - started) / sample

            # A tenth of the room left without a $disconnect: sends find them gone, then prune.
            connections_module.PRUNE_GRACE_SECONDS = 0
            gateway.delay = 0.020
            for cid in ids[::10]:
                gateway.gone(cid)
            calls.clear()
            started = time.perf_counter()
            pruned = connections.broadcast({"type": "news"}, room="lobby", endpoint=gateway.endpoint)
            prune_elapsed = time.perf_counter() - started
            prune_calls = list(calls)
            remaining = sum(1 for _ in connections.members("lobby"))

    print(f"Broadcast to a room of {MEMBERS:,} members (moto DynamoDB, endpoint answering in 20 ms)")
    print(f"  connections.broadcast: {len(dynamo_calls)} DynamoDB call(s) {sorted(set(dynamo_calls))}, "
          f"{elapsed:.2f} s, sent {len(result.sent)}, gone {len(result.gone)} (goal: under 2 s)")
    print(f"  scan + send one by one (the reference's chat): 1+ Scan over the whole table, "
          f"about {per_send * MEMBERS:.1f} s ({per_send * 1000:.1f} ms a send over {sample} sends)")
    counts = ", ".join(f"{prune_calls.count(op)} {op}" for op in sorted(set(prune_calls)))
    print(f"  with 10% gone: {len(prune_calls)} DynamoDB calls ({counts}), {prune_elapsed:.2f} s;"
          f" gone {len(pruned.gone)}, {remaining} members left")
    print("  (times with DynamoDB calls are moto's: an in-process Query costs it about 30 ms on a"
          " table this size; one Query per gone client finds its rooms, run 32 at a time)")


if __name__ == "__main__":
    main()
