"""Provisioning figures: AWS calls by operation (reads, writes, waits) and wall time of a fresh
`up`, a no-op `up`, a code-only `up` and `down` of the echo app, then the same app with
connection tracking on ([app.connections] enabled: a fresh and a no-op `up`, turning it off
and on again, `down`), against a moto server.

Run: .venv/bin/python bench/bench_provision.py [--runs N]
Prints figures; asserts nothing. Goals (issue 4): fresh up at most 17 calls (adoption's
look-ups included), no-op up at most 5 calls and 0 writes, code-only up exactly 1 write plus
waits. Issue 6: the table costs a no-op up nothing (it is trusted from the state file like
the role and the log group; `up --refresh` reads it), and a fresh up one look-up, CreateTable
and UpdateTimeToLive, plus DescribeTable polls until the table is ACTIVE: moto creates tables
ACTIVE at once, so none are counted here; on AWS expect a few, each 1-5 s apart.
For comparison, a well-known tool that also deploys WebSocket APIs by direct calls
makes 27 calls on a fresh deploy and 35 on a no-op redeploy (about 25 of them writes).
Times are moto's, on loopback: they show wsdeploy's own overhead, not AWS's latency.

Issue 13: the echo app with a custom domain (an issued certificate and a Route 53 zone made
first): a fresh and a no-op `up`, a changed base path, turning the domain off and on again,
`down`. These run against moto in-process, made strict as the tests make it (moto's server
gives a domain no regional target and lacks UpdateApiMapping), so their times are not
comparable with the rows above; their call counts are.

Issue 11: the echo app guarded by an @on_authorize function (its $connect REQUEST authorizer and
the function's statement for it): a fresh and a no-op `up`, a change of identity sources, the
decorator removed, `down`; in-process against strict moto too (moto lacks GetAuthorizers).
Stages without an authorizer make no call more than before.

Remote state (issue 12): the same app with `state = "s3://..."`, each command as the CLI runs
it (a new store, which asks STS who it is, and the lock object held around it): what the S3
record and lock add to a fresh `up`, a no-op `up` and `down`.

The HTTP API of `http_app` (issue 17): the echo app with a WSGI app beside it, against the
moto server: a fresh and a no-op `up`, turning http_app off and on again, `down`. The HTTP API
is trusted from the state file like the WebSocket API's integration and stage, so a no-op `up`
costs what it costs without it.

Then the whole commands, as a user runs them (issue 9): the wall time of `wsdeploy up` with
nothing to change and of `wsdeploy status`, each a fresh process, side by side with
`chalice deploy` of a one-route Chalice WebSocket app with nothing to change, against the same
moto server (through a proxy that answers CreateDeployment, which moto lacks and Chalice
needs). Chalice is installed once into ~/.cache/wsdeploy-bench (needs PyPI); --no-chalice
skips the comparison.
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
from collections import Counter
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.moto_deployments_proxy import start as start_proxy  # noqa: E402
from tests.support.aws_fixtures import CallLog, REGION  # noqa: E402
from tests.support.aws_server import MotoServer  # noqa: E402
from tests.support.package_project import write_project  # noqa: E402
from wsdeploy.config import load_stage  # noqa: E402
from wsdeploy.package import build_package  # noqa: E402
from wsdeploy.provision.aws import Aws, make_session  # noqa: E402
from wsdeploy.provision.deploy import up  # noqa: E402
from wsdeploy.provision.desired import desired_from  # noqa: E402
from wsdeploy.provision.teardown import apply_down, prepare_down  # noqa: E402
from wsdeploy.state import StateFile  # noqa: E402

WAITS = {"GetFunctionConfiguration"}   # only the waiter polls it
TRACKED_TOML = '[app]\nname = "chat"\n\n[app.connections]\nenabled = true\n\n[stages.dev]\n'
DOMAIN_TOML = '[app]\nname = "chat"\n\n[stages.dev]\ndomain = { name = "ws.example.com" }\n'
STATE_BUCKET = "bench-wsdeploy-state"
HTTP_TOML = '[app]\nname = "chat"\nhttp_app = "web:app"\n\n[stages.dev]\n'
WEB_APP = "def app(environ, start_response):\n    start_response('200 OK', [])\n    return [b'ok']\n"
REMOTE_TOML = f'[app]\nname = "chat"\nstate = "s3://{STATE_BUCKET}/chat"\n\n[stages.dev]\n'


def kind(operation: str) -> str:
    if operation in WAITS:
        return "wait"
    return "read" if operation.startswith(("Get", "List", "Describe", "Filter")) else "write"


def measure(label: str, action, log: CallLog, rows: list) -> None:
    log.clear()
    start = time.perf_counter()
    action()
    elapsed = time.perf_counter() - start
    counts = Counter(log.operations)
    kinds = Counter(kind(op) for op in log.operations)
    rows.append((label, len(log.operations), kinds, elapsed, counts))


def report(rows: list, runs: int) -> None:
    print(f"{'':<22} {'calls':>5} {'reads':>5} {'writes':>6} {'waits':>5} {'median ms':>10}")
    for label in dict.fromkeys(r[0] for r in rows):
        mine = [r for r in rows if r[0] == label]
        _, calls, kinds, _, counts = mine[0]
        median = statistics.median(r[3] for r in mine) * 1000
        print(f"{label:<22} {calls:>5} {kinds['read']:>5} {kinds['write']:>6} {kinds['wait']:>5} "
              f"{median:>10.1f}")
        print("    " + ", ".join(f"{op} x{n}" if n > 1 else op for op, n in counts.items()))
    print(f"(median of {runs} run(s); goals: fresh <= 17 calls, tracked 3 more plus the table's "
          "ACTIVE polls; no-op <= 5 calls and 0 writes, tracked, with a domain or not; code-only 1 "
          "write + waits. moto's tables are ACTIVE at once: no polls here)")


def tracked_up(folder: Path, rows: list) -> None:
    """The echo app with [app.connections] enabled: its table, grant and variables."""
    config = write_project(folder, TRACKED_TOML, echo=True)
    cfg = load_stage(config)
    session = make_session(cfg.profile, cfg.region or REGION)
    log = CallLog().attach(session)
    aws, store = Aws(session), StateFile(cfg.state_dir, cfg.stage)
    package = build_package(cfg)
    tracked = desired_from(cfg, package, aws.region)
    plain = replace(tracked, connections=None)
    measure("fresh up, tracked", lambda: up(aws, tracked, store), log, rows)
    measure("no-op up, tracked", lambda: up(aws, tracked, store), log, rows)
    measure("turn tracking off", lambda: up(aws, plain, store), log, rows)
    measure("turn tracking on", lambda: up(aws, tracked, store), log, rows)
    measure("down, tracked", lambda: apply_down(aws, tracked, store,
                                                prepare_down(aws, tracked, store)), log, rows)


def http_up(folder: Path, rows: list) -> None:
    """The echo app with http_app: the HTTP API beside the WebSocket API (issue 17)."""
    config = write_project(folder, HTTP_TOML, {"web.py": WEB_APP}, echo=True)
    cfg = load_stage(config)
    session = make_session(cfg.profile, cfg.region or REGION)
    log = CallLog().attach(session)
    aws, store = Aws(session), StateFile(cfg.state_dir, cfg.stage)
    with_http = desired_from(cfg, build_package(cfg), aws.region)
    plain = replace(with_http, http_app=None)
    measure("fresh up, http_app", lambda: up(aws, with_http, store), log, rows)
    measure("no-op up, http_app", lambda: up(aws, with_http, store), log, rows)
    measure("turn http_app off", lambda: up(aws, plain, store), log, rows)
    measure("turn http_app on", lambda: up(aws, with_http, store), log, rows)
    measure("down, http_app", lambda: apply_down(aws, with_http, store,
                                                 prepare_down(aws, with_http, store)), log, rows)



@contextmanager
def strict_in_process():
    """A session on moto in-process, made strict as the tests make it, with a call log."""
    from moto import mock_aws
    from tests.support.aws_fixtures import new_session
    from tests.support.aws_strict import make_strict

    endpoint = os.environ.pop("AWS_ENDPOINT_URL", None)    # in-process: no server
    try:
        with mock_aws():
            session = new_session()
            make_strict(session)
            yield session, CallLog().attach(session)
    finally:
        if endpoint is not None:
            os.environ["AWS_ENDPOINT_URL"] = endpoint


def domain_up(folder: Path, rows: list) -> None:
    """The echo app with a custom domain, in-process against strict moto (see the docstring)."""
    from tests.support.aws_domains import hosted_zone, issued_certificate

    with strict_in_process() as (session, log):
        issued_certificate(session)
        hosted_zone(session)
        cfg = load_stage(write_project(folder, DOMAIN_TOML, echo=True))
        aws, store = Aws(session), StateFile(cfg.state_dir, cfg.stage)
        with_domain = desired_from(cfg, build_package(cfg), aws.region)
        moved = replace(with_domain, domain=replace(with_domain.domain, base_path="v1"))
        plain = replace(with_domain, domain=None)
        measure("fresh up, domain", lambda: up(aws, with_domain, store), log, rows)
        measure("no-op up, domain", lambda: up(aws, with_domain, store), log, rows)
        measure("change base path", lambda: up(aws, moved, store), log, rows)
        measure("turn domain off", lambda: up(aws, plain, store), log, rows)
        measure("turn domain on", lambda: up(aws, moved, store), log, rows)
        measure("down, domain", lambda: apply_down(aws, moved, store,
                                                   prepare_down(aws, moved, store)), log, rows)


def remote_up(folder: Path, rows: list) -> None:
    """The echo app keeping its state in S3, each command holding the lock, as the CLI does."""
    from wsdeploy.cli.stage import store_for
    config = write_project(folder, REMOTE_TOML, echo=True)
    cfg = load_stage(config)
    session = make_session(cfg.profile, cfg.region or REGION)
    s3 = session.client("s3")
    if STATE_BUCKET not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=STATE_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    log = CallLog().attach(session)
    aws = Aws(session)
    d = desired_from(cfg, build_package(cfg), aws.region)

    def locked(command: str, action) -> None:
        store = store_for(cfg, aws)
        with store.locked(command):
            action(store)

    measure("fresh up, S3 state", lambda: locked("up", lambda store: up(aws, d, store)), log, rows)
    measure("no-op up, S3 state", lambda: locked("up", lambda store: up(aws, d, store)), log, rows)
    measure("down, S3 state", lambda: locked("down", lambda store: apply_down(
        aws, d, store, prepare_down(aws, d, store))), log, rows)


CHALICE_VERSION = "1.34.0"
CHALICE_APP = """from chalice import Chalice

app = Chalice(app_name="echo")
app.experimental_feature_flags.update(["WEBSOCKETS"])


@app.on_ws_message()
def message(event):
    app.websocket_api.send(event.connection_id, event.body)
"""


def chalice_command() -> Path | None:
    """Chalice in a virtual environment of its own, made once (pip needs PyPI)."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    venv = cache / "wsdeploy-bench" / f"chalice-{CHALICE_VERSION}"
    command = venv / "bin" / "chalice"
    if not command.exists():
        print(f"installing chalice {CHALICE_VERSION} into {venv} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        done = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
                               f"chalice=={CHALICE_VERSION}"])
        if done.returncode:
            shutil.rmtree(venv, ignore_errors=True)
            return None
    return command


def wall_times(command: list[str], cwd: Path, env: dict, runs: int) -> list[float]:
    """Seconds each run of a whole command took; a failed run stops the benchmark."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if done.returncode:
            raise SystemExit(f"{' '.join(command)} failed in {cwd}:\n{done.stdout}{done.stderr}")
    return times


def versus_chalice(server: MotoServer, runs: int, folder: Path) -> None:
    chalice = chalice_command()
    if chalice is None:
        print("chalice could not be installed (no PyPI?): comparison skipped")
        return
    proxy_url, proxy = start_proxy(server.url)
    env = {**server.env(), "AWS_ENDPOINT_URL": proxy_url, "AWS_DEFAULT_REGION": REGION}
    wsdeploy = str(Path(sys.executable).with_name("wsdeploy"))
    try:
        ours = folder / "versus-wsdeploy"
        write_project(ours, echo=True)
        wall_times([wsdeploy, "up"], ours, env, 1)                  # the fresh deploy: not timed
        up_times = wall_times([wsdeploy, "up"], ours, env, runs)
        status_times = wall_times([wsdeploy, "status"], ours, env, runs)
        theirs = folder / "versus-chalice"
        (theirs / ".chalice").mkdir(parents=True)
        (theirs / "app.py").write_text(CHALICE_APP)
        (theirs / "requirements.txt").write_text("")
        (theirs / ".chalice" / "config.json").write_text(
            '{"version": "2.0", "app_name": "echo", "stages": {"dev": {"api_gateway_stage": "dev"}}}')
        wall_times([str(chalice), "deploy"], theirs, env, 1)
        chalice_times = wall_times([str(chalice), "deploy"], theirs, env, runs)
    finally:
        proxy.shutdown()
    chalice_median = statistics.median(chalice_times)
    print(f"\nwhole commands, nothing to change (median of {runs}, each a fresh process; "
          f"ratio: wsdeploy's time / chalice's):")
    for label, times in (("wsdeploy up", up_times), ("wsdeploy status", status_times),
                         (f"chalice deploy {CHALICE_VERSION}", chalice_times)):
        median = statistics.median(times)
        print(f"  {label:<24} {median * 1000:>7.0f} ms   ratio {median / chalice_median:.2f}"
              f"   (min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f})")


AUTHORIZED_APP = """
from wsdeploy.websocket import on_authorize, allow

@on_authorize(identity=["route.request.querystring.token"])
def authorize(event, context):
    return allow("user")
"""


def authorizer_up(folder: Path, rows: list) -> None:
    """The echo app with @on_authorize, in-process against strict moto (see the docstring)."""
    from wsdeploy.provision.desired import DesiredAuthorizer

    with strict_in_process() as (session, log):
        cfg = load_stage(write_project(folder, echo=True, files={"guard.py": AUTHORIZED_APP}))
        (cfg.source_dir / "app.py").write_text((cfg.source_dir / "app.py").read_text()
                                               + "\nimport guard  # noqa: F401\n")
        aws, store = Aws(session), StateFile(cfg.state_dir, cfg.stage)
        guarded = desired_from(cfg, build_package(cfg), aws.region)
        moved = replace(guarded, authorizer=DesiredAuthorizer(("route.request.header.Authorization",)))
        plain = replace(guarded, authorizer=None, connect_auth="NONE")
        measure("fresh up, authorizer", lambda: up(aws, guarded, store), log, rows)
        measure("no-op up, authorizer", lambda: up(aws, guarded, store), log, rows)
        measure("change identity", lambda: up(aws, moved, store), log, rows)
        measure("remove authorizer", lambda: up(aws, plain, store), log, rows)
        measure("add authorizer", lambda: up(aws, moved, store), log, rows)
        measure("down, authorizer", lambda: apply_down(aws, moved, store,
                                                       prepare_down(aws, moved, store)), log, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="repetitions of each scenario")
    parser.add_argument("--no-chalice", action="store_true", help="skip the comparison with Chalice")
    options = parser.parse_args()
    runs = options.runs
    server = MotoServer()
    try:
        os.environ.update({k: v for k, v in server.env().items() if k.startswith("AWS_")})
        rows: list = []
        with tempfile.TemporaryDirectory() as folder:
            for run in range(runs):
                config = write_project(Path(folder) / f"echo{run}", echo=True)
                cfg = load_stage(config)
                session = make_session(cfg.profile, cfg.region or REGION)
                log = CallLog().attach(session)
                aws, store = Aws(session), StateFile(cfg.state_dir, cfg.stage)
                start = time.perf_counter()
                first = desired_from(cfg, build_package(cfg), aws.region)
                build = time.perf_counter() - start
                measure("fresh up", lambda: up(aws, first, store), log, rows)
                measure("no-op up", lambda: up(aws, first, store), log, rows)
                app = cfg.source_dir / "app.py"
                app.write_text(app.read_text() + f"\n# edited {run}\n")
                changed = desired_from(cfg, build_package(cfg), aws.region)
                measure("code-only up", lambda: up(aws, changed, store), log, rows)
                measure("down", lambda: apply_down(aws, changed, store,
                                                   prepare_down(aws, changed, store)), log, rows)
                tracked_up(Path(folder) / f"tracked{run}", rows)
                domain_up(Path(folder) / f"domain{run}", rows)
                remote_up(Path(folder) / f"remote{run}", rows)
                authorizer_up(Path(folder) / f"authorizer{run}", rows)
                http_up(Path(folder) / f"http{run}", rows)
            print(f"echo app against a moto server on 127.0.0.1 (package build, not counted: "
                  f"{build * 1000:.0f} ms)")
            report(rows, runs)
            if not options.no_chalice:
                versus_chalice(server, max(runs, 5), Path(folder))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
