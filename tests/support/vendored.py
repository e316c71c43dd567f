"""Projects that carry their web framework in the source folder ("vendored"), so `wsdeploy
package` finds it in the isolated interpreter without a pip install from a registry: the
copies come from this environment's own site-packages, with every dependency the installed
metadata names (extras left out)."""

from __future__ import annotations

import importlib.metadata as metadata
import shutil
from pathlib import Path

from packaging.requirements import Requirement

SKIPPED = ("boto3", "botocore")   # Lambda provides them


def distributions(*names: str) -> list[metadata.Distribution]:
    """The installed distributions `names` need, theirs included."""
    found: dict[str, metadata.Distribution] = {}
    todo = list(names)
    while todo:
        name = todo.pop().lower().replace("_", "-")
        if name in found or name in SKIPPED:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        found[name] = dist
        for text in dist.requires or ():
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return list(found.values())


def vendor(folder: Path, *names: str) -> None:
    """Copy the files of `names` and their dependencies (no metadata, no caches) into `folder`."""
    for dist in distributions(*names):
        for file in dist.files or ():
            top = file.parts[0]
            if top.endswith((".dist-info", ".data")) or "__pycache__" in file.parts or top == "..":
                continue
            target = folder / file
            if target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(file.locate(), target)


def project(tmp_path: Path, fixture: Path, *names: str) -> Path:
    """A copy of an app of tests/fixtures/apps with `names` (distributions) vendored beside it."""
    folder = tmp_path / fixture.name
    shutil.copytree(fixture, folder, ignore=shutil.ignore_patterns("__pycache__"))
    vendor(folder, *names)
    return folder
