"""The deployment zip: the user's source, wsdeploy's runtime only, and requirements built for Lambda.

The zip is deterministic (sorted entries, fixed timestamps and permissions, no caches), so
its SHA-256 changes only when the code does: that is how `up` knows to skip a code update.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Callable, Iterable

from . import lambda_platform
from .discover import (HandlerInfo, find_handler_module, glob_to_regex, iter_source_files,
                       link_lambda_provided, read_handlers)
from .errors import UserError
from .handler_cache import handlers_of
from .private_files import create_private, private_dir
from .secret_files import LeftOut, split_secrets

if TYPE_CHECKING:
    from .config import StageConfig

MAX_ZIPPED_BYTES = 50 * 1024 * 1024      # Lambda's limit for a zip uploaded directly
MAX_UNZIPPED_BYTES = 250 * 1024 * 1024   # Lambda's limit for the unpacked function
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)        # the earliest time a zip can hold
RUNTIME_FILES = ("__init__.py", "websocket.py", "runtime")  # of wsdeploy, all that Lambda needs
PIP_PLATFORMS = {"arm64": "aarch64", "x86_64": "x86_64"}
CACHE_DIRNAME = "cache"
_NAME_RE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BuiltPackage:
    data: bytes
    sha256_b64: str
    size: int
    file_count: int
    handler: HandlerInfo
    files: tuple[str, ...] = field(default=(), repr=False)  # the entries, sorted (an addition)
    unzipped_size: int = 0                                    # (an addition)
    requirements_dir: Path | None = None                      # the cached install, if any
    left_out: tuple[LeftOut, ...] = ()  # source files that look like secrets, not packaged


# -- requirements ------------------------------------------------------------------------------
def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_names(text: str) -> set[str]:
    """The normalized project names a requirements file lists (options, paths and URLs aside)."""
    names = set()
    for line in text.splitlines():
        line = line.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")) or "/" in line.split(";")[0].split("@")[0]:
            continue
        match = _NAME_RE.match(line)
        if match:
            names.add(_normalize(match.group(1)))
    return names


def pip_platforms(cfg: StageConfig) -> list[str]:
    """manylinux2014 everywhere; also glibc 2.34 wheels on runtimes built on Amazon Linux 2023."""
    arch = PIP_PLATFORMS[cfg.architecture]
    platforms = [f"manylinux2014_{arch}"]
    if tuple(map(int, cfg.python_version.split("."))) >= (3, 12):
        platforms.append(f"manylinux_2_34_{arch}")
    return platforms


def pip_command(cfg: StageConfig, requirements: Path, target: Path) -> list[str]:
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
               "--no-compile", "--target", str(target), "--implementation", "cp",
               "--python-version", cfg.python_version, "--only-binary=:all:"]
    for platform in pip_platforms(cfg):
        command += ["--platform", platform]
    return command + ["--requirement", str(requirements)]


def _cache_key(cfg: StageConfig, text: str) -> str:
    material = "\n".join([text, cfg.python_version, cfg.architecture, *pip_platforms(cfg)])
    return hashlib.sha256(material.encode()).hexdigest()[:20]


def _tidy_install(target: Path, keep: set[str]) -> None:
    """Drop what Lambda provides or never uses: boto3 & co (unless asked for), scripts, caches."""
    for entry in list(target.iterdir()):
        top = _normalize(entry.name.split("-")[0] if entry.name.endswith(".dist-info") else entry.name)
        if (top in lambda_platform.SDK and top not in keep) or entry.name in ("bin", "wsdeploy"):
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    for path in sorted(target.rglob("*"), reverse=True):
        if path.name == "__pycache__" and path.is_dir():
            shutil.rmtree(path)
        elif path.name == "direct_url.json" or path.suffix in (".pyc", ".pyo"):
            path.unlink()  # direct_url.json holds a path of this machine


def install_requirements(cfg: StageConfig, progress: Progress | None = None) -> Path | None:
    """Install cfg.requirements for the Lambda platform into a cache folder, once per content."""
    if cfg.requirements is None:
        return None
    text = cfg.requirements.read_text(encoding="utf-8")
    if not any(line.strip() and not line.lstrip().startswith("#") for line in text.splitlines()):
        return None  # nothing but comments
    names = requirement_names(text)
    target = cfg.state_dir / CACHE_DIRNAME / f"requirements-{_cache_key(cfg, text)}"
    if target.is_dir():
        return target
    private_dir(private_dir(cfg.state_dir) / CACHE_DIRNAME)  # private packages stay private
    if progress:
        progress(f"installing {cfg.requirements.name} for Lambda ({cfg.runtime}, {cfg.architecture})")
    building = target.with_name(target.name + f".tmp{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    # wsdeploy itself (if listed) would drag in the CLI's dependencies; the runtime ships anyway.
    filtered = "\n".join(("# " + line) if requirement_names(line) == {"wsdeploy"} else line
                         for line in text.splitlines())
    requirements = cfg.requirements
    if filtered != text:  # a sibling copy, so relative -r and --find-links still resolve
        requirements = cfg.requirements.with_name(f".wsdeploy-requirements-{os.getpid()}.txt")
        with os.fdopen(create_private(requirements), "w", encoding="utf-8") as out:
            out.write(filtered + "\n")  # private: index URLs may carry tokens
    try:
        done = subprocess.run(pip_command(cfg, requirements, building), capture_output=True,
                              text=True, cwd=cfg.requirements.parent)
    finally:
        if requirements != cfg.requirements:
            requirements.unlink(missing_ok=True)
    if done.returncode != 0:
        shutil.rmtree(building, ignore_errors=True)
        tail = "\n".join("  | " + l for l in (done.stderr or done.stdout).strip().splitlines()[-12:])
        raise UserError(
            f"pip could not install {cfg.requirements} for Lambda ({cfg.runtime}, "
            f"{cfg.architecture}; platforms {', '.join(pip_platforms(cfg))}):\n{tail}\n"
            "wsdeploy installs binary wheels only, built for Linux on that architecture: pin a "
            "version that publishes such wheels, or put a pure-Python package's code in your source folder"
        )
    _tidy_install(building, names)
    building.rename(target)
    return target


# -- the zip -----------------------------------------------------------------------------------
def runtime_files() -> list[tuple[str, Path]]:
    """(name in the zip, file) for the part of wsdeploy that runs in Lambda."""
    root = Path(__file__).resolve().parent
    found = []
    for name in RUNTIME_FILES:
        path = root / name
        if path.is_dir():
            found += [(f"wsdeploy/{p.relative_to(root).as_posix()}", p)
                      for p in path.rglob("*.py") if "__pycache__" not in p.parts]
        else:
            found.append((f"wsdeploy/{name}", path))
    return found


def _config_files(cfg: StageConfig) -> list[Path]:
    """Every wsdeploy config beside the chosen one (prod.toml next to wsdeploy.toml, say):
    they may hold other stages' settings, which have no place in the code."""
    found = [cfg.config_path]
    for path in cfg.project_dir.glob("*.toml"):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        if isinstance(data.get("app"), dict) and "stages" in data:
            found.append(path)
    return found


def _source_files(cfg: StageConfig, skip: Iterable[Path]) -> tuple[list[PurePosixPath], list[LeftOut]]:
    """The source files to package, and those left out because they look like secrets."""
    source = [*iter_source_files(cfg.source_dir, cfg.exclude, [*_config_files(cfg), *skip])]
    clash = [str(r) for r in source if r.parts[0] == "wsdeploy"]
    if clash:
        raise UserError(
            f"{cfg.source_dir} holds {clash[0]}: a 'wsdeploy' folder in your source would replace "
            "the runtime wsdeploy ships; rename it, or add \"wsdeploy/**\" to exclude"
        )
    return split_secrets(cfg.source_dir, source, [glob_to_regex(p) for p in cfg.include])


def _read_packaged_handlers(cfg: StageConfig, tree: Path, provided: Path,
                            left_out: list[LeftOut]) -> HandlerInfo:
    """The routes, read from the package; a failed import names the modules left out as secrets."""
    try:
        return read_handlers(cfg, package_tree=tree, provided=provided)
    except UserError as error:
        modules = [f.path for f in left_out if f.path.endswith(".py")]
        if not modules or "ModuleNotFoundError" not in str(error):
            raise
        raise UserError(f"{error}\nLeft out as secrets: {', '.join(modules)}. If one is needed, "
                        "move the secret out of it, or list it in include in wsdeploy.toml") from None


def _collect(cfg: StageConfig, requirements_dir: Path | None,
             source: list[PurePosixPath]) -> dict[str, Path]:
    """Every entry of the zip: requirements, then the runtime, then the user's source on top."""
    entries: dict[str, Path] = {}
    if requirements_dir is not None:  # everything pip installed: libraries may hold .libs, build/
        entries.update((p.relative_to(requirements_dir).as_posix(), p)
                       for p in requirements_dir.rglob("*") if p.is_file())
    entries.update(runtime_files())
    entries.update((str(r), cfg.source_dir / r) for r in source)
    return entries


def _mib(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _largest(entries: dict[str, int]) -> str:
    by_top: dict[str, int] = {}
    for name, size in entries.items():
        top = PurePosixPath(name).parts[0]
        by_top[top] = by_top.get(top, 0) + size
    biggest = sorted(by_top.items(), key=lambda item: -item[1])[:5]
    return ", ".join(f"{name} {_mib(size)}" for name, size in biggest)


def _check_limit(size: int, limit: int, what: str, sizes: dict[str, int]) -> None:
    if size > limit:
        raise UserError(
            f"the package is {_mib(size)} {what}; Lambda accepts at most {_mib(limit)}. "
            f"Largest parts: {_largest(sizes)}. Leave files out with exclude in wsdeploy.toml, "
            "or trim the requirements"
        )


def _lay_out(entries: dict[str, Path], folder: Path) -> Path:
    """The package's files as Lambda unpacks them (links, not copies), to import from."""
    for name, path in entries.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(path.resolve())
    return folder


def _zip(entries: dict[str, Path]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name in sorted(entries):
            path = entries[name]
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.create_system = 3  # Unix, so the permission bits below are honoured
            mode = 0o755 if os.access(path, os.X_OK) else 0o644
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def code_sha256(data: bytes) -> str:
    """Lambda's CodeSha256: the base64 of the zip's SHA-256 digest."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def build_package(cfg: StageConfig, skip: Iterable[Path] = (),
                  progress: Progress | None = None) -> BuiltPackage:
    """Validate the handlers and build the zip in memory; UserError on bad input or limits.

    `skip` names files of the source tree to leave out (the output zip, when written there).
    """
    source, left_out = _source_files(cfg, skip)
    find_handler_module(cfg)  # a discovery mistake shows before any slow pip install
    requirements_dir = install_requirements(cfg, progress)
    entries = _collect(cfg, requirements_dir, source)
    sizes = {name: path.stat().st_size for name, path in entries.items()}
    unzipped = sum(sizes.values())
    _check_limit(unzipped, MAX_UNZIPPED_BYTES, "unzipped", sizes)
    data = _zip(entries)
    _check_limit(len(data), MAX_ZIPPED_BYTES, "zipped", sizes)
    sha256 = code_sha256(data)

    def read() -> HandlerInfo:
        with tempfile.TemporaryDirectory(prefix="wsdeploy-package-") as scratch:
            # Read the routes from the package itself, beside only what Lambda provides: an
            # import that works from the source folder but not from the zip fails here, not
            # in Lambda.
            tree = _lay_out(entries, Path(scratch) / "package")
            provided = link_lambda_provided(Path(scratch) / "lambda-provided")
            return _read_packaged_handlers(cfg, tree, provided, left_out)

    handler = handlers_of(cfg, sha256, read)   # the same package was read before: no import
    return BuiltPackage(
        data=data, sha256_b64=sha256, size=len(data), file_count=len(entries),
        handler=handler, files=tuple(sorted(entries)), unzipped_size=unzipped,
        requirements_dir=requirements_dir, left_out=tuple(left_out),
    )
