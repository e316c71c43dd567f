"""A stage's record and lock as objects in the team's S3 bucket: the state store for teams and
CI, a second implementation of `state.StateStore` beside the local file.

Why it is safe for several machines:
- the record is one object, `<prefix>/<stage>.json`; every write is conditional on the ETag
  this run last read (`If-Match`, or `If-None-Match: *` for the first), so two writers never
  silently overwrite each other: the second is refused (412) and stops, saying so;
- the lock is another object, `<prefix>/<stage>.lock`, created with `If-None-Match: *`, so
  exactly one run gets it; it says who holds it (the AWS identity, user, host, process,
  command, time) and its id, which `wsdeploy unlock STAGE ID` needs to remove it, as
  Terraform's force-unlock does. It is released at the end of the run, on errors and on
  Ctrl-C; only a killed run leaves it behind;
- every call names the bucket's expected owner (the deploying account), and asks for
  server-side encryption (SSE-S3) explicitly.

A write whose answer was lost (and which botocore therefore sent again, to be refused by its
own precondition) is recognised by reading the object back: if it holds exactly the bytes
this run wrote, the write is done.

No boto3 here: the S3 calls come in as `objects` (`provision.aws`'s S3 calls), which translate
and redact errors as every other AWS call. The record holds no secrets (provision/record.py).
"""

from __future__ import annotations

import getpass
import json
import os
import re
import socket
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Protocol

from .errors import DeployError, UserError
from .state import StateFile, encode_record, new_lock_id, parse_record, utc_now, wrong_lock_message

SCHEME = "s3://"
LOCAL = "local"
# S3's rules for bucket names (general purpose buckets): 3-63 characters, lowercase letters,
# digits, dots and hyphens, a letter or digit at each end, no "..", not an IP address.
BUCKET_RE = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", re.ASCII)
IP_RE = re.compile(r"\d+\.\d+\.\d+\.\d+", re.ASCII)
CONFLICT_CODES = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})
NO_BUCKET = frozenset({"NoSuchBucket"})
NO_ACCESS = frozenset({"AccessDenied", "AccessDeniedException", "AllAccessDisabled",
                       "InvalidBucketOwner"})


@dataclass(frozen=True)
class StoredObject:
    body: bytes
    etag: str


@dataclass(frozen=True)
class S3Location:
    """`state = "s3://bucket/prefix"`: where a project's stages keep their records."""

    bucket: str
    prefix: str = ""

    def key(self, stage: str, suffix: str) -> str:
        return f"{self.prefix}/{stage}{suffix}" if self.prefix else f"{stage}{suffix}"

    def url(self, key: str) -> str:
        return f"{SCHEME}{self.bucket}/{key}"

    def __str__(self) -> str:
        return f"{SCHEME}{self.bucket}" + (f"/{self.prefix}" if self.prefix else "")


def location_problem(value: Any) -> str | None:
    """What is wrong with a `state` setting, as config.py reports it; None when it is fine."""
    if not isinstance(value, str):
        return f'must be "local" or "s3://bucket/prefix", not {type(value).__name__}'
    if value == LOCAL:
        return None
    if not value.startswith(SCHEME):
        return (f'"{value}" is not a state location: write "local" (the default: .wsdeploy/ '
                'beside wsdeploy.toml) or "s3://bucket/prefix" (an S3 bucket you own)')
    bucket, _, prefix = value[len(SCHEME):].partition("/")
    if not BUCKET_RE.fullmatch(bucket) or ".." in bucket or IP_RE.fullmatch(bucket):
        return (f'"{bucket}" is not an S3 bucket name: 3 to 63 lowercase letters, digits, dots '
                "and hyphens, starting and ending with a letter or digit")
    parts = prefix.rstrip("/").split("/") if prefix.rstrip("/") else []
    if any(part in ("", ".", "..") for part in parts):
        return f'the prefix "{prefix}" has an empty, "." or ".." part: write it as "team/chat"'
    return None


def parse_location(value: str | None) -> S3Location | None:
    """The bucket and prefix of a checked `state` setting; None for local state."""
    if not value or value == LOCAL:
        return None
    bucket, _, prefix = value[len(SCHEME):].partition("/")
    return S3Location(bucket, prefix.strip("/"))


class Objects(Protocol):
    """The S3 calls the store makes (provision/aws/s3.py); errors are `AwsCallError`s."""

    def get_object(self, bucket: str, key: str, owner: str) -> StoredObject | None: ...
    def put_object(self, bucket: str, key: str, body: bytes, owner: str, *,
                   if_match: str | None = None, if_none_match: bool = False) -> str: ...
    def delete_object(self, bucket: str, key: str, owner: str, *,
                      if_match: str | None = None) -> bool: ...


@dataclass(frozen=True)
class Caller:
    """Who deploys: the account owns the bucket (ExpectedBucketOwner); the ARN names the
    lock's holder."""

    account: str
    arn: str

    @classmethod
    def of(cls, arn: str) -> "Caller":
        """From the ARN STS gives: arn:PARTITION:sts::ACCOUNT:..."""
        return cls(arn.split(":")[4], arn)


class S3State:
    """One stage's record and lock in S3. `caller` is asked once, on the first S3 call, so a
    command that never touches the state (logs) never pays for it. `local` is the stage's
    local state file: a record left there is never silently ignored."""

    def __init__(self, objects: Objects, location: S3Location, stage: str,
                 caller: Callable[[], Caller], local: StateFile | None = None) -> None:
        self.objects, self.location, self.stage = objects, location, stage
        self.key = location.key(stage, ".json")
        self.lock_key = location.key(stage, ".lock")
        self.local = local
        self._caller_source, self._caller = caller, None
        self._etag: str | None = None     # of the record as this run last read or wrote it
        self._read = False                # whether _etag is known (None then: no record)
        self._known: bytes | None = None    # the record as this run last read or wrote it:
                                            # under the lock nobody else writes it

    @property
    def where(self) -> str:
        return self.location.url(self.key)

    @property
    def caller(self) -> Caller:
        if self._caller is None:
            from .provision.errors import AwsCallError     # data only: no boto3
            try:
                self._caller = self._caller_source()
            except AwsCallError as error:
                raise DeployError(f"could not tell which account these credentials are for, which "
                                  f"owns the state bucket: {error}. Nothing was changed; run the "
                                  "command again") from None
        return self._caller

    # -- the record ---------------------------------------------------------------------------
    def exists(self) -> bool:
        return self.load() is not None

    def load(self) -> dict[str, Any] | None:
        if self._known is not None:
            return parse_record(self._known, self.where)
        found = self._get(self.key, "record")
        self._etag, self._read = (found.etag if found else None), True
        self._known = found.body if found else None
        if found is None:
            if self.local is not None and self.local.exists():
                raise UserError(
                    f"stage {self.stage} has a local record ({self.local.where}) but none in "
                    f"{self.where}, where wsdeploy.toml now keeps it: run `wsdeploy state push "
                    f"{self.stage}` to move it there first")
            return None
        return parse_record(found.body, self.where)

    def save(self, data: dict[str, Any]) -> None:
        """Writes the record if it is still the one this run read; DeployError when another
        writer changed it meanwhile (nothing is overwritten) or the write fails."""
        if not self._read:
            self.load()
        body = encode_record(data)
        try:
            self._etag = self._put_conditionally(self.key, body, self._etag)
            self._known = body
        except _Conflict:
            raise DeployError(
                f"{self.where} was changed by another run while this one was working (was its "
                "lock removed with `wsdeploy unlock`?), so this run recorded nothing more and "
                f"stopped. What it made is found by name and tags: run `wsdeploy up {self.stage}` "
                "again once no other run is going on") from None
        except _Failed as failed:
            raise DeployError(
                f"could not write the record {self.where}: {failed}\n  What was done in AWS is "
                f"not recorded there yet: run the same command again (what exists is found by name "
                "and tags, and recorded)") from None
        self._read = True

    def remove(self) -> None:
        """Deletes the record, if it is still the one this run read (else it is left alone)."""
        if not self._read:
            self.load()
        if self._etag is None:
            return
        try:
            self._delete(self.key, self._etag, "record")
        except _Failed as failed:
            if failed.code in CONFLICT_CODES:
                raise DeployError(f"{self.where} was changed by another run meanwhile, so it was "
                                  "left in place: check it with `wsdeploy status`") from None
            raise DeployError(f"could not remove the record {self.where}: {failed}. Everything "
                              f"else was deleted: run `wsdeploy down {self.stage}` again to remove "
                              "it") from None
        self._etag, self._known = None, None

    # -- the lock -----------------------------------------------------------------------------
    @contextmanager
    def locked(self, command: str, notice: Callable[[str], None] | None = None) -> Iterator[None]:
        """Holds the stage's lock object for the block; UserError (exit 2) naming the holder
        and the lock's id when another run holds it."""
        notice = notice or (lambda _: None)
        mine = {"id": new_lock_id(), "who": self.caller.arn, "user": _user(),
                "host": socket.gethostname(), "pid": os.getpid(), "command": command,
                "started": utc_now()}
        body = json.dumps(mine, indent=2).encode("utf-8")
        etag = self._take_lock(body)
        self._known = None      # others may have written before we held it: read it afresh
        try:
            yield
        except BaseException:     # the run failed or was interrupted: say so, not the lock
            self._release_lock(etag, mine["id"], notice, quiet=True)
            raise
        self._release_lock(etag, mine["id"], notice, quiet=False)

    def _take_lock(self, body: bytes) -> str:
        for _ in range(3):      # a lock released between our write and our look at it: again
            try:
                return self._put_conditionally(self.lock_key, body, None, what="lock")
            except _Conflict:
                holder = self._get(self.lock_key, "lock")
                if holder is None:
                    continue
                raise UserError(self._held_message(_json_or_empty(holder.body))) from None
            except _Failed as failed:
                raise DeployError(f"could not take the lock {self.location.url(self.lock_key)}: "
                                  f"{failed}. Nothing was changed; run the command again") from None
        raise UserError(f"could not take the lock {self.location.url(self.lock_key)}: other runs "
                        "keep taking and releasing it. Run the command again")

    def _release_lock(self, etag: str, lock_id: str, notice: Callable[[str], None], quiet: bool) -> None:
        """Deletes our lock. A lock left behind keeps every later run out, so failing to
        release it fails a run that otherwise succeeded (as Terraform does), unless the run
        is failing already (`quiet`: then it is a notice, and the run's own error is shown)."""
        url = self.location.url(self.lock_key)
        try:
            gone = self._delete(self.lock_key, etag, "lock")
        except (_Failed, UserError) as failed:
            if getattr(failed, "code", "") in CONFLICT_CODES:
                notice(f"the lock {url} was taken over by another run while this one held it "
                       "(unlocked by hand?): left to that run")
                return
            message = (f"could not release the lock {url} ({failed}): `up` and `down` of stage "
                       f"{self.stage} refuse while it is there. Once no other run is going on, remove "
                       f"it with `wsdeploy unlock {self.stage} {lock_id}`")
            if quiet:
                notice(message)
                return
            raise DeployError(f"the run itself finished, but {message}") from None
        if not gone:
            notice(f"the lock {url} had already been removed (by `wsdeploy unlock`?) while this "
                   "run held it")

    def unlock(self, lock_id: str) -> dict | None:
        """Removes the lock if its id is `lock_id`; None when no lock is held; UserError naming
        the lock's own id when it is another (it may have changed hands since)."""
        found = self._get(self.lock_key, "lock")
        if found is None:
            return None
        holder = _json_or_empty(found.body)
        if holder.get("id") != lock_id:
            raise UserError(wrong_lock_message(self.location.url(self.lock_key), holder, lock_id))
        try:
            self._delete(self.lock_key, found.etag, "lock")
        except _Failed as failed:
            if failed.code in CONFLICT_CODES:
                raise UserError(f"the lock {self.location.url(self.lock_key)} changed while it was "
                                "being removed: another run took it. Nothing was removed") from None
            raise DeployError(f"could not remove the lock: {failed}") from None
        return holder

    def _held_message(self, holder: dict) -> str:
        return (f"stage {self.stage} is locked by `wsdeploy {holder.get('command')}` of "
                f"{holder.get('who')} (user {holder.get('user')} on {holder.get('host')}, process "
                f"{holder.get('pid')}) since {holder.get('started')}; lock id {holder.get('id')}. "
                "Wait for it to finish; if that run is no longer going on, remove the lock with "
                f"`wsdeploy unlock {self.stage} {holder.get('id')}`")

    # -- calls ------------------------------------------------------------------------------------
    def _put_conditionally(self, key: str, body: bytes, etag: str | None, what: str = "record") -> str:
        """Writes `body` if the object's ETag is still `etag` (None: if there is no object);
        the new ETag. _Conflict when another writer got there first."""
        def put(owner: str) -> str:
            return self.objects.put_object(self.location.bucket, key, body, owner,
                                           if_match=etag, if_none_match=etag is None)
        for _ in range(2):
            try:
                return self._call(what, put)
            except _Failed as failed:
                if failed.code not in CONFLICT_CODES:
                    raise
                now = self._get(key, what)
                if now is not None and now.body == body:    # our own write, its answer lost
                    return now.etag
                if failed.code == "ConditionalRequestConflict" and (now.etag if now else None) == etag:
                    continue                                 # a conflict in flight: try again
                raise _Conflict() from None
        raise _Conflict()

    def _delete(self, key: str, etag: str, what: str) -> bool:
        """Deletes the object if its ETag is still `etag`; False when it was gone already."""
        return self._call(what, lambda owner: self.objects.delete_object(
            self.location.bucket, key, owner, if_match=etag))

    def _get(self, key: str, what: str) -> StoredObject | None:
        try:
            return self._call(what, lambda owner: self.objects.get_object(self.location.bucket, key, owner))
        except _Failed as failed:
            raise DeployError(f"could not read {self.location.url(key)}: {failed}. Nothing was "
                              "changed; run the command again") from None

    def _call(self, what: str, call: Callable[[str], Any]) -> Any:
        """One S3 call; a missing bucket or no access to it is the user's to fix (UserError,
        exit 2), anything else is `_Failed`."""
        from .provision.errors import AwsCallError     # data only: no boto3
        owner = self.caller.account
        try:
            return call(owner)
        except AwsCallError as error:
            if error.code in NO_BUCKET:
                raise UserError(f"the state bucket {self.location.bucket} does not exist (state = "
                                f"\"{self.location}\" in wsdeploy.toml): create it, or fix the "
                                "name") from None
            if error.code in NO_ACCESS:
                raise UserError(f"these credentials may not use the state bucket "
                                f"{self.location.bucket} (its {what}: {error.operation} was "
                                f"refused), or it belongs to another account than {owner}: "
                                "`wsdeploy policy` prints the permissions needed") from None
            raise _Failed(error.code, f"{error.operation}: {error.code}: {error.message}") from None


class _Conflict(Exception):
    """A conditional write refused: another writer changed the object."""


class _Failed(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _json_or_empty(body: bytes) -> dict:
    try:
        data = json.loads(body.decode("utf-8"))
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:      # noqa: BLE001 - no user name in this environment (a container)
        return "unknown"


def push(local: StateFile, remote: S3State) -> str:
    """`wsdeploy state push`: the local record into the remote store, then the local file goes.
    Refuses to replace a different remote record. Returns what happened, for the message."""
    record = local.load()
    if record is None:
        raise UserError(f"there is no local record to push ({local.where} does not exist)")
    with remote.locked("state push"):
        there = remote._get(remote.key, "record")
        if there is not None:
            theirs = parse_record(there.body, remote.where)
            if _comparable(theirs) != _comparable(record):
                raise UserError(f"{remote.where} already holds a different record of stage "
                                f"{remote.stage} (updated {theirs.get('updated_at')}): nothing was "
                                f"pushed. Compare it with `wsdeploy state pull {remote.stage}`; "
                                f"if the local one is stale, remove {local.where}")
            done = f"{remote.where} already holds this record"
        else:
            remote._etag, remote._read = None, True
            remote.save(record)
            done = f"pushed {local.where} to {remote.where}"
    local.remove()
    return done + f"; {local.where} is removed"


def _comparable(record: dict) -> dict:
    return {k: v for k, v in record.items() if k != "updated_at"}

