"""Loads the user's handler module in this process and reloads it when its files change.

A reload is `wsdeploy.runtime.entry.reset()` plus dropping the user's modules from
`sys.modules`, then importing afresh, so the runtime's own loader does the work, as in a new
Lambda container. If the new code fails to import or to validate, the previous modules and
routes are put back: the last good version keeps serving, and the failure is reported once.
Files are checked before every event (so an edit takes effect on the next event) and by a
background poll (so a broken edit is reported without waiting for traffic).

A reload does not wait for every handler under way: no new invocation starts while it runs, but
those already running are given DRAIN_SECONDS at most, then the reload goes ahead beside them.
They keep the module objects they started with. One that has not yet reached the runtime's
`load_handlers()` may import the app itself while the reload runs; `_restore` survives that.
"""

from __future__ import annotations

import sys
import threading
import traceback
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Callable, Iterator

from ..discover import iter_source_files
from ..runtime import entry
from ..runtime.registry import REGISTRY

import wsdeploy

_SKIP_DIRS = {"__pycache__", "node_modules", "site-packages", "dist-packages", "__pypackages__"}
_WSDEPLOY_DIR = Path(wsdeploy.__file__).resolve().parent
DRAIN_SECONDS = 0.2  # a reload waits this long at most for handlers already under way
RESTORE_ATTEMPTS = 3  # a handler importing meanwhile spoils one attempt at most (see _restore)


def _is_user_path(path: Path, root: Path) -> bool:
    """Under `root`, and not in the installed wsdeploy, a virtualenv or a site-packages."""
    try:
        relative = path.relative_to(root)
    except ValueError:
        return False
    if path.is_relative_to(_WSDEPLOY_DIR) or _SKIP_DIRS.intersection(relative.parts):
        return False
    return not any((root / Path(*relative.parts[:i]) / "pyvenv.cfg").exists()
                   for i in range(1, len(relative.parts)))


def _module_paths(module: ModuleType) -> list[Path]:
    paths = [getattr(module, "__file__", None)]
    paths += list(getattr(module, "__path__", None) or [])
    return [Path(p).resolve() for p in paths if isinstance(p, str)]


def describe_failure(error: BaseException, root: Path) -> str:
    """The error, with only the traceback frames that are in the user's own files."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if not frame.filename.startswith("<")  # "<frozen importlib._bootstrap>"
              and _is_user_path(Path(frame.filename).resolve(), root)]
    lines = traceback.format_list(frames) + traceback.format_exception_only(type(error), error)
    return "".join(lines).rstrip()


class AppLoader:
    """The user's module: loaded once, reloaded on change, never half-loaded for a handler."""

    def __init__(self, source_dir: Path, module_name: str,
                 report: Callable[[str, str], None] = lambda kind, text: None,
                 exclude: tuple[str, ...] = ()):
        self.source_dir = source_dir.resolve()
        self.exclude = exclude
        self.module_name = module_name
        self._report = report  # ("reloaded" | "failed", text)
        self._routes: dict[str, bool] | None = None  # key -> reply, of the last good version
        self._failure: str | None = None
        self._retrying_restore = False  # a restore failed: the next load retries it, quietly
        self._seen: dict[Path, tuple[int, int]] = {}
        self._watched: list[Path] = []  # the loaded user modules' files
        self._reload_lock = threading.Lock()
        self._gate = threading.Condition()
        self._active = 0
        self._reloading = False
        self._poller: threading.Thread | None = None
        self._stop = threading.Event()

    # -- state -------------------------------------------------------------------------
    @property
    def routes(self) -> dict[str, bool] | None:
        """{route key: reply} of the version serving now; None while nothing has loaded."""
        return self._routes

    @property
    def failure(self) -> str | None:
        """Why the latest attempt to load failed, or None after a good load."""
        return self._failure

    # -- lifecycle ---------------------------------------------------------------------
    def start(self, poll_seconds: float | None = 0.5) -> None:
        """Put the source on sys.path, load the app, and start watching its files."""
        if str(self.source_dir) not in sys.path:
            sys.path.insert(0, str(self.source_dir))
        top = self.module_name.split(".")[0]
        for name in [n for n in sys.modules if n == top or n.startswith(top + ".")]:
            if not any(_is_user_path(p, self.source_dir) for p in _module_paths(sys.modules[name])):
                del sys.modules[name]  # a module of that name from elsewhere (another app)
        with self._reload_lock:
            self._load()
        if poll_seconds:
            self._poller = threading.Thread(target=self._poll, args=(poll_seconds,),
                                            name="wsdeploy-dev-reload", daemon=True)
            self._poller.start()

    def close(self) -> None:
        """Stop watching and forget the app, leaving sys.path and sys.modules as they were."""
        self._stop.set()
        if self._poller is not None:
            self._poller.join()
        self._purge()
        entry.reset()
        if str(self.source_dir) in sys.path:
            sys.path.remove(str(self.source_dir))

    def _poll(self, seconds: float) -> None:
        while not self._stop.wait(seconds):
            self.refresh()

    # -- running handlers --------------------------------------------------------------
    @contextmanager
    def serving(self) -> Iterator[dict[str, bool] | None]:
        """Around one invocation: reload first if files changed. No invocation starts while a
        reload runs; a reload waits for those under way DRAIN_SECONDS at most, then goes ahead."""
        self.refresh()
        with self._gate:
            self._gate.wait_for(lambda: not self._reloading)
            self._active += 1
        try:
            yield self._routes
        finally:
            with self._gate:
                self._active -= 1
                self._gate.notify_all()

    def refresh(self) -> None:
        """Reload if the app's files changed since the last attempt."""
        if self._current_files() == self._seen:
            return
        with self._reload_lock:
            if self._current_files() == self._seen:
                return  # another thread has just reloaded
            with self._gate:
                self._reloading = True
                # Let handlers under way finish, briefly: a slow one must not hold up the reload.
                self._gate.wait_for(lambda: self._active == 0, timeout=DRAIN_SECONDS)
            try:
                self._load()
            finally:
                with self._gate:
                    self._reloading = False
                    self._gate.notify_all()

    # -- loading -----------------------------------------------------------------------
    def _user_modules(self) -> dict[str, ModuleType]:
        return {name: module for name, module in list(sys.modules.items())
                if module is not None
                and any(_is_user_path(p, self.source_dir) for p in _module_paths(module))}

    def _purge(self) -> dict[str, ModuleType]:
        modules = self._user_modules()
        for name in modules:
            sys.modules.pop(name, None)
        return modules

    def _load(self) -> None:
        first = self._routes is None and self._failure is None
        previous_modules = self._purge()
        previous_routes = REGISTRY.routes()
        entry.reset()
        try:
            entry.load_handlers()
        except (Exception, SystemExit) as error:  # noqa: BLE001 - the user's to see, all of it
            failure = describe_failure(error, self.source_dir)
            repeated = self._retrying_restore and failure == self._failure
            self._failure = failure
            self._seen = self._current_files(broken=True)
            self._retrying_restore = not self._restore(previous_modules, previous_routes)
            if self._retrying_restore:
                self._seen = {}  # seen as changed: the next event reloads, and restores again
            if not repeated:
                self._report("failed", self._failure)
            return
        self._retrying_restore = False
        self._routes = {key: route.reply for key, route in REGISTRY.routes().items()}
        self._failure = None
        self._watched = sorted({p for m in self._user_modules().values()
                                for p in _module_paths(m) if p.suffix == ".py"})
        self._seen = self._current_files()
        if not first:
            self._report("reloaded", ", ".join(sorted(self._routes)))

    def _restore(self, modules: dict[str, ModuleType], routes: dict) -> bool:
        """Put the last good version back (modules, routes, marked loaded); False if it could not.

        A handler still running past the drain may call `load_handlers()` while the user's
        modules are purged: it imports the broken files itself, and the runtime, undoing that
        import, clears the registry and drops the modules added since it began, the restored ones
        included. So each attempt is checked, and made again: once one succeeds the module is
        marked loaded and no handler imports it again."""
        for _ in range(RESTORE_ATTEMPTS):
            self._purge()
            entry.reset()
            if self._routes is None:
                return True  # nothing good to go back to: events fail until the code imports
            sys.modules.update(modules)
            try:
                for route in routes.values():
                    REGISTRY.add(route)
                entry.load_handlers()  # finds the restored module in sys.modules; marks it loaded
            except (Exception, SystemExit):  # noqa: BLE001 - spoilt by an import beside it
                continue
            return True
        return False

    # -- watching ----------------------------------------------------------------------
    def _current_files(self, broken: bool | None = None) -> dict[Path, tuple[int, int]]:
        """(mtime, size) of the loaded user modules' files; of every .py file while broken."""
        broken = self._failure is not None if broken is None else broken
        paths = self._python_files() if broken else self._watched
        found = {}
        for path in paths:
            try:
                stat = path.stat()
                found[path] = (stat.st_mtime_ns, stat.st_size)
            except OSError:
                found[path] = (-1, -1)  # deleted: that is a change too
        return found

    def _python_files(self) -> Iterator[Path]:
        for relative in iter_source_files(self.source_dir, self.exclude):
            if relative.suffix == ".py":
                yield self.source_dir / relative
