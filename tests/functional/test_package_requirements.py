"""Requirements are installed for Lambda's platform by the real pip, from wheels the test builds.

pip runs with --no-index --find-links (written into requirements.txt), so no registry is asked.
"""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import pytest

from tests.support.package_project import MINIMAL_APP, write_project
from tests.support.package_wheels import build_wheel
from wsdeploy.config import load_stage
from wsdeploy.errors import UserError
from wsdeploy.package import build_package

APP_USING_DEPS = "import fastlib\nimport tinylib\n" + MINIMAL_APP


def wheels(folder: Path) -> Path:
    """tinylib (pure, needs botocore), fastlib for both Linux architectures, and a fake botocore."""
    build_wheel(folder, "tinylib", "1.0", {"tinylib/__init__.py": "NAME = 'tiny'\n"},
                requires=("botocore",))
    for arch in ("aarch64", "x86_64"):
        build_wheel(folder, "fastlib", "1.0", {"fastlib/__init__.py": f"ARCH = {arch!r}\n",
                                               "fastlib/.libs/native.so": "not really\n"},
                    tag=f"cp313-cp313-manylinux2014_{arch}")
    build_wheel(folder, "botocore", "9.9", {"botocore/__init__.py": "FAKE = True\n"})
    return folder


def project(tmp_path: Path, requirements: str, architecture: str = "arm64") -> Path:
    wheels(tmp_path / "wheels")
    toml = (f'[app]\nname = "chat"\nsource = "src"\nrequirements = "requirements.txt"\n'
            f'architecture = "{architecture}"\nruntime = "python3.13"\n[stages.dev]\n')
    files = {"src/app.py": APP_USING_DEPS,
             "requirements.txt": "--no-index\n--find-links wheels\n" + requirements}
    return write_project(tmp_path, toml, files)


def zip_text(data: bytes, name: str) -> str:
    return zipfile.ZipFile(io.BytesIO(data)).read(name).decode()


def zip_names(data: bytes) -> list[str]:
    return zipfile.ZipFile(io.BytesIO(data)).namelist()


@pytest.mark.parametrize("architecture, arch", [("arm64", "aarch64"), ("x86_64", "x86_64")])
def test_requirements_are_installed_for_the_stage_architecture(tmp_path, architecture, arch):
    built = build_package(load_stage(project(tmp_path, "tinylib\nfastlib\n", architecture)))
    assert zip_text(built.data, "fastlib/__init__.py") == f"ARCH = {arch!r}\n"
    assert zip_text(built.data, "tinylib/__init__.py") == "NAME = 'tiny'\n"
    names = zip_names(built.data)
    assert "fastlib/.libs/native.so" in names  # a library's hidden folder is kept
    assert "fastlib-1.0.dist-info/METADATA" in names
    assert not [n for n in names if n.endswith(".pyc") or "__pycache__" in n or n.startswith("bin/")]
    assert not [n for n in names if n.endswith("direct_url.json")]


def test_botocore_pulled_in_by_a_dependency_is_left_out(tmp_path):
    names = zip_names(build_package(load_stage(project(tmp_path, "tinylib\nfastlib\n"))).data)
    assert not [n for n in names if n.startswith("botocore")]


def test_botocore_named_by_the_requirements_is_kept(tmp_path):
    built = build_package(load_stage(project(tmp_path, "tinylib\nfastlib\nbotocore==9.9\n")))
    assert zip_text(built.data, "botocore/__init__.py") == "FAKE = True\n"


def test_the_install_is_cached_by_the_requirements_and_platform(tmp_path):
    config = project(tmp_path, "tinylib\nfastlib\n")
    first = build_package(load_stage(config))
    assert first.requirements_dir is not None and first.requirements_dir.parent == tmp_path / ".wsdeploy" / "cache"
    shutil.rmtree(tmp_path / "wheels")  # a second pip run would now fail
    second = build_package(load_stage(config))
    assert second.data == first.data and second.requirements_dir == first.requirements_dir
    config.write_text(config.read_text().replace('"arm64"', '"x86_64"'))
    with pytest.raises(UserError, match=r"^pip could not install .*requirements\.txt for Lambda "
                                        r"\(python3\.13, x86_64; platforms manylinux2014_x86_64, "
                                        r"manylinux_2_34_x86_64\):\n"):
        build_package(load_stage(config))


def test_a_package_without_a_wheel_for_lambda_is_a_clear_error(tmp_path):
    config = project(tmp_path, "tinylib\nfastlib\nnotpublished==1.0\n")
    with pytest.raises(UserError) as caught:
        build_package(load_stage(config))
    message = str(caught.value)
    assert "notpublished" in message
    assert message.endswith("wsdeploy installs binary wheels only, built for Linux on that "
                            "architecture: pin a version that publishes such wheels, or put a "
                            "pure-Python package's code in your source folder")
    assert not list((tmp_path / ".wsdeploy" / "cache").glob("*"))  # no half-built cache left


def test_wsdeploy_in_the_requirements_is_not_installed(tmp_path):
    config = project(tmp_path, "wsdeploy>=0.1\ntinylib\nfastlib\n")
    names = zip_names(build_package(load_stage(config)).data)
    assert "tinylib/__init__.py" in names
    assert not [n for n in names if n.startswith("wsdeploy-")]
    assert not list(tmp_path.glob(".wsdeploy-requirements-*"))


def test_the_handlers_are_read_with_the_installed_requirements(tmp_path):
    # tinylib and fastlib exist only in the Lambda install, not in this interpreter.
    built = build_package(load_stage(project(tmp_path, "tinylib\nfastlib\n")))
    assert built.handler.module == "app"


def test_a_requirements_file_of_comments_installs_nothing(tmp_path):
    toml = '[app]\nname = "chat"\nrequirements = "requirements.txt"\n[stages.dev]\n'
    config = write_project(tmp_path, toml, {"requirements.txt": "# nothing yet\n\n"}, echo=True)
    built = build_package(load_stage(config))
    assert built.requirements_dir is None
    assert not list((tmp_path / ".wsdeploy" / "cache").glob("requirements-*"))
