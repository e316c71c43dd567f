"""What a package's handler module registers, remembered by the package's own fingerprint.

Reading the routes means importing the app in a fresh interpreter: for an app that imports a
web framework that is most of a no-op `up` or a `status`. The answer depends only on the
package's bytes, the stage's environment (the import may read it), this Python and what
Lambda provides here, so it is kept under a hash of exactly those, in `.wsdeploy/cache/`.
The environment's values are hashed, never stored; an entry that no longer reads back (an
older wsdeploy wrote it) is simply read again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from . import __version__, lambda_platform
from .discover import AuthorizerInfo, HandlerInfo, RouteSpec
from .private_files import private_dir, write_atomically

if TYPE_CHECKING:
    from .config import StageConfig


def _installed(names: tuple[str, ...]) -> list[str | None]:
    """Where and when what the import is read beside (boto3 & co, as here) was installed: an
    upgrade rewrites the files. (Cheaper than asking their metadata, by two orders.)"""
    import importlib.util
    found = []
    for name in names:
        spec = importlib.util.find_spec(name)
        origin = Path(spec.origin) if spec and spec.origin else None
        found.append(f"{origin}@{origin.stat().st_mtime_ns}" if origin and origin.exists() else None)
    return found


def _key(cfg: StageConfig, package_sha256: str) -> str:
    provided = _installed(lambda_platform.SDK)
    material = json.dumps([__version__, package_sha256, cfg.handler_module, sys.version,
                           sorted(cfg.environment.items()), provided]
                          + ([getattr(cfg, "http_app")] if getattr(cfg, "http_app", None) else []))
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def _path(cfg: StageConfig, package_sha256: str) -> Path:
    return cfg.state_dir / "cache" / f"handlers-{_key(cfg, package_sha256)}.json"


def _load(path: Path) -> HandlerInfo | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        authorizer = data.get("authorizer")
        return HandlerInfo(**{**data, "routes": tuple(RouteSpec(**r) for r in data["routes"]),
                              "authorizer": AuthorizerInfo(**{**authorizer, "identity": tuple(
                                  authorizer["identity"])}) if authorizer else None})
    except (OSError, ValueError, TypeError, KeyError):
        return None


def handlers_of(cfg: StageConfig, package_sha256: str, read: Callable[[], HandlerInfo]) -> HandlerInfo:
    """The cached answer for this package, else `read()`'s, then kept."""
    path = _path(cfg, package_sha256)
    cached = _load(path)
    if cached is not None:
        return cached
    found = read()
    private_dir(private_dir(cfg.state_dir) / "cache")
    write_atomically(path, json.dumps(dataclasses.asdict(found), sort_keys=True).encode())
    return found
