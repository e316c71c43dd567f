"""The state file `.wsdeploy/<stage>.json` and the lock that keeps two runs off one stage.

`StateStore` is what the provisioner and the CLI use: this file (`StateFile`), or one object
in S3 (`remote_state.S3State`, for teams and CI); `cli/stage.py` picks one per stage.

Why it is careful: the state file is the record of what exists in AWS. Every write goes to a
temporary file that is then renamed over the old one, so a run killed at any instant leaves
either the previous record or the new one, never half of either. The lock is a file created
exclusively; one left behind by a dead process on this host is taken over with a notice, and
so is one left empty or unreadable for more than EMPTY_LOCK_SECONDS (a run killed between
creating the file and writing who it is: a live run writes it within microseconds).
"""

from __future__ import annotations

import json
import os
import socket
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, ContextManager, Iterator, Protocol
from uuid import uuid4

from .errors import UserError
from .private_files import create_private, private_dir

SCHEMA_VERSION = 1
EMPTY_LOCK_SECONDS = 5.0
RECOVERY = ("It is wsdeploy's record of what exists in AWS: restore it, or move it away and run "
            "`wsdeploy up`, which finds the resources by name and tags")

# What each field of the record holds (the layout is in provision/record.py's docstring), so a
# file edited or damaged by hand is refused with one message instead of failing deep in a run.
# Fields not named here are not checked.
TEXT, WHOLE, FLAG, OBJECT = "a string or null", "a whole number or null", "true or false", "an object"
_HOLDS = {
    TEXT: lambda v: v is None or isinstance(v, str),
    WHOLE: lambda v: v is None or type(v) is int,
    FLAG: lambda v: type(v) is bool,
    OBJECT: lambda v: isinstance(v, dict),
}
HEADER_FIELDS = dict.fromkeys(("app", "stage", "region", "name", "partition", "account",
                               "created_at", "updated_at", "deployed_at", "url", "code_sha256",
                               "config_hash"), TEXT)
RESOURCE_FIELDS = {
    **dict.fromkeys(("name", "arn", "id", "uri", "trust_sha256", "sha256", "billing_mode", "ttl",
                     "route_selection", "statement_id", "source_arn", "target", "response_id"), TEXT),
    "retention_days": WHOLE, "reply": FLAG, "settings": OBJECT,
}


class StateStore(Protocol):
    """Where a stage's record and lock live."""

    @property
    def where(self) -> str: ...            # for messages: a path, or s3://bucket/key
    def exists(self) -> bool: ...
    def load(self) -> dict[str, Any] | None: ...   # UserError when it cannot be used
    def save(self, data: dict[str, Any]) -> None: ...
    def remove(self) -> None: ...
    def locked(self, command: str, notice: Callable[[str], None] | None = None
               ) -> ContextManager[None]: ...   # UserError (exit 2) naming the holder and lock id
    def unlock(self, lock_id: str) -> dict | None: ...   # the holder removed; None: no lock held


def new_lock_id() -> str:
    return str(uuid4())


def utc_now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


class StateFile:
    """One stage's state file and lock, both in the project's `.wsdeploy` folder."""

    def __init__(self, state_dir: Path, stage: str) -> None:
        self.dir = Path(state_dir)
        self.stage = stage
        self.path = self.dir / f"{stage}.json"
        self.lock_path = self.dir / f"{stage}.lock"

    def exists(self) -> bool:
        return self.path.is_file()

    @property
    def where(self) -> str:
        """The file, as the user would type its path (for messages)."""
        return shown(self.path)

    def load(self) -> dict[str, Any] | None:
        """The recorded state, or None when there is none; UserError when it cannot be used."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise UserError(f"{self.path} cannot be read: {error.strerror}. {RECOVERY}") from None
        return parse_record(raw, str(self.path))

    def save(self, data: dict[str, Any]) -> None:
        """Atomically replaces the file: temporary file, fsync, rename, fsync of the folder."""
        private_dir(self.dir)
        temporary = self.dir / f".{self.path.name}.{os.getpid()}.tmp"
        with os.fdopen(create_private(temporary), "wb") as out:
            out.write(encode_record(data))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, self.path)
        _fsync_dir(self.dir)
        self._remove_leftovers()

    def _remove_leftovers(self) -> None:
        """Temporary files of runs killed mid-write: harmless, but not worth keeping."""
        for leftover in self.dir.glob(f".{self.path.name}.*.tmp"):
            pid = leftover.name.rsplit(".", 2)[-2]
            if pid.isdigit() and not pid_alive(int(pid)):
                leftover.unlink(missing_ok=True)

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)
        _fsync_dir(self.dir)

    @contextmanager
    def locked(self, command: str, notice: Callable[[str], None] | None = None) -> Iterator[None]:
        """Holds the stage's lock for the block; UserError (exit 2) if a live run holds it."""
        notice = notice or (lambda _: None)
        private_dir(self.dir)
        mine = {"id": new_lock_id(), "pid": os.getpid(), "host": socket.gethostname(),
                "command": command, "started": utc_now()}
        self._acquire(mine, notice)
        try:
            yield
        finally:
            if _read_json(self.lock_path) == mine:
                self.lock_path.unlink(missing_ok=True)

    def _acquire(self, mine: dict, notice: Callable[[str], None]) -> None:
        for _ in range(5):
            try:
                fd = create_private(self.lock_path, exclusive=True)
            except FileExistsError:
                holder = _read_json(self.lock_path)
                if holder is None:          # vanished, or still being written: look again
                    age = _age(self.lock_path)
                    if age is not None and age > EMPTY_LOCK_SECONDS and self._take_over_unreadable():
                        notice(f"took over the lock {self.lock_path.name}: it was empty or unreadable "
                               f"for {age:.0f} s, left by a run killed as it took it")
                        continue
                    time.sleep(0.05)
                    continue
                if not self._is_stale(holder):
                    raise UserError(_held_message(self.lock_path, holder, self.stage)) from None
                if self._take_over(holder):
                    notice(f"took over the lock of {self.lock_path.name} left by process "
                           f"{holder.get('pid')} ({holder.get('command')}), which is no longer running")
                continue
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(mine, out)
            return
        raise UserError(f"could not take the lock {self.lock_path}: it is empty or unreadable, or "
                        "other runs keep changing it. If no other wsdeploy run is going on, delete it")

    def unlock(self, lock_id: str) -> dict | None:
        """Removes the lock if its id is `lock_id` (`wsdeploy unlock`); UserError naming the
        lock's own id when it is another."""
        holder = _read_json(self.lock_path)
        if holder is None:
            if not self.lock_path.exists():
                return None
            holder = {}
        if holder.get("id") != lock_id:
            raise UserError(wrong_lock_message(self.where_lock, holder, lock_id))
        if self._move_aside(lambda aside: _read_json(aside) == holder):
            return holder
        return None

    @property
    def where_lock(self) -> str:
        return shown(self.lock_path)

    @staticmethod
    def _is_stale(holder: dict) -> bool:
        return holder.get("host") == socket.gethostname() and not pid_alive(holder.get("pid"))

    def _take_over_unreadable(self) -> bool:
        """Moves an old unreadable lock aside, unless it turns out readable or fresh."""
        def still_abandoned(aside: Path) -> bool:
            age = _age(aside)
            return _read_json(aside) is None and age is not None and age > EMPTY_LOCK_SECONDS
        return self._move_aside(still_abandoned)

    def _take_over(self, holder: dict) -> bool:
        """Moves a dead run's lock aside; puts it back if another run got there first."""
        return self._move_aside(lambda aside: _read_json(aside) == holder)

    def _move_aside(self, still_stale: Callable[[Path], bool]) -> bool:
        """Renames the lock aside and deletes it if `still_stale` says the moved file is the
        one judged stale; else (another run's fresh lock, moved by mistake) puts it back."""
        aside = self.lock_path.with_name(f"{self.lock_path.name}.stale.{os.getpid()}")
        try:
            os.rename(self.lock_path, aside)
        except FileNotFoundError:
            return False
        if not still_stale(aside):
            try:
                os.link(aside, self.lock_path)
            except FileExistsError:
                pass
            aside.unlink(missing_ok=True)
            return False
        aside.unlink(missing_ok=True)
        return True


def parse_record(raw: bytes, where: str) -> dict[str, Any]:
    """A record's bytes as written by `encode_record`; UserError naming `where` when they are
    not UTF-8 JSON of this schema version with fields of the right types."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise UserError(f"{where} is not UTF-8 text (byte {error.start} is "
                        f"{error.object[error.start]:#04x}). {RECOVERY}") from None
    except ValueError as error:
        raise UserError(f"{where} is not valid JSON ({error}). {RECOVERY}") from None
    version = data.get("schema") if isinstance(data, dict) else None
    if version != SCHEMA_VERSION:
        raise UserError(f"{where} has schema version {version!r}; this wsdeploy reads "
                        f"version {SCHEMA_VERSION}: use the wsdeploy version that wrote it")
    problem = layout_problem(data)
    if problem:
        raise UserError(f"{where} is damaged: {problem}. {RECOVERY}")
    return data


def encode_record(data: dict[str, Any]) -> bytes:
    """The bytes a store writes: the record stamped with the schema and the time."""
    data = {**data, "schema": SCHEMA_VERSION, "updated_at": utc_now()}
    return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode("utf-8")


def shown(path: Path) -> str:
    """A path as the user would type it: relative to the current folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _type_name(value: Any) -> str:
    names = {type(None): "null", bool: "a boolean", int: "a number", float: "a number",
             str: "a string", list: "a list", dict: "an object"}
    return names.get(type(value), type(value).__name__)


def _field_problem(where: str, value: Any, wanted: str) -> str | None:
    if _HOLDS[wanted](value):
        return None
    return f"{where} must be {wanted}, not {_type_name(value)}"


def layout_problem(data: dict) -> str | None:
    """The first field of a record that holds the wrong type, as "where: what"; None if fine."""
    for name, wanted in HEADER_FIELDS.items():
        if name in data and (problem := _field_problem(name, data[name], wanted)):
            return problem
    resources = data.get("resources", {})
    if not isinstance(resources, dict):
        return _field_problem("resources", resources, OBJECT)
    entries: list[tuple[str, Any]] = []
    for kind, entry in resources.items():
        if kind == "routes" and isinstance(entry, dict):
            entries += [(f"resources.routes.{key}", route) for key, route in entry.items()]
        elif entry is not None:
            entries.append((f"resources.{kind}", entry))
    for where, entry in entries:
        if not isinstance(entry, dict):
            return _field_problem(where, entry, OBJECT)
        for name, value in entry.items():
            wanted = RESOURCE_FIELDS.get(name)
            if wanted and (problem := _field_problem(f"{where}.{name}", value, wanted)):
                return problem
    return None


def pid_alive(pid: Any) -> bool:
    """Whether a process with this id runs on this host (a zombie counts as dead)."""
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
        return status.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _held_message(path: Path, holder: dict, stage: str) -> str:
    who = f"process {holder.get('pid')} on {holder.get('host')}"
    way_out = (f"remove the lock with `wsdeploy unlock {stage} {holder['id']}`" if holder.get("id")
               else f"delete {path}")
    return (f"another wsdeploy run holds this stage: {who} (`wsdeploy {holder.get('command')}`, "
            f"since {holder.get('started')}; lock id {holder.get('id', 'none')}). Wait for it to "
            f"finish; if it is not running, {way_out}")


def wrong_lock_message(where: str, holder: dict, lock_id: str) -> str:
    """`unlock` given another id than the lock's: the lock may have changed hands since."""
    return (f"the lock {where} has id {holder.get('id', '(none)')}, not {lock_id} (held by "
            f"`wsdeploy {holder.get('command')}` since {holder.get('started')}): it may belong "
            "to a run that is going on. Nothing was removed; check, then unlock with the id shown")


def _read_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _age(path: Path) -> float | None:
    """Seconds since the file was last written; None when it is gone."""
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return None


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
