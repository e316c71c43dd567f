"""Projects on disk for the config, discovery and package tests: a wsdeploy.toml and files."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ECHO_APP = REPO / "examples" / "echo" / "app.py"
MINIMAL_TOML = '[app]\nname = "chat"\n\n[stages.dev]\n'
MINIMAL_APP = """
from wsdeploy.websocket import on_connect, on_message

@on_connect
def connect(event, context):
    return {"statusCode": 200}

@on_message
def message(event, context):
    pass
"""


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The `wsdeploy` command in a fresh process, wide enough that messages are not wrapped."""
    return subprocess.run([sys.executable, "-c", "from wsdeploy.cli import entry; entry()", *args],
                          cwd=cwd, capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"})


def write_project(root: Path, toml: str = MINIMAL_TOML, files: dict[str, str | bytes] | None = None,
                  echo: bool = False) -> Path:
    """Write wsdeploy.toml (dedented), `files` (relative path -> text or bytes) and, with
    `echo`, the echo example as app.py; return the config's path."""
    root.mkdir(parents=True, exist_ok=True)
    config = root / "wsdeploy.toml"
    config.write_text(textwrap.dedent(toml))
    if echo:
        (root / "app.py").write_text(ECHO_APP.read_text())
    for name, content in (files or {}).items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content))
    return config
