"""Discovery: which module holds the handlers (an AST scan), and its routes (a subprocess import)."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from tests.support.package_project import MINIMAL_APP, write_project
from wsdeploy.config import load_stage
from wsdeploy.discover import (
    HandlerInfo,
    RouteSpec,
    find_handler_module,
    glob_to_regex,
    iter_source_files,
    read_handlers,
)
from wsdeploy.errors import UserError

def project(tmp_path: Path, files: dict, toml_extra: str = "") -> Path:
    toml = f'[app]\nname = "chat"\n{toml_extra}\n[stages.dev]\n'
    return write_project(tmp_path, toml, files)


def found(tmp_path: Path, files: dict, toml_extra: str = "") -> str:
    return find_handler_module(load_stage(project(tmp_path, files, toml_extra)))


def discovery_error(tmp_path: Path, files: dict, toml_extra: str = "", read: bool = False) -> str:
    cfg = load_stage(project(tmp_path, files, toml_extra))
    with pytest.raises(UserError) as caught:
        read_handlers(cfg) if read else find_handler_module(cfg)
    return str(caught.value)


# -- the AST scan ----------------------------------------------------------------------------------
@pytest.mark.parametrize("import_line", [
    "from wsdeploy.websocket import on_connect",
    "import wsdeploy.websocket",
    "import wsdeploy.websocket as ws",
    "from wsdeploy import websocket",
    "def later():\n    from wsdeploy.websocket import send_message",
])
def test_a_real_import_marks_the_handler_module(tmp_path, import_line):
    assert found(tmp_path, {"server.py": import_line + "\n", "util.py": "import json\n"}) == "server"


def test_a_module_in_a_package_gets_its_dotted_name(tmp_path):
    files = {"chat/__init__.py": "", "chat/handlers.py": MINIMAL_APP}
    assert found(tmp_path, files) == "chat.handlers"


def test_a_string_that_mentions_the_api_is_not_an_import(tmp_path):
    files = {"notes.py": '"""Write: from wsdeploy.websocket import on_connect"""\n'
                         'TEXT = "import wsdeploy.websocket"\n# import wsdeploy.websocket\n'}
    assert discovery_error(tmp_path, files).startswith(
        f"no module in {tmp_path.resolve()} imports wsdeploy.websocket, so there are no handlers to deploy")


def test_none_found_says_how_to_write_one(tmp_path):
    message = discovery_error(tmp_path, {"main.py": "print('hi')\n"})
    assert "  from wsdeploy.websocket import on_connect, on_message, send_message\n  @on_connect\n" in message
    assert message.endswith("(`wsdeploy init` writes a complete one), or set handler_module in wsdeploy.toml")


def test_of_several_modules_the_one_that_registers_handlers_is_chosen(tmp_path):
    files = {"app.py": MINIMAL_APP, "tools/broadcast.py": "from wsdeploy.websocket import broadcast\n"}
    assert found(tmp_path, files) == "app"


CLASS_APP = """
import wsdeploy.websocket as ws

class Chat(ws.ZappaWebSocketServer):
    pass
"""


@pytest.mark.parametrize("handlers", [
    CLASS_APP,
    "from wsdeploy.websocket import WebSocketServer as Base\nclass Chat(Base):\n    pass\n",
    "from wsdeploy import websocket\n@websocket.on_route('join')\ndef join(event, context):\n    pass\n",
    "from wsdeploy.websocket import on_message as om\ntry:\n    @om\n    def m(e, c):\n        pass\n"
    "except ImportError:\n    pass\n",
], ids=["module-alias-class", "class-alias", "package-attribute", "aliased-decorator-in-try"])
def test_registrations_are_read_whatever_the_import_form(tmp_path, handlers):
    helper = "from wsdeploy.websocket import send_message, ConnectionGone\n"
    files = {"handlers.py": handlers, "lib/__init__.py": helper, "lib/send.py": helper}
    assert found(tmp_path, files) == "handlers"


def test_a_chalice_style_app_with_a_helper_package_finds_app(tmp_path):
    """Chalice's chat tutorial, ported: app.py registers, chalicelib only sends."""
    files = {"app.py": "from chalicelib import Handler\n" + MINIMAL_APP,
             "chalicelib/__init__.py": "from wsdeploy.websocket import ConnectionGone, send_message\n"
                                       "class Handler:\n    def on_message(self, event):\n        pass\n"}
    assert found(tmp_path, files) == "app"


def test_of_several_registering_modules_the_one_importing_the_others_is_chosen(tmp_path):
    files = {"app.py": "import rooms\n" + MINIMAL_APP,
             "rooms.py": "from wsdeploy.websocket import on_route\n@on_route('join')\ndef join(e, c):\n    pass\n",
             "pkg/__init__.py": "", "pkg/server.py": "from .routes import *\n" + MINIMAL_APP,
             "pkg/routes.py": "from wsdeploy.websocket import on_route\n@on_route('x')\ndef x(e, c):\n    pass\n"}
    message = discovery_error(tmp_path, files)  # two roots: app (with rooms) and pkg.server (with pkg.routes)
    assert "  app  (app.py): @on_connect connect, @on_message message\n" in message
    assert "  pkg.routes  (pkg/routes.py): @on_route('x') x\n" in message
    del files["pkg/server.py"], files["pkg/routes.py"]
    assert found(tmp_path / "again", files) == "app"


def test_when_the_code_does_not_say_each_candidate_is_listed_with_what_it_registers(tmp_path):
    files = {"app.py": MINIMAL_APP, "other.py": MINIMAL_APP,
             "tools/broadcast.py": "from wsdeploy.websocket import broadcast\n"}
    assert discovery_error(tmp_path, files) == (
        f"several modules in {tmp_path.resolve()} import wsdeploy.websocket, and their code does "
        "not show which one holds the handlers:\n"
        "  app  (app.py): @on_connect connect, @on_message message\n"
        "  other  (other.py): @on_connect connect, @on_message message\n"
        "  tools.broadcast  (tools/broadcast.py): registers nothing its code shows\n"
        "Set handler_module in [app] of wsdeploy.toml to the module whose import registers them "
        'all, e.g. handler_module = "app"'
    )


def test_the_explicit_setting_wins_over_the_scan(tmp_path):
    files = {"app.py": MINIMAL_APP, "tools/broadcast.py": "from wsdeploy.websocket import broadcast\n"}
    assert found(tmp_path, files, 'handler_module = "app"') == "app"


def test_an_explicit_setting_naming_no_file_is_an_error(tmp_path):
    assert discovery_error(tmp_path, {"app.py": MINIMAL_APP}, 'handler_module = "chat.app"') == (
        'wsdeploy.toml (stage dev): handler_module = "chat.app" names no module: neither '
        f"chat/app.py nor chat/app/__init__.py exists in {tmp_path.resolve()}"
    )


def test_environments_caches_and_excluded_files_are_not_scanned(tmp_path):
    imports = "from wsdeploy.websocket import on_connect\n"
    files = {"app.py": MINIMAL_APP, ".venv/lib/x.py": imports, "venv2/pyvenv.cfg": "",
             "venv2/lib/y.py": imports, "node_modules/z.py": imports, "build/lib/w.py": imports,
             ".wsdeploy/old.py": imports, "tests/test_app.py": imports, "env/pyvenv.cfg": "",
             "env/v.py": imports}
    assert found(tmp_path, files, 'exclude = ["tests/**"]') == "app"


def test_folders_named_like_tooling_are_ordinary_packages_below_the_top(tmp_path):
    from wsdeploy.discover import iter_source_files

    files = {"app.py": MINIMAL_APP, "myapp/build/steps.py": "", "myapp/env/__init__.py": "",
             "env/settings.py": "", "build/out.py": "", "dist/x.whl": ""}
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert [str(p) for p in iter_source_files(tmp_path)] == [
        "app.py", "env/settings.py", "myapp/build/steps.py", "myapp/env/__init__.py"]


def test_a_link_to_a_file_outside_the_source_folder_is_refused(tmp_path):
    from wsdeploy.discover import iter_source_files

    secret = tmp_path / "secret.txt"
    secret.write_text("s3cr3t")
    source = tmp_path / "src"
    source.mkdir()
    (source / "app.py").write_text(MINIMAL_APP)
    (source / "leaked.txt").symlink_to(secret)
    with pytest.raises(UserError, match=r"leaked.txt in .* is a link to .*secret.txt, outside"):
        list(iter_source_files(source))


def test_links_inside_the_source_folder_are_fine_and_linked_folders_read_once(tmp_path):
    from wsdeploy.discover import iter_source_files

    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text("")
    (tmp_path / "alias.py").symlink_to(tmp_path / "pkg" / "mod.py")
    (tmp_path / "pkg_link").symlink_to(tmp_path / "pkg")
    assert [str(p) for p in iter_source_files(tmp_path)] == ["alias.py", "pkg/mod.py"]


@pytest.mark.parametrize("links", [{"loop": "loop"}, {"a": "b", "b": "a"}, {"deep/c": "../deep/c"}])
def test_a_symlink_loop_is_a_user_error_naming_it(tmp_path, links):
    (tmp_path / "app.py").write_text(MINIMAL_APP)
    for name, target in links.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).symlink_to(target)
    with pytest.raises(UserError) as caught:
        list(iter_source_files(tmp_path))
    assert str(caught.value).endswith(
        f"in {tmp_path} is a symbolic link that never reaches a file (its links form a loop): "
        "delete it or point it at a real file, or leave it out with exclude in wsdeploy.toml")
    assert str(caught.value).split(" in ")[0] in links


def test_an_excluded_loop_and_a_dangling_link_are_no_trouble(tmp_path):
    (tmp_path / "app.py").write_text(MINIMAL_APP)
    (tmp_path / "loop").symlink_to("loop")
    (tmp_path / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    assert [str(p) for p in iter_source_files(tmp_path, exclude=["loop"])] == ["app.py"]


def test_a_file_whose_path_is_no_module_name_is_pointed_out(tmp_path):
    message = discovery_error(tmp_path, {"my-scripts/app.py": MINIMAL_APP})
    assert message.endswith("(my-scripts/app.py imports it, but its path is not a Python module "
                            "name: rename folders and files to letters, digits and '_')")


# -- reading the routes ------------------------------------------------------------------------------
def test_routes_are_read_with_reply_and_handler_names(tmp_path):
    source = MINIMAL_APP + """
from wsdeploy.websocket import on_route, on_disconnect

@on_route("join", reply=True)
def join(event, context):
    return {"joined": True}

@on_disconnect
def bye(event, context):
    pass
"""
    cfg = load_stage(project(tmp_path, {"app.py": source}))
    assert read_handlers(cfg) == HandlerInfo("app", (
        RouteSpec("$connect", False, "app.connect"),
        RouteSpec("$default", False, "app.message"),
        RouteSpec("$disconnect", False, "app.bye"),
        RouteSpec("join", True, "app.join"),
    ))


def test_a_class_based_app_is_read(tmp_path):
    source = """
from wsdeploy.websocket import WebSocketServer, on_route

class Chat(WebSocketServer):
    def on_connect(self, event, context):
        return {"statusCode": 200}

    @on_route("say")
    def say(self, event, context):
        pass
"""
    routes = read_handlers(load_stage(project(tmp_path, {"chat.py": source}))).routes
    assert [r.key for r in routes] == ["$connect", "$default", "$disconnect", "say"]


def test_a_syntax_error_is_reported_with_its_line(tmp_path):
    source = MINIMAL_APP + "\ndef broken(:\n    pass\n"
    message = discovery_error(tmp_path, {"app.py": source}, read=True)
    assert message.startswith(f"importing the handler module 'app' from {tmp_path.resolve()} failed:\n")
    assert f'  |   File "{tmp_path.resolve()}/app.py", line 12\n  |     def broken(:\n' in message
    assert message.endswith("  | SyntaxError: invalid syntax")


def test_an_import_error_shows_the_tail_of_the_users_traceback(tmp_path):
    files = {"app.py": "import helpers\n" + MINIMAL_APP, "helpers.py": "import redis_not_installed\n"}
    message = discovery_error(tmp_path, files, read=True)
    assert message.startswith("importing the handler module 'app' from")
    assert f'{tmp_path.resolve()}/helpers.py", line 1, in <module>' in message
    assert message.endswith("  | ModuleNotFoundError: No module named 'redis_not_installed'")
    assert "importlib" not in message


def test_a_module_missing_on_connect_is_reported(tmp_path):
    source = "from wsdeploy.websocket import on_message\n\n@on_message\ndef m(event, context):\n    pass\n"
    assert discovery_error(tmp_path, {"app.py": source}, read=True) == (
        "the handler module 'app' cannot be deployed:\n"
        "  missing @on_connect ($connect): a WebSocket app needs both, as decorated functions or "
        "as methods of a WebSocketServer subclass"
    )


def test_a_module_registering_nothing_is_reported(tmp_path):
    message = discovery_error(tmp_path, {"app.py": "import wsdeploy.websocket\n"}, read=True)
    assert message == (
        "the handler module 'app' registers no handlers: decorate functions with @on_connect and "
        "@on_message (from wsdeploy.websocket), or subclass WebSocketServer"
    )


def test_a_module_that_exits_the_interpreter_is_reported(tmp_path):
    source = MINIMAL_APP + "\nimport os, sys\nprint('bye', file=sys.stderr)\nos._exit(3)\n"
    message = discovery_error(tmp_path, {"app.py": source}, read=True)
    assert message == ("importing the handler module 'app' ended the interpreter (exit status 3) "
                       "before wsdeploy could read its routes:\n  | bye")


def test_the_import_sees_the_stage_environment_and_may_print(tmp_path):
    source = "import os\nprint('hello from import')\nassert os.environ['GREETING'] == 'hi'\n" + MINIMAL_APP
    cfg = load_stage(project(tmp_path, {"app.py": source}, 'environment = { GREETING = "hi" }'))
    assert read_handlers(cfg).module == "app"


@pytest.mark.parametrize("toml_extra, region", [("", "us-east-1"), ('region = "eu-north-1"', "eu-north-1")])
def test_a_module_level_boto3_client_imports_with_a_region_as_on_lambda(tmp_path, monkeypatch,
                                                                        toml_extra, region):
    """Lambda sets AWS_REGION and AWS_DEFAULT_REGION; botocore reads the latter only."""
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    source = ("import boto3\nTABLE = boto3.resource('dynamodb').Table('t')\n"
              f"assert TABLE.meta.client.meta.region_name == {region!r}\n" + MINIMAL_APP)
    cfg = load_stage(project(tmp_path, {"app.py": source}, toml_extra))
    assert read_handlers(cfg).module == "app"


def test_extra_paths_make_dependencies_importable(tmp_path):
    files = {"src/app.py": "import depmod\n" + MINIMAL_APP, "deps/depmod.py": "VALUE = 1\n"}
    cfg = load_stage(project(tmp_path, files, 'source = "src"'))
    with pytest.raises(UserError, match="No module named 'depmod'"):
        read_handlers(cfg)
    assert read_handlers(cfg, [tmp_path / "deps"]).module == "app"


def test_reading_leaves_no_bytecode_in_the_users_tree(tmp_path):
    cfg = load_stage(project(tmp_path, {"app.py": "import helpers\n" + MINIMAL_APP, "helpers.py": ""}))
    read_handlers(cfg)
    assert not list(tmp_path.rglob("__pycache__"))


# -- the source tree and exclude globs -----------------------------------------------------------------
@pytest.mark.parametrize("pattern, path, matches", [
    ("*.md", "README.md", True),
    ("*.md", "docs/guide.md", True),
    ("*.md", "docs/guide.mdx", False),
    ("tests/**", "tests/test_app.py", True),
    ("./tests/**", "tests/test_app.py", True),
    ("tests/**", "tests/unit/test_a.py", True),
    ("tests/**", "mytests/test_a.py", False),
    ("tests/**", "chat/tests/test_a.py", False),
    ("tests", "chat/tests/test_a.py", True),
    ("docs/", "docs/a/b.txt", True),
    ("chat/*.py", "chat/a.py", True),
    ("chat/*.py", "chat/sub/a.py", False),
    ("**/fixtures/*.json", "a/b/fixtures/x.json", True),
    ("data?.csv", "data1.csv", True),
    ("data?.csv", "data10.csv", False),
])
def test_exclude_globs(pattern, path, matches):
    assert bool(glob_to_regex(pattern).fullmatch(path)) is matches


def test_the_source_tree_leaves_out_what_is_never_part_of_an_app(tmp_path):
    files = {"app.py": "", "chat/room.py": "", "chat/__pycache__/room.cpython-311.pyc": b"x",
             "chat/old.pyc": b"x", ".env": "SECRET=1", ".git/config": "", ".venv/x.py": "",
             "venv2/pyvenv.cfg": "", "venv2/y.py": "", "node_modules/m.js": "", "dist/a.whl": b"",
             "pkg.egg-info/PKG-INFO": "", "README.md": "", "out.zip": b"z", "data/.keep": ""}
    write_project(tmp_path, files=files)
    listed = list(iter_source_files(tmp_path, ["*.md"], [tmp_path / "out.zip", tmp_path / "wsdeploy.toml"]))
    assert listed == [PurePosixPath("app.py"), PurePosixPath("chat/room.py")]
