"""Which of the app's files look like secrets, so that the package leaves them out unless asked.

The zip is uploaded to AWS, where anyone allowed to read the function's code can download it:
a private key or a credentials file lying in the source folder must not ride along unnoticed.
File names catch key stores and credential files whatever they hold; the text of every other
file is searched for a PEM private key block. That search reads in chunks and stops at the
first chunk of a binary file, so a large binary costs one read of 64 KB.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterable

# File names (compared in lowercase) of keys, key stores and credentials. Public keys
# (id_rsa.pub, *.crt) are not secrets and are not named here.
SECRET_NAME_GLOBS = (
    "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk",  # SSH keys
    "*.pem", "*.key", "*.p12", "*.pfx",                # private keys and certificate stores
    ".netrc", "_netrc", "credentials*", "secrets.json", "kubeconfig",
    "*.tfstate", "*.tfstate.backup",                   # Terraform state holds every secret it set
)
_SECRET_NAME = re.compile("|".join(fnmatch.translate(glob) for glob in SECRET_NAME_GLOBS))
# "-----BEGIN PRIVATE KEY-----", "... RSA PRIVATE KEY", "... OPENSSH PRIVATE KEY", "... ENCRYPTED
# PRIVATE KEY", "-----BEGIN PGP PRIVATE KEY BLOCK-----": the header is enough, whatever follows.
_PRIVATE_KEY = re.compile(rb"-----BEGIN (?:[A-Z0-9]{1,20} ){0,4}PRIVATE KEY(?: BLOCK)?-----")
_MARKER = b"PRIVATE KEY"      # found by a fast substring search before the pattern runs
_OVERLAP = 160                # longer than any header, so one split across two chunks is found
CHUNK_BYTES = 64 * 1024

NAMED = "its name is that of a key or credentials file"
HOLDS_KEY = "it holds a PRIVATE KEY block"


@dataclass(frozen=True)
class LeftOut:
    """A file of the source folder that the package leaves out, and why."""

    path: str       # relative to the source folder, with '/'
    reason: str     # NAMED or HOLDS_KEY


def holds_private_key(path: Path) -> bool:
    """True when the file's text holds a PEM private key header; a binary file (a NUL byte in
    its first chunk) is not read further: key stores in binary form are caught by name."""
    with open(path, "rb") as stream:
        carried = b""
        first = True
        while chunk := stream.read(CHUNK_BYTES):
            if first and b"\0" in chunk:
                return False
            first = False
            window = carried + chunk
            if _MARKER in window and _PRIVATE_KEY.search(window):
                return True
            carried = window[-_OVERLAP:]
    return False


def secret_reason(relative: PurePosixPath, path: Path) -> str | None:
    """Why the file looks like a secret (NAMED, HOLDS_KEY), or None when it does not."""
    if _SECRET_NAME.match(relative.name.lower()):
        return NAMED
    return HOLDS_KEY if holds_private_key(path) else None


def split_secrets(source_dir: Path, files: Iterable[PurePosixPath],
                  include: Iterable[re.Pattern[str]] = ()) -> tuple[list[PurePosixPath], list[LeftOut]]:
    """The files to package, and those left out as secrets; a file an `include` pattern
    matches (fullmatch on its relative path) is kept without a look."""
    include = list(include)
    kept, left_out = [], []
    for relative in files:
        if not any(pattern.fullmatch(str(relative)) for pattern in include):
            reason = secret_reason(relative, source_dir / relative)
            if reason:
                left_out.append(LeftOut(str(relative), reason))
                continue
        kept.append(relative)
    return kept, left_out
