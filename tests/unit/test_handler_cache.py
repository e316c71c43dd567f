"""The routes of a package already read are not read again: the same bytes, environment and
Python give the same answer, and anything else asks the app again."""

from __future__ import annotations

import stat

import pytest

import wsdeploy.package as package
from tests.support.package_project import write_project
from wsdeploy.config import load_stage

TOML = '[app]\nname = "chat"\n[app.environment]\nGREETING = "hello-secret-value"\n[stages.dev]\n'


@pytest.fixture
def reads(monkeypatch):
    """Counts the imports of the app (each one a fresh interpreter)."""
    made = []
    real = package.read_handlers

    def counted(*args, **kwargs):
        made.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(package, "read_handlers", counted)
    return made


def test_the_same_package_is_read_once_and_answers_the_same(tmp_path, reads):
    config = write_project(tmp_path, TOML, echo=True)
    first = package.build_package(load_stage(config))
    second = package.build_package(load_stage(config))
    assert len(reads) == 1
    assert second.handler == first.handler and second.sha256_b64 == first.sha256_b64


def test_changed_code_or_environment_is_read_again(tmp_path, reads):
    config = write_project(tmp_path, TOML, echo=True)
    package.build_package(load_stage(config))
    (tmp_path / "app.py").write_text((tmp_path / "app.py").read_text() + "\n# edited\n")
    package.build_package(load_stage(config))
    config.write_text(TOML.replace("hello-secret-value", "other-secret-value"))
    package.build_package(load_stage(config))
    assert len(reads) == 3


def test_the_cache_holds_no_environment_value_and_is_private(tmp_path, reads):
    config = write_project(tmp_path, TOML, echo=True)
    package.build_package(load_stage(config))
    [entry] = (tmp_path / ".wsdeploy" / "cache").glob("handlers-*.json")
    assert "hello-secret-value" not in entry.read_text() and '"$connect"' in entry.read_text()
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600


def test_an_entry_that_does_not_read_back_is_read_again(tmp_path, reads):
    config = write_project(tmp_path, TOML, echo=True)
    first = package.build_package(load_stage(config))
    [entry] = (tmp_path / ".wsdeploy" / "cache").glob("handlers-*.json")
    entry.write_text('{"module": "app"}')          # as an older wsdeploy might have left it
    assert package.build_package(load_stage(config)).handler == first.handler
    assert len(reads) == 2


def test_a_broken_app_is_never_cached(tmp_path, reads):
    config = write_project(tmp_path, TOML, files={"app.py": "from wsdeploy.websocket import on_connect\n"})
    for _ in range(2):
        with pytest.raises(Exception, match="on_message"):
            package.build_package(load_stage(config))
    assert len(reads) == 2


def test_an_authorizer_reads_back_from_the_cache(tmp_path, reads):
    guard = ("\nfrom wsdeploy.websocket import allow, on_authorize\n\n"
             "@on_authorize(identity=['route.request.header.Authorization'], cache_seconds=30)\n"
             "def authorize(event, context):\n    return allow('x')\n")
    config = write_project(tmp_path, TOML, echo=True)
    (tmp_path / "app.py").write_text((tmp_path / "app.py").read_text() + guard)
    first = package.build_package(load_stage(config))
    second = package.build_package(load_stage(config))
    assert len(reads) == 1 and second.handler == first.handler
    assert second.handler.authorizer.identity == ("route.request.header.Authorization",)
