"""Runs `wsdeploy dev` as a user does, in a subprocess, and reads what it prints."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

WSDEPLOY = str(Path(sys.executable).with_name("wsdeploy"))
REPO = Path(__file__).resolve().parents[2]
WSCAT = REPO / "node_modules" / ".bin" / "wscat"  # installed by `make setup`


class DevProcess:
    """`with DevProcess(folder, "--quiet") as dev:` serves on a free port; `dev.url` says where."""

    def __init__(self, cwd: Path, *args: str, env: dict | None = None, replace_env: bool = False):
        self.cwd, self.args = cwd, args
        self.env = dict(env or {}) if replace_env else {**os.environ, **(env or {})}
        self.lines: list[str] = []
        self.url = ""

    def __enter__(self) -> DevProcess:
        self.process = subprocess.Popen(
            [WSDEPLOY, "dev", "--port", "0", *self.args], cwd=self.cwd, env=self.env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        try:
            found = self.wait_for_line(r"WebSocket\s+(ws://\S+)")
        except BaseException:
            self.stop()  # never leave the server running behind a failed start
            raise
        self.url = re.search(r"ws://\S+", found).group(0)
        return self

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for_line(self, pattern: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if re.search(pattern, line):
                    return line
            if self.process.poll() is not None and not self._reader.is_alive():
                break
            time.sleep(0.02)
        raise AssertionError(f"no line matching {pattern!r}; output:\n" + "\n".join(self.lines))

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self._reader.join(timeout=5)
        return code

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def run_wscat(url: str, *messages: str, wait: float = 2.0, extra: tuple[str, ...] = (),
              timeout: float = 30) -> subprocess.CompletedProcess:
    """wscat sending `messages` once connected; its stdin stays open until it exits by itself
    (`-x ... -w N` quits as soon as stdin closes). Its output goes to files, so a wscat that
    never exits fails the test after `timeout` seconds instead of hanging it."""
    args = [str(WSCAT), "-c", url, *extra]
    for message in messages:
        args += ["-x", message]
    args += ["-w", str(wait)]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=out, stderr=err, text=True)
        try:
            process.wait(timeout=timeout)
        finally:
            process.stdin.close()
            if process.poll() is None:
                process.kill()
                process.wait()
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(args, process.returncode, out.read(), err.read())
