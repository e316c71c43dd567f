"""The README's first two commands and first session, as a new user meets them: `make dev` needs
Python alone, and the client the session uses (`python -m websockets`, which comes with
wsdeploy's dependencies) talks to examples/echo on `wsdeploy dev` exactly as shown."""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import sys
import threading
import time

from tests.support.cli_user import ANSI
from tests.support.emulator_cli import REPO, DevProcess
from tests.support.readme import README, first_session


def test_the_session_is_the_echo_apps_and_uses_the_client_that_comes_with_wsdeploy():
    command, sent, received = first_session()
    assert command == ".venv/bin/python -m websockets ws://127.0.0.1:8765/dev"
    assert sent == ['{"action": "echo", "data": "hello"}', '{"action": "ping"}', '{"action": "dance"}']
    assert received[0] == '{"type":"echo","data":"hello"}'      # send_message's compact JSON


class InteractiveClient:
    """`python -m websockets URL` with its stdin a pipe we type into, its output read as it comes."""

    def __init__(self, url: str) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "websockets", url], cwd=REPO,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, bufsize=1,
                                        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
        self.output: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.seen: list[str] = []

    def _read(self) -> None:
        for line in self.process.stdout:
            self.output.put(ANSI.sub("", line).strip())

    def wait_for(self, wanted: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while wanted not in self.seen:
            left = deadline - time.monotonic()
            assert left > 0, f"no {wanted!r} from the client; it printed {self.seen}"
            try:
                self.seen.append(self.output.get(timeout=left))
            except queue.Empty:
                pass

    def type(self, line: str) -> None:
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def close(self) -> int:
        self.process.stdin.close()                     # Ctrl-D
        return self.process.wait(timeout=20)


def test_the_readme_session_replays_with_python_m_websockets(tmp_path):
    folder = tmp_path / "echo"
    shutil.copytree(REPO / "examples" / "echo", folder, ignore=shutil.ignore_patterns("__pycache__"))
    _, sent, received = first_session()
    with DevProcess(folder) as dev:
        client = InteractiveClient(dev.url)
        try:
            client.wait_for(f"Connected to {dev.url}.")
            for message, reply in zip(sent, received):       # one at a time: each answer in turn
                client.type(message)
                client.wait_for(f"< {reply}")
            code = client.close()
        finally:
            if client.process.poll() is None:
                client.process.kill()
    assert code == 0
    assert [line for line in client.seen if line.startswith("< ")] == [f"< {r}" for r in received]


def make_dry_run(target: str) -> str:
    """What `make TARGET` would run on a fresh machine (every target out of date), not running it."""
    done = subprocess.run(["make", "-n", "-B", target, "VENV=/nonexistent/venv"], cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_make_dev_needs_python_alone_and_make_test_installs_wscat():
    dev = make_dry_run("dev")
    assert "npm" not in dev and "node_modules" not in dev
    assert "-m venv /nonexistent/venv" in dev and "cd examples/echo && /nonexistent/venv/bin/wsdeploy dev" in dev
    test = make_dry_run("test")
    assert "npm install" in test and "-m pytest" in test
    assert (REPO / ".ci" / "run").read_text().rstrip().endswith("make test")
    top = README.read_text().split("## ", 1)[0]
    assert "make dev     # on a fresh machine" in top and "`make dev` needs Python 3.11+ and `make`" in top
