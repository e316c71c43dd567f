"""`wsdeploy init` and `wsdeploy package` as a user runs them: a real process, real files."""

from __future__ import annotations

import base64
import hashlib
import re
import zipfile
from pathlib import Path

from tests.support.package_project import run_cli as wsdeploy
from wsdeploy.cli.init_cmd import name_from_folder


def test_init_then_package_in_an_empty_folder(tmp_path):
    folder = tmp_path / "Chat Room"
    folder.mkdir()
    init = wsdeploy("init", cwd=folder)
    assert init.returncode == 0, init.stderr
    assert init.stdout.startswith(f"Created wsdeploy.toml, app.py, .gitignore for app chat-room in {folder}\n")
    assert sorted(p.name for p in folder.iterdir()) == [".gitignore", "app.py", "wsdeploy.toml"]
    assert (folder / ".gitignore").read_text().splitlines()[-1] == ".wsdeploy/"
    assert 'name = "chat-room"' in (folder / "wsdeploy.toml").read_text()

    done = wsdeploy("package", cwd=folder)
    assert done.returncode == 0, done.stderr
    zip_path = folder / ".wsdeploy" / "chat-room-dev-ws.zip"
    data = zip_path.read_bytes()
    sha = base64.b64encode(hashlib.sha256(data).digest()).decode()
    lines = done.stdout.splitlines()
    assert lines[0] == "Packaged chat-room (stage dev) into .wsdeploy/chat-room-dev-ws.zip"
    count = len(zipfile.ZipFile(zip_path).namelist())
    assert re.fullmatch(rf"  size     [\d.]+ KB zipped, [\d.]+ KB unzipped, {count} files", lines[1])
    assert lines[2] == f"  sha256   {sha}  (Lambda's CodeSha256)"
    assert lines[3] == "  handler  app: $connect, $default, $disconnect"
    assert done.stderr == ""


def test_init_refuses_to_overwrite_wsdeploy_toml(tmp_path):
    (tmp_path / "wsdeploy.toml").write_text("# mine\n")
    done = wsdeploy("init", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == (f"error: wsdeploy.toml already exists in {tmp_path}; wsdeploy init "
                                   "never overwrites it. Edit it, or delete it first to start over "
                                   "(`wsdeploy init --full` writes only wsdeploy.toml.example beside it)")
    assert (tmp_path / "wsdeploy.toml").read_text() == "# mine\n"
    assert not (tmp_path / "app.py").exists()


def test_init_keeps_an_existing_app_py(tmp_path):
    (tmp_path / "app.py").write_text("# my app\n")
    done = wsdeploy("init", "--name", "mine", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "app.py").read_text() == "# my app\n"
    assert "Left the existing app.py as it is" in done.stdout
    assert 'name = "mine"' in (tmp_path / "wsdeploy.toml").read_text()


def test_init_refuses_a_bad_name(tmp_path):
    done = wsdeploy("init", "--name", "My_App", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == ("error: --name: \"My_App\" is not a valid name: use lowercase "
                                   "letters, digits and '-', starting with a letter and not ending "
                                   "with '-' (it names every AWS resource)")
    assert list(tmp_path.iterdir()) == []


def test_names_made_from_folders():
    assert name_from_folder(Path("/x/My Chat_2")) == "my-chat-2"
    assert name_from_folder(Path("/x/2048-game")) == "game"
    assert name_from_folder(Path("/x/___")) == "app"


def test_package_output_option_list_and_rebuild_into_the_source_tree(tmp_path):
    assert wsdeploy("init", cwd=tmp_path).returncode == 0
    first = wsdeploy("package", "-o", "build.zip", "--list", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    listed = [line.strip() for line in first.stdout.splitlines()[4:]]
    assert listed == zipfile.ZipFile(tmp_path / "build.zip").namelist()
    assert "app.py" in listed and "build.zip" not in listed
    data = (tmp_path / "build.zip").read_bytes()
    second = wsdeploy("package", "-o", "build.zip", cwd=tmp_path)
    assert second.returncode == 0 and (tmp_path / "build.zip").read_bytes() == data
    assert not list(tmp_path.glob(".build.zip.*"))


def test_package_prints_config_warnings_on_stderr(tmp_path):
    assert wsdeploy("init", cwd=tmp_path).returncode == 0
    config = tmp_path / "wsdeploy.toml"
    config.write_text(config.read_text().replace("timeout = 29", "timeout = 60"))
    done = wsdeploy("package", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stderr.startswith("warning: stage dev: timeout is 60 s, but API Gateway waits at most 29 s")


def test_package_reports_a_broken_handler_without_a_traceback_of_ours(tmp_path):
    assert wsdeploy("init", cwd=tmp_path).returncode == 0
    (tmp_path / "app.py").write_text((tmp_path / "app.py").read_text() + "\nundefined_name\n")
    done = wsdeploy("package", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith(f"error: importing the handler module 'app' from {tmp_path.resolve()}, "
                                  "as packaged for Lambda, failed:")
    assert f'{tmp_path.resolve()}/app.py", line' in done.stderr
    assert done.stderr.rstrip().endswith("| NameError: name 'undefined_name' is not defined")
    assert "wsdeploy/discover.py" not in done.stderr and "wsdeploy/cli" not in done.stderr


def test_help_texts(tmp_path):
    package_help = wsdeploy("package", "--help", cwd=tmp_path).stdout
    assert "Build the deployment zip for a stage, without touching AWS." in package_help
    for option in ("--output", "--config", "--list", "[STAGE]"):
        assert option in package_help
    init_help = wsdeploy("init", "--help", cwd=tmp_path).stdout
    assert "never overwritten" in init_help and "--name" in init_help
