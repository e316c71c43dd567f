"""The installed `wsdeploy` command run as a user runs it: in a subprocess, with no PYTHONPATH (so
it imports the installed package), its output to pipes or, for what a person sees, to a
terminal of a given size (a pseudo-terminal)."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import shutil
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[78=>]")


def installed_wsdeploy() -> str:
    """The console script pip installed beside this Python, as a user would run it."""
    found = shutil.which("wsdeploy", path=str(Path(sys.executable).parent))
    assert found, "the wsdeploy command is not installed in this environment"
    return found


def user_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment without PYTHONPATH, so the command finds only what pip installed."""
    return {k: v for k, v in (os.environ if env is None else env).items() if k != "PYTHONPATH"}


def run_wsdeploy(*args: str, cwd: Path, env: dict[str, str] | None = None,
                 timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([installed_wsdeploy(), *args], cwd=cwd, env=user_env(env),
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=timeout)


def run_in_terminal(*args: str, cwd: Path, env: dict[str, str] | None = None, columns: int = 80,
                    lines: int = 24, timeout: float = 180) -> tuple[int, str]:
    """(exit status, what stays on screen) of `wsdeploy ARGS` on a terminal `columns` wide and
    `lines` tall: its stdin, stdout and stderr are one pseudo-terminal, as in a shell. Colours
    and cursor moves are stripped; line ends are "\\n"."""
    env = {k: v for k, v in user_env(env).items() if k not in ("COLUMNS", "LINES")}
    env["TERM"] = "xterm"
    main, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
    process = subprocess.Popen([installed_wsdeploy(), *args], cwd=cwd, env=env, stdin=secondary,
                               stdout=secondary, stderr=secondary, start_new_session=True)
    os.close(secondary)
    chunks, deadline = [], time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 0.5)
            if ready:
                try:
                    data = os.read(main, 65536)
                except OSError:  # the command closed its end: all is read
                    break
                if not data:
                    break
                chunks.append(data)
            elif process.poll() is not None:
                break
        else:
            process.kill()
            raise AssertionError(f"wsdeploy {' '.join(args)} ran over {timeout} s")
    finally:
        os.close(main)
    code = process.wait(timeout=30)
    text = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
    # What stays on screen: a carriage return (a spinner redrawn in place) starts the line over.
    return code, "\n".join(ANSI.sub("", line.rsplit("\r", 1)[-1]) for line in text.split("\n"))
