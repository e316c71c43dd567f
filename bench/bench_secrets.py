"""Secrets at cold start (issue 10): what resolving [app.secrets] adds to a fresh process.

Run: .venv/bin/python bench/bench_secrets.py [--runs N]
A local stub endpoint answers SSM GetParameters and Secrets Manager GetSecretValue after 20 ms
each (about a same-region call from Lambda). Each figure is a fresh interpreter: a bare one,
wsdeploy's runtime resolving one SSM parameter and two Secrets Manager secrets (one
GetParameters, the two reads side by side), and the same done with boto3 (the usual way:
import boto3, two clients, three calls one after the other). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LATENCY_SECONDS = 0.020
SECRETS = {"DATABASE_URL": "ssm:/chat/prod/database-url", "OPENAI_KEY": "secretsmanager:chat/openai",
           "STRIPE_KEY": "secretsmanager:chat/keys#stripe"}
ANSWERS = {"chat/openai": "sk-openai", "chat/keys": json.dumps({"stripe": "sk_stripe"})}


class Stub(BaseHTTPRequestHandler):
    """SSM and Secrets Manager, as far as the bench needs, 20 ms late."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
        time.sleep(LATENCY_SECONDS)
        target = self.headers.get("x-amz-target", "")
        if target.endswith("GetParameters"):
            answer = {"Parameters": [{"Name": n, "Value": "postgres://db", "Type": "SecureString"}
                                     for n in body["Names"]], "InvalidParameters": []}
        else:
            answer = {"Name": body["SecretId"], "SecretString": ANSWERS[body["SecretId"]]}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("content-type", "application/x-amz-json-1.1")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: object) -> None:
        pass


PROGRAMS = {
    "python -c pass": "pass",
    "wsdeploy runtime: resolve 3 secrets": (
        "from wsdeploy.runtime.secrets import resolve_once\nresolve_once()\n"
        "import os; assert os.environ['STRIPE_KEY'] == 'sk_stripe'"),
    "boto3: the same 3 reads": (
        "import json, os, boto3\n"
        "ssm, sm = boto3.client('ssm'), boto3.client('secretsmanager')\n"
        "os.environ['DATABASE_URL'] = ssm.get_parameters(Names=['/chat/prod/database-url'], "
        "WithDecryption=True)['Parameters'][0]['Value']\n"
        "os.environ['OPENAI_KEY'] = sm.get_secret_value(SecretId='chat/openai')['SecretString']\n"
        "os.environ['STRIPE_KEY'] = json.loads(sm.get_secret_value(SecretId='chat/keys')"
        "['SecretString'])['stripe']"),
}


def timed(program: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", program], env=env, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    server = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
           "PYTHONPATH": str(ROOT), "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDBENCH",
           "AWS_SECRET_ACCESS_KEY": "bench", "AWS_ENDPOINT_URL": f"http://127.0.0.1:{server.server_port}",
           "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
           "WSDEPLOY_SECRETS": json.dumps(SECRETS)}
    medians = {}
    for name, program in PROGRAMS.items():
        timed(program, env)   # warm the file cache
        medians[name] = statistics.median(timed(program, env) for _ in range(runs))
    bare = medians["python -c pass"]
    print(f"fresh process, median of {runs} (stub latency {LATENCY_SECONDS * 1000:.0f} ms per call):")
    for name, seconds in medians.items():
        added = "" if name == "python -c pass" else f"   (+{(seconds - bare) * 1000:6.1f} ms over bare)"
        print(f"  {name:40} {seconds * 1000:7.1f} ms{added}")
    server.shutdown()


if __name__ == "__main__":
    main()
