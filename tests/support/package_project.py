"""Projects on disk for the config, discovery and package tests: a wsdeploy.toml and files."""

from __future__ import annotations

import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ECHO_APP = REPO / "examples" / "echo" / "app.py"
MINIMAL_TOML = '[app]\nname = "chat"\n\n[stages.dev]\n'


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
