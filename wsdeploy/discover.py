"""Which module holds the app's handlers, and which routes it registers.

The module is found by an AST scan for imports of `wsdeploy.websocket` (a string that only
mentions it does not count), unless wsdeploy.toml names it. Its routes are read by importing
it in a subprocess, so the user's import-time code, crashes and `sys.modules` never touch
the CLI's process, and problems surface before any AWS call.
"""

from __future__ import annotations

import ast
import errno
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Iterable, Iterator

from . import lambda_platform
from .errors import UserError
from .runtime.env import HANDLER_MODULE_ENV, HTTP_APP_ENV

if TYPE_CHECKING:
    from .config import StageConfig

PUBLIC_MODULE = "wsdeploy.websocket"
# Folders that are never part of an app, at any depth: tooling and caches. Virtual
# environments are recognised by their pyvenv.cfg, whatever their name.
SKIPPED_DIRS = frozenset({"node_modules", "__pycache__", "site-packages", "htmlcov"})
# Build output, skipped only beside wsdeploy.toml's source root: deeper, such names are
# ordinary packages (`myapp/build/`).
SKIPPED_TOP_DIRS = frozenset({"build", "dist"})
IMPORT_TIMEOUT_SECONDS = 60
TRACEBACK_TAIL_LINES = 12
_RESULT_MARKER = "WSDEPLOY-DESCRIBE:"


@dataclass(frozen=True)
class RouteSpec:
    key: str
    reply: bool
    handler: str = ""   # where it is defined, e.g. "app.handle_message" (an addition to the contract)


@dataclass(frozen=True)
class AuthorizerInfo:
    """The app's @on_authorize: what the provisioner makes its REQUEST authorizer from."""
    identity: tuple[str, ...]   # "route.request.querystring.token", ...
    cache_seconds: int
    handler: str = ""


@dataclass(frozen=True)
class HandlerInfo:
    module: str
    routes: tuple[RouteSpec, ...]
    authorizer: AuthorizerInfo | None = None   # None: $connect is open (issue 11)


# -- the source tree ---------------------------------------------------------------------------
def _skipped_dir(path: Path, top: bool) -> bool:
    name = path.name
    return (name.startswith(".") or name in SKIPPED_DIRS or name.endswith(".egg-info")
            or (top and name in SKIPPED_TOP_DIRS) or (path / "pyvenv.cfg").exists())


def _link_target(path: Path, relative: PurePosixPath, source_dir: Path) -> Path:
    """Where a symlink finally leads (for a dangling one, where it would); UserError for a loop."""
    try:
        return Path(os.path.realpath(path, strict=True))
    except OSError as error:
        if error.errno != errno.ELOOP:
            return Path(os.path.realpath(path))
    raise UserError(
        f"{relative} in {source_dir} is a symbolic link that never reaches a file (its links form a loop): "
        "delete it or point it at a real file, or leave it out with exclude in wsdeploy.toml"
    )


def _outside(target: Path, root: Path) -> bool:
    return target != root and root not in target.parents


def glob_to_regex(pattern: str) -> re.Pattern[str]:
    """A gitignore-like glob: no '/' matches a name at any depth; '**' spans folders."""
    pattern = pattern.strip().removeprefix("./").lstrip("/")
    if pattern.endswith("/"):
        pattern += "**"
    if "/" not in pattern:
        pattern = "**/" + pattern
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + "(?:/.*)?")  # a matched folder takes its contents along


def iter_source_files(source_dir: Path, exclude: Iterable[str] = (),
                      skip: Iterable[Path] = ()) -> Iterator[PurePosixPath]:
    """The app's files, relative to `source_dir`, sorted: what the package holds and discovery scans.

    Left out: hidden files and folders (.git, .venv, .env, the state folder .wsdeploy),
    virtual environments, caches, top-level build output, compiled files, symlinked folders
    (their real folder is read instead), the `exclude` globs and the absolute paths in `skip`
    (wsdeploy.toml, an output zip inside the tree). A symlink to anything outside the source
    folder is refused: nothing from elsewhere on the machine gets packaged by accident; so is
    a symlink loop, which no tool could read.
    """
    patterns = [glob_to_regex(p) for p in exclude]
    skipped = {Path(p).resolve() for p in skip}
    root = source_dir.resolve()
    stack = [root]
    found = []
    while stack:
        folder = stack.pop()
        for entry in os.scandir(folder):
            path = Path(entry.path)
            relative = PurePosixPath(path.relative_to(root).as_posix())
            if entry.name.startswith(".") or path in skipped:
                continue
            if any(p.fullmatch(str(relative)) for p in patterns):
                continue
            if entry.is_symlink() and _outside(target := _link_target(path, relative, source_dir), root):
                raise UserError(
                    f"{relative} in {source_dir} is a link to {target}, outside the "
                    "source folder: wsdeploy packages nothing from elsewhere. Copy it in, or "
                    "leave it out with exclude in wsdeploy.toml"
                )
            if entry.is_dir(follow_symlinks=False):  # a linked folder is read where it really is
                if not _skipped_dir(path, top=folder == root):
                    stack.append(path)
            elif entry.is_file(follow_symlinks=True) and not entry.name.endswith((".pyc", ".pyo")):
                found.append(relative)
    return iter(sorted(found))


# -- finding the handler module ----------------------------------------------------------------
def module_name(relative: PurePosixPath) -> str | None:
    """"chat/handlers.py" -> "chat.handlers"; None when Python could not import it by that path."""
    parts = list(relative.with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    if not parts or not all(p.isidentifier() for p in parts):
        return None
    return ".".join(parts)


def imports_public_api(tree: ast.AST) -> bool:
    """True if the code really imports wsdeploy.websocket (any form), not merely names it."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            if any(a.name == PUBLIC_MODULE or a.name.startswith(PUBLIC_MODULE + ".") for a in node.names):
                return True
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == PUBLIC_MODULE or node.module.startswith(PUBLIC_MODULE + "."):
                return True
            if node.module == "wsdeploy" and any(a.name == "websocket" for a in node.names):
                return True
    return False


def _scan(cfg: StageConfig) -> tuple[list[Candidate], list[str]]:
    """The modules that import the public API, with what their code registers, and such files
    Python cannot import."""
    found, unimportable = [], []
    for relative in iter_source_files(cfg.source_dir, cfg.exclude, [cfg.config_path]):
        if relative.suffix != ".py":
            continue
        text = (cfg.source_dir / relative).read_text(encoding="utf-8", errors="replace")
        if "wsdeploy" not in text:
            continue
        try:
            tree = ast.parse(text, filename=str(relative))
        except (SyntaxError, ValueError):
            tree = None  # a candidate: let the import report the syntax error with its line
        if tree is None or imports_public_api(tree):
            name = module_name(relative)
            if name is None:
                unimportable.append(str(relative))
            else:
                found.append(_candidate(name, relative, tree))
    return found, unimportable


# -- which of several candidates holds the handlers ------------------------------------------------
DECORATORS = frozenset({"on_connect", "on_disconnect", "on_message", "on_route"})
SERVER_CLASSES = frozenset({"WebSocketServer", "ZappaWebSocketServer"})


@dataclass(frozen=True)
class Candidate:
    """A module importing wsdeploy.websocket: what it registers at module level, read from
    its code ("@on_connect connect", "class Chat(WebSocketServer)"), and what it imports."""

    module: str
    path: str
    registers: tuple[str, ...] = ()
    imports: frozenset[str] = frozenset()


def _public_names(tree: ast.AST) -> tuple[dict[str, str], set[str]]:
    """Local names bound to the API's decorators and classes (name -> public name), and the
    names the module itself is bound to (`ws` of `import wsdeploy.websocket as ws`)."""
    names, modules = {}, set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == PUBLIC_MODULE:
            names.update({a.asname or a.name: a.name for a in node.names})
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "wsdeploy":
            modules.update(a.asname or a.name for a in node.names if a.name == "websocket")
        elif isinstance(node, ast.Import):
            modules.update(a.asname or a.name for a in node.names if a.name == PUBLIC_MODULE)
    return names, modules


def _public_name(node: ast.expr, names: dict[str, str], modules: set[str]) -> str | None:
    """"on_route" for `on_route("join")`, `ws.on_route(...)` or an alias of it; else None."""
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.Attribute):
        return node.attr if ast.unparse(node.value) in modules else None
    return None


def _module_level(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements run at import: the body, and the branches of its if and try blocks."""
    for node in body:
        yield node
        if isinstance(node, ast.If):
            yield from _module_level(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            yield from _module_level(node.body + node.orelse + node.finalbody
                                     + [inner for h in node.handlers for inner in h.body])


def registrations(tree: ast.Module) -> tuple[str, ...]:
    """What the module registers when imported, as the user wrote it: decorated functions and
    WebSocketServer subclasses at module level."""
    names, modules = _public_names(tree)
    found = []
    for node in _module_level(tree.body):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in node.decorator_list:
                if _public_name(decorator, names, modules) in DECORATORS:
                    shown = ast.unparse(decorator.func if isinstance(decorator, ast.Call)
                                        and not decorator.args and not decorator.keywords else decorator)
                    found.append(f"@{shown} {node.name}")
        elif isinstance(node, ast.ClassDef):
            bases = [ast.unparse(b) for b in node.bases if _public_name(b, names, modules) in SERVER_CLASSES]
            if bases:
                found.append(f"class {node.name}({', '.join(bases)})")
    return tuple(found)


def _imported_modules(tree: ast.Module, module: str, is_package: bool) -> frozenset[str]:
    """Every module name the code imports (with its parent packages), relative ones resolved."""
    package = module if is_package else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".") if package else []
                parts = parts[:len(parts) - (node.level - 1)] if node.level > 1 else parts
                base = ".".join(p for p in [*parts, base] if p)
            targets = [base] + [f"{base}.{a.name}" if base else a.name for a in node.names]
        else:
            continue
        for target in filter(None, targets):
            pieces = target.split(".")
            found.update(".".join(pieces[:i]) for i in range(1, len(pieces) + 1))
    return frozenset(found)


def _candidate(module: str, relative: PurePosixPath, tree: ast.Module | None) -> Candidate:
    if tree is None:
        return Candidate(module, str(relative))
    return Candidate(module, str(relative), registrations(tree),
                     _imported_modules(tree, module, relative.name == "__init__.py"))


def _reaches(start: Candidate, others: list[Candidate]) -> set[str]:
    """The candidates importing `start` brings in, directly or through other candidates."""
    by_name = {c.module: c for c in others}
    seen, stack = set(), [start]
    while stack:
        for name in stack.pop().imports & by_name.keys():
            if name not in seen:
                seen.add(name)
                stack.append(by_name[name])
    return seen


def choose_candidate(found: list[Candidate]) -> Candidate | None:
    """The one module that registers handlers; among several that do, the one whose import
    brings in all the others. None when the code does not make it clear."""
    registering = [c for c in found if c.registers]
    if len(registering) == 1:
        return registering[0]
    wanted = {c.module for c in registering}
    roots = [c for c in registering if wanted - {c.module} <= _reaches(c, found)]
    return roots[0] if len(roots) == 1 else None


def _module_exists(source_dir: Path, module: str) -> bool:
    base = source_dir.joinpath(*module.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def find_handler_module(cfg: StageConfig) -> str:
    """The handler module: wsdeploy.toml's handler_module, else the one module importing the API."""
    if cfg.handler_module:
        if not _module_exists(cfg.source_dir, cfg.handler_module):
            path = cfg.handler_module.replace(".", "/")
            raise UserError(
                f"{cfg.config_path.name} (stage {cfg.stage}): handler_module = "
                f"\"{cfg.handler_module}\" names no module: neither {path}.py nor "
                f"{path}/__init__.py exists in {cfg.source_dir}"
            )
        return cfg.handler_module
    found, unimportable = _scan(cfg)
    if len(found) == 1:
        return found[0].module
    if found:
        chosen = choose_candidate(found)
        if chosen is not None:
            return chosen.module
        listing = "\n".join(f"  {c.module}  ({c.path}): "
                             + (", ".join(c.registers) or "registers nothing its code shows")
                             for c in found)
        raise UserError(
            f"several modules in {cfg.source_dir} import wsdeploy.websocket, and their code does "
            f"not show which one holds the handlers:\n{listing}\n"
            f"Set handler_module in [app] of {cfg.config_path.name} to the module whose import "
            f"registers them all, e.g. handler_module = \"{found[0].module}\""
        )
    hint = ""
    if unimportable:
        hint = (f"\n({', '.join(unimportable)} imports it, but its path is not a Python module "
                "name: rename folders and files to letters, digits and '_')")
    raise UserError(
        f"no module in {cfg.source_dir} imports wsdeploy.websocket, so there are no handlers "
        "to deploy. Write one, e.g. app.py:\n"
        "  from wsdeploy.websocket import on_connect, on_message, send_message\n"
        "  @on_connect\n"
        "  def connect(event, context):\n"
        "      return {\"statusCode\": 200}\n"
        "  @on_message\n"
        "  def message(event, context):\n"
        "      send_message(event[\"requestContext\"][\"connectionId\"], event.get(\"body\"))\n"
        "(`wsdeploy init` writes a complete one), or set handler_module in wsdeploy.toml"
        + hint
    )


# -- reading its routes ------------------------------------------------------------------------
# Runs in a fresh interpreter: the user's prints go to stderr so stdout carries only the result.
_DESCRIBE_SCRIPT = r"""
import json, os, sys, traceback
module, first, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
sys.path[:1] = [first]
sys.path.extend(rest)
real_stdout, sys.stdout = sys.stdout, sys.stderr
import importlib

def failure(error):
    machinery = os.path.dirname(importlib.__file__)  # the import system's own frames say nothing
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if not f.filename.startswith(("<", machinery))]
    lines = ["Traceback (most recent call last):\n"] if frames else []
    lines += traceback.format_list(frames)
    lines += traceback.format_exception_only(type(error), error)
    return "".join(lines)

try:
    importlib.import_module(module)
    from wsdeploy.runtime.registry import REGISTRY
    result = REGISTRY.describe()
except BaseException as error:
    result = {"error": failure(error)}
http_app = os.environ.get("WSDEPLOY_HTTP_APP")
if http_app and "error" not in result:  # issue 17: the app of http_app imports, and is WSGI or ASGI
    from wsdeploy.runtime.http_app import MANGUM_MISSING, HandlerConfigurationError, find_app, kind_of
    try:
        result["http_app"] = kind_of(find_app(http_app))
        if result["http_app"] == "asgi":
            try:
                import mangum
            except ImportError:
                raise HandlerConfigurationError(MANGUM_MISSING.format(spec=http_app)) from None
    except HandlerConfigurationError as error:
        result["http_error"] = str(error)
    except BaseException as error:
        result["http_error"] = failure(error)
real_stdout.write(MARKER + json.dumps(result) + "\n")
real_stdout.flush()
os._exit(0)  # a thread the module started at import (a metrics flusher, say) must not hold us
""".replace("MARKER", repr(_RESULT_MARKER))


def _tail(text: str, lines: int = TRACEBACK_TAIL_LINES) -> str:
    kept = text.rstrip().splitlines()
    if len(kept) > lines:
        kept = ["..."] + kept[-lines:]
    return "\n".join("  | " + line for line in kept)


def _describe(cfg: StageConfig, module: str, paths: list[Path], isolated: bool) -> dict:
    """Import `module` with `paths` first on sys.path in a fresh interpreter; its describe().

    Isolated, the interpreter sees the standard library and `paths` only (no site-packages),
    as Lambda's does: a module the package lacks fails here, not at the first cold start.
    """
    env = {**os.environ, **cfg.environment, HANDLER_MODULE_ENV: module}
    env.pop(HTTP_APP_ENV, None)
    if getattr(cfg, "http_app", None):
        env[HTTP_APP_ENV] = cfg.http_app
    env.pop("PYTHONPATH", None)
    # Lambda sets both region variables, and botocore reads only the second: a module-level
    # boto3 client (Chalice's tutorials make one) must import here as it would there.
    region = (cfg.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
              or "us-east-1")
    env.update(AWS_REGION=region, AWS_DEFAULT_REGION=region)
    flags = ["-S", "-B"] if isolated else ["-B"]  # -B: no __pycache__ left in the user's tree
    command = [sys.executable, *flags, "-c", _DESCRIBE_SCRIPT, module, *map(str, paths)]
    try:
        done = subprocess.run(command, cwd=paths[0], env=env, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=IMPORT_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        raise UserError(
            f"importing the handler module {module!r} took over {IMPORT_TIMEOUT_SECONDS} s: "
            "move slow work (network, large loads) out of import time, into the handlers"
        ) from None
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(_RESULT_MARKER):
            return json.loads(line[len(_RESULT_MARKER):])
    raise UserError(
        f"importing the handler module {module!r} ended the interpreter (exit status "
        f"{done.returncode}) before wsdeploy could read its routes:\n{_tail(done.stderr or '(no output)')}"
    )


def link_lambda_provided(folder: Path) -> Path:
    """A folder of links to the packages Lambda provides (boto3 & co), as installed here."""
    import importlib.util

    folder.mkdir(parents=True, exist_ok=True)
    for name in lambda_platform.PROVIDED:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        origin = Path(spec.origin)
        target = origin.parent if spec.submodule_search_locations else origin
        link = folder / target.name
        if not link.exists():
            link.symlink_to(target)
    return folder


def read_handlers(cfg: StageConfig, extra_paths: Iterable[Path] = (),
                  package_tree: Path | None = None, provided: Path | None = None) -> HandlerInfo:
    """Import the handler module in a subprocess and return its routes; UserError if unusable.

    Without `package_tree` the module is read from the source folder with this interpreter's
    packages, then `extra_paths`. With it (the package's files laid out as Lambda unpacks them),
    it is read from there in isolation, beside only `provided` (what Lambda provides).
    """
    module = find_handler_module(cfg)
    if package_tree is None:
        result = _describe(cfg, module, [cfg.source_dir, *extra_paths], isolated=False)
        where = str(cfg.source_dir)
    else:
        paths = [package_tree] + ([provided] if provided else [])
        result = _describe(cfg, module, paths, isolated=True)
        if "error" in result:  # name the user's files, not the scratch copy's links to them
            result["error"] = result["error"].replace(str(package_tree), str(cfg.source_dir))
        where = f"{cfg.source_dir}, as packaged for Lambda,"
    if "error" in result:
        hint = ""
        if package_tree is not None and "ModuleNotFoundError" in result["error"]:
            hint = ("\nThe package holds your source folder (less what is excluded), the "
                    f"requirements and wsdeploy's runtime; Lambda adds only {lambda_platform.provided_text()}. "
                    "A module missing here is missing on Lambda: list it in requirements.")
        raise UserError(
            f"importing the handler module {module!r} from {where} failed:\n"
            f"{_tail(result['error'])}{hint}"
        )
    if result["problems"]:
        listing = "\n".join(f"  {p}" for p in result["problems"])
        raise UserError(f"the handler module {module!r} cannot be deployed:\n{listing}")
    if not result["routes"]:
        raise UserError(
            f"the handler module {module!r} registers no handlers: decorate functions with "
            "@on_connect and @on_message (from wsdeploy.websocket), or subclass WebSocketServer"
        )
    if "http_error" in result:
        raise UserError(_http_app_problem(cfg, result["http_error"], where, package_tree is not None))
    routes = tuple(RouteSpec(r["key"], bool(r["reply"]), r.get("handler", ""))
                   for r in sorted(result["routes"], key=lambda r: r["key"]))
    found = result.get("authorizer")
    authorizer = (AuthorizerInfo(tuple(found["identity"]), int(found["cache_seconds"]),
                                 found.get("handler", "")) if found else None)
    return HandlerInfo(module=module, routes=routes, authorizer=authorizer)


def _http_app_problem(cfg: StageConfig, error: str, where: str, packaged: bool) -> str:
    """What is wrong with http_app (issue 17), naming a missing module as a requirement."""
    head = f"the HTTP app {cfg.http_app!r} (http_app in wsdeploy.toml) cannot be served from {where}"
    if not error.startswith("Traceback") and "ModuleNotFoundError" not in error:
        return f"{head}: {error}"
    missing = re.search(r"ModuleNotFoundError: No module named '([^'.]+)", error)
    hint = ""
    if missing and packaged:
        hint = (f"\nThe package has no module {missing.group(1)!r}: list the package that provides it "
                "(flask, fastapi, django, ...) in your requirements file, so Lambda has it too")
    elif missing:
        hint = f"\nNo module {missing.group(1)!r} here: install it, and list it in your requirements file"
    return f"{head}: importing it failed:\n{_tail(error)}{hint}"
