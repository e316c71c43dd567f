"""Folders and files only their owner may read: the state folder `.wsdeploy/` and what it holds.

The state files name every resource and account of a deploy, the zip holds the app's code and
the requirements cache may hold private packages: none of it is for other users of the
machine. Modes are set at creation (0700 folders, 0600 files), whatever the umask, and not
after the fact, so there is no instant at which another user could open them.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Make `path` a folder only its owner may enter (its parents must exist or are made as
    usual); an existing one that others may enter is closed to them, when it is ours to change."""
    path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)  # the umask only removes bits
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        try:
            path.chmod(mode & PRIVATE_DIR_MODE)
        except OSError:
            pass  # another user's folder: leave it as it is
    return path


def create_private(path: Path, exclusive: bool = False, private: bool = True) -> int:
    """Open `path` for writing as a new file (emptied if it exists, refused then when
    `exclusive`) that only its owner may read (or, not `private`, as the umask says);
    returns the descriptor."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, PRIVATE_FILE_MODE if private else 0o666)
    try:
        if private:
            os.fchmod(fd, PRIVATE_FILE_MODE)  # a file left by an earlier run keeps its mode otherwise
    except OSError:
        os.close(fd)
        raise
    return fd


def write_atomically(path: Path, data: bytes, private: bool = True) -> None:
    """Replace `path` with `data` whole or not at all (a temporary file beside it, then a
    rename), as a file only its owner may read unless not `private`."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    with os.fdopen(create_private(partial, private=private), "wb") as out:
        out.write(data)
    os.replace(partial, path)
