"""Headless Chromium driven over the DevTools protocol with the `websockets` library the
project already depends on (no selenium or playwright: navigating and evaluating two
expressions is all the browser tests need). `make setup` installs Chromium (Debian's
chromium package) when it is missing, so the tests never skip for want of it."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path

from websockets.sync.client import connect

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")


def chromium_binary() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, ("Chromium is not installed: `make setup` installs it (apt-get install "
                   "chromium chromium-driver, as root)")
    return found


class Browser:
    """`with Browser(tmp_path) as page:` then `page.goto(url)`, `page.wait_for(js, predicate)`."""

    def __init__(self, profile: Path):
        self.profile = profile
        self._ids = itertools.count(1)
        self._stack = ExitStack()

    def __enter__(self) -> Browser:
        self.profile.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [chromium_binary(), *FLAGS, f"--user-data-dir={self.profile}",
             "--remote-debugging-port=0", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            port = self._port()
            pages = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list",
                                                      timeout=30).read())
            target = next(p for p in pages if p["type"] == "page")
            self.socket = self._stack.enter_context(connect(target["webSocketDebuggerUrl"], max_size=None))
        except BaseException:
            self._stop()
            raise
        return self

    def _port(self, deadline_s: float = 60) -> int:
        """Chromium writes the port it picked to DevToolsActivePort in its profile."""
        marker = self.profile / "DevToolsActivePort"
        end = time.monotonic() + deadline_s
        while time.monotonic() < end:
            if marker.exists() and marker.read_text().strip():
                return int(marker.read_text().split()[0])
            assert self.process.poll() is None, "Chromium exited at start"
            time.sleep(0.05)
        raise AssertionError(f"Chromium wrote no DevToolsActivePort within {deadline_s} s")

    def call(self, method: str, **params) -> dict:
        ident = next(self._ids)
        self.socket.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            answer = json.loads(self.socket.recv(timeout=60))
            if answer.get("id") == ident:
                assert "error" not in answer, answer
                return answer.get("result", {})

    def goto(self, url: str) -> None:
        self.call("Page.navigate", url=url)

    def evaluate(self, expression: str):
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

    def wait_for(self, expression: str, predicate, deadline_s: float = 60):
        """The expression's value once `predicate` holds for it (polled: the page changes by
        itself, there is nothing to subscribe to); fails with the last value at the deadline."""
        end, value = time.monotonic() + deadline_s, None
        while time.monotonic() < end:
            value = self.evaluate(expression)
            if predicate(value):
                return value
            time.sleep(0.05)
        raise AssertionError(f"{expression} is still {value!r} after {deadline_s} s")

    def __exit__(self, *exc_info) -> None:
        self._stop()

    def _stop(self) -> None:
        self._stack.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
