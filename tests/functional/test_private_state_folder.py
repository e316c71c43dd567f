"""`.wsdeploy/` and what wsdeploy writes there are its owner's alone (0700 folders, 0600 files),
whatever the umask: state and lock files, the zip `wsdeploy package` writes, the requirements
cache. Each test runs under umask 000, where anything left to the umask would be world-writable."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.support.package_project import MINIMAL_APP, write_project
from tests.support.package_wheels import build_wheel
from wsdeploy.cli import main
from wsdeploy.config import load_stage
from wsdeploy.package import build_package
from wsdeploy.state import StateFile


@pytest.fixture
def open_umask():
    previous = os.umask(0)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_state_and_lock_files_are_private(tmp_path, open_umask):
    store = StateFile(tmp_path / ".wsdeploy", "dev")
    with store.locked("up"):
        assert mode(store.lock_path) == 0o600
        store.save({"app": "chat"})
    assert mode(store.dir) == 0o700 and mode(store.path) == 0o600


def test_an_open_state_folder_is_closed_and_a_leftover_temporary_file_tightened(tmp_path, open_umask):
    folder = tmp_path / ".wsdeploy"
    folder.mkdir(mode=0o777)
    leftover = folder / f".dev.json.{os.getpid()}.tmp"   # a run of this pid killed mid-write
    leftover.write_text("{}")
    leftover.chmod(0o666)
    StateFile(folder, "dev").save({"app": "chat"})
    assert mode(folder) == 0o700 and mode(folder / "dev.json") == 0o600


def test_the_zip_written_to_the_state_folder_is_private_and_elsewhere_follows_the_umask(
        tmp_path, monkeypatch, capsys, open_umask):
    write_project(tmp_path, files={"app.py": MINIMAL_APP})
    monkeypatch.chdir(tmp_path)
    assert main(["package"]) == 0, capsys.readouterr().err
    assert mode(tmp_path / ".wsdeploy") == 0o700
    assert mode(tmp_path / ".wsdeploy" / "chat-dev-ws.zip") == 0o600
    assert main(["package", "-o", "dist/app.zip"]) == 0, capsys.readouterr().err
    assert mode(tmp_path / "dist" / "app.zip") == 0o666


def test_the_requirements_cache_is_private(tmp_path, monkeypatch, open_umask):
    """So is the filtered copy of requirements.txt pip reads (an index URL may carry a token)."""
    import wsdeploy.package as package

    copies = {}
    real_run = package.subprocess.run

    def run(command, **kwargs):
        if "--requirement" in command:   # pip's run; the handlers are read by another
            copy = Path(command[command.index("--requirement") + 1])
            copies[copy.name] = mode(copy)
        return real_run(command, **kwargs)

    monkeypatch.setattr(package.subprocess, "run", run)
    build_wheel(tmp_path / "wheels", "tinylib", "1.0", {"tinylib/__init__.py": "NAME = 'tiny'\n"})
    toml = '[app]\nname = "chat"\nrequirements = "requirements.txt"\n[stages.dev]\n'
    config = write_project(tmp_path, toml, {
        "app.py": "import tinylib\n" + MINIMAL_APP,
        "requirements.txt": "--no-index\n--find-links wheels\ntinylib\nwsdeploy\n"})
    built = build_package(load_stage(config))
    assert built.requirements_dir is not None and "tinylib/__init__.py" in built.files
    assert mode(tmp_path / ".wsdeploy") == 0o700
    assert mode(tmp_path / ".wsdeploy" / "cache") == 0o700
    assert copies == {f".wsdeploy-requirements-{os.getpid()}.txt": 0o600}
