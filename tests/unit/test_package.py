"""The deployment zip: deterministic bytes, exactly the expected files, and Lambda's size limits."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import zipfile
from pathlib import Path

import pytest

import wsdeploy.package as package
from tests.support.package_project import write_project
from wsdeploy.config import load_stage
from wsdeploy.errors import UserError

RUNTIME = sorted(
    "wsdeploy/" + path.relative_to(Path(package.__file__).parent).as_posix()
    for path in Path(package.__file__).parent.glob("runtime/*.py")
) + ["wsdeploy/__init__.py", "wsdeploy/websocket.py"]


def build(config: Path, stage: str | None = None, **kwargs) -> package.BuiltPackage:
    return package.build_package(load_stage(config, stage), **kwargs)


def names(built: package.BuiltPackage) -> list[str]:
    return zipfile.ZipFile(io.BytesIO(built.data)).namelist()


def test_two_builds_give_identical_bytes_whatever_the_timestamps(tmp_path):
    config = write_project(tmp_path, files={"chat/rooms.py": "ROOMS = {}\n"}, echo=True)
    first = build(config)
    for path in tmp_path.rglob("*.py"):
        os.utime(path, (1_700_000_000, 1_700_000_000))
    (tmp_path / "app.py").chmod(0o600)
    second = build(config)
    assert first.data == second.data
    assert first.sha256_b64 == second.sha256_b64


def test_the_hash_is_lambdas_code_sha256_and_follows_the_code(tmp_path):
    config = write_project(tmp_path, echo=True)
    first = build(config)
    assert first.sha256_b64 == base64.b64encode(hashlib.sha256(first.data).digest()).decode()
    assert (first.size, first.file_count) == (len(first.data), len(names(first)))
    (tmp_path / "app.py").write_text((tmp_path / "app.py").read_text() + "\n# changed\n")
    assert build(config).sha256_b64 != first.sha256_b64


def test_editing_only_wsdeploy_toml_keeps_the_hash(tmp_path):
    config = write_project(tmp_path, echo=True)
    first = build(config)
    config.write_text(config.read_text().replace('name = "chat"', 'name = "chat"\nmemory = 1024'))
    assert build(config).data == first.data


def test_the_contents_are_exactly_the_source_and_the_runtime(tmp_path):
    files = {"chat/__init__.py": "", "chat/rooms.py": "", "static/index.html": "<p>",
             "README.md": "", "docs/guide.md": "", "tests/test_app.py": "", "notes/todo.txt": "",
             ".env": "SECRET=1", ".git/HEAD": "", ".venv/bin/python": "", "__pycache__/app.cpython-311.pyc": b"",
             "chat/rooms.pyc": b"", ".wsdeploy/dev.json": "{}", "node_modules/x/index.js": ""}
    toml = '[app]\nname = "chat"\nexclude = ["tests/**", "*.md", "notes/"]\n[stages.dev]\n'
    built = build(write_project(tmp_path, toml, files, echo=True))
    expected = sorted(["app.py", "chat/__init__.py", "chat/rooms.py", "static/index.html", *RUNTIME])
    assert names(built) == expected
    assert list(built.files) == expected


def test_only_the_runtime_of_wsdeploy_is_shipped(tmp_path):
    shipped = {n for n in names(build(write_project(tmp_path, echo=True))) if n.startswith("wsdeploy/")}
    assert shipped == set(RUNTIME)
    assert not any(part in n for n in shipped for part in ("cli", "config", "package", "emulator", "provision"))


def test_entries_have_fixed_times_and_permissions_and_are_sorted(tmp_path):
    (tmp_path / "run.sh").write_text("#!/bin/sh\n")
    (tmp_path / "run.sh").chmod(0o775)
    built = build(write_project(tmp_path, echo=True))
    infos = zipfile.ZipFile(io.BytesIO(built.data)).infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    modes = {i.filename: (i.external_attr >> 16) & 0o7777 for i in infos}
    assert modes["run.sh"] == 0o755
    assert {mode for name, mode in modes.items() if name != "run.sh"} == {0o644}
    assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in infos)


def test_the_handler_info_is_part_of_the_result(tmp_path):
    built = build(write_project(tmp_path, echo=True))
    assert built.handler.module == "app"
    assert [r.key for r in built.handler.routes] == ["$connect", "$default", "$disconnect"]


def test_a_broken_handler_module_stops_the_build(tmp_path):
    config = write_project(tmp_path, files={"app.py": "from wsdeploy.websocket import on_connect\n"})
    with pytest.raises(UserError, match="registers no handlers"):
        build(config)


def test_a_skipped_path_such_as_the_output_zip_is_left_out(tmp_path):
    config = write_project(tmp_path, files={"out.zip": b"PK old build"}, echo=True)
    assert "out.zip" in names(build(config))
    assert "out.zip" not in names(build(config, skip=[tmp_path / "out.zip"]))


def test_a_wsdeploy_folder_in_the_source_is_refused(tmp_path):
    config = write_project(tmp_path, files={"wsdeploy/websocket.py": ""}, echo=True)
    with pytest.raises(UserError) as caught:
        build(config)
    assert str(caught.value) == (
        f"{tmp_path.resolve()} holds wsdeploy/websocket.py: a 'wsdeploy' folder in your source would "
        'replace the runtime wsdeploy ships; rename it, or add "wsdeploy/**" to exclude'
    )


def test_over_the_unzipped_limit_is_refused_before_zipping(tmp_path, monkeypatch):
    config = write_project(tmp_path, files={"data/blob.bin": b"\0" * 300_000}, echo=True)
    monkeypatch.setattr(package, "MAX_UNZIPPED_BYTES", 200_000)
    monkeypatch.setattr(package, "_zip", lambda entries: pytest.fail("zipped despite the limit"))
    with pytest.raises(UserError) as caught:
        build(config)
    message = str(caught.value)
    # the total counts the runtime too, whose size changes with every feature: any 0.3 to 0.5
    assert re.match(r"the package is 0\.[345] MB unzipped; Lambda accepts at most 0\.2 MB\. "
                    r"Largest parts: data 0\.3 MB, wsdeploy ", message), message
    assert message.endswith("Leave files out with exclude in wsdeploy.toml, or trim the requirements")


def test_over_the_zipped_limit_is_refused(tmp_path, monkeypatch):
    config = write_project(tmp_path, files={"data/noise.bin": os.urandom(120_000)}, echo=True)
    monkeypatch.setattr(package, "MAX_ZIPPED_BYTES", 100_000)
    with pytest.raises(UserError, match=r"^the package is 0\.1 MB zipped; Lambda accepts at most "
                                        r"0\.1 MB\. Largest parts: data 0\.1 MB"):
        build(config)
    monkeypatch.setattr(package, "MAX_ZIPPED_BYTES", 200_000)
    assert build(config).size > 120_000


def test_the_real_limits_are_lambdas():
    assert package.MAX_ZIPPED_BYTES == 50 * 1024 * 1024
    assert package.MAX_UNZIPPED_BYTES == 250 * 1024 * 1024


@pytest.mark.parametrize("text, expected", [
    ("requests==2.31\n# comment\nboto3>=1.34 ; python_version > '3.8'\n", {"requests", "boto3"}),
    ("--no-index\n--find-links wheels\nTiny_Lib[extra]\n", {"tiny-lib"}),
    ("./local/pkg\nhttps://example.com/x.whl\n-r other.txt\n", set()),
    ("pkg @ https://example.com/pkg.whl\n", {"pkg"}),
])
def test_requirement_names(text, expected):
    assert package.requirement_names(text) == expected


@pytest.mark.parametrize("runtime, architecture, platforms", [
    ("python3.11", "arm64", ["manylinux2014_aarch64"]),
    ("python3.11", "x86_64", ["manylinux2014_x86_64"]),
    ("python3.13", "arm64", ["manylinux2014_aarch64", "manylinux_2_34_aarch64"]),
])
def test_pip_targets_lambdas_platform(tmp_path, runtime, architecture, platforms):
    toml = f'[app]\nname = "chat"\nruntime = "{runtime}"\narchitecture = "{architecture}"\n[stages.dev]\n'
    cfg = load_stage(write_project(tmp_path, toml))
    command = package.pip_command(cfg, Path("req.txt"), Path("target"))
    assert package.pip_platforms(cfg) == platforms
    joined = " ".join(command)
    assert f"--python-version {runtime.removeprefix('python')}" in joined
    assert "--implementation cp" in joined
    assert "--only-binary=:all:" in command and "--target" in command
    assert all(f"--platform {p}" in joined for p in platforms)


# -- the routes are read from the package, as Lambda will import it ------------------------------
def test_a_module_installed_here_but_not_packaged_fails_the_build(tmp_path):
    from tests.support.package_project import MINIMAL_APP
    from wsdeploy.discover import read_handlers

    config = write_project(tmp_path, files={"app.py": "import rich\n" + MINIMAL_APP})
    assert read_handlers(load_stage(config)).module == "app"  # fine from the source folder
    with pytest.raises(UserError) as error:
        build(config)
    message = str(error.value)
    assert "ModuleNotFoundError: No module named 'rich'" in message
    assert "list it in requirements" in message


def test_what_lambda_provides_is_importable_when_reading_the_routes(tmp_path):
    from tests.support.package_project import MINIMAL_APP

    config = write_project(tmp_path, files={"app.py": "import boto3, botocore\n" + MINIMAL_APP})
    assert build(config).handler.module == "app"
    assert not any(name.startswith(("boto3/", "botocore/")) for name in names(build(config)))


def test_other_wsdeploy_configs_beside_it_are_never_packaged(tmp_path):
    config = write_project(tmp_path, echo=True, files={
        "prod.toml": '[app]\nname = "chat"\nenvironment = { API_TOKEN = "s3cr3t" }\n[stages.prod]\n',
        "pyproject.toml": '[project]\nname = "x"\n',
    })
    built = build(tmp_path / "prod.toml", "prod")
    assert "wsdeploy.toml" not in names(built) and "prod.toml" not in names(built)
    assert "pyproject.toml" in names(built)  # not a wsdeploy config: the app's own file
    assert config.exists()


def test_a_thread_started_at_import_does_not_hold_the_build(tmp_path):
    from tests.support.package_project import MINIMAL_APP

    never = "import threading\nthreading.Thread(target=threading.Event().wait).start()\n"
    config = write_project(tmp_path, files={"app.py": never + MINIMAL_APP})
    assert build(config).handler.module == "app"
