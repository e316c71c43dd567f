"""What `wsdeploy dev` takes from wsdeploy.toml: names, sizes, route selection, environment."""

from __future__ import annotations

from pathlib import Path

from wsdeploy.config import load_stage
from wsdeploy.emulator.settings import DevSettings

REPO = Path(__file__).resolve().parents[2]


def write_config(folder: Path, extra: str = "") -> Path:
    path = folder / "wsdeploy.toml"
    path.write_text('[app]\nname = "chat"\nmemory = 512\ntimeout = 60\n'
                    'route_selection = "${request.body.type}"\n'
                    'environment = { GREETING = "hi" }\n' + extra + "[stages.dev]\n[stages.prod]\n")
    (folder / "app.py").write_text("")
    return path


def test_the_stage_names_the_function_and_sizes_it(tmp_path):
    settings = DevSettings.from_stage(load_stage(write_config(tmp_path), "prod"), "app", port=0)
    assert settings.stage == "prod" and settings.function.name == "chat-prod-ws"
    assert settings.function.memory_mb == 512 and settings.function.timeout_s == 60
    assert settings.integration_timeout == 29  # the gateway's ceiling, not the function's 60 s
    assert settings.route_selection == "${request.body.type}"
    assert settings.source_dir == tmp_path and settings.port == 0
    assert settings.environment == {"GREETING": "hi"}
    assert len(settings.api_id) == 10


def test_connection_tracking_is_passed_to_the_runtime_in_memory(tmp_path):
    cfg = load_stage(REPO / "examples" / "chat" / "wsdeploy.toml")
    environment = DevSettings.from_stage(cfg, "app").environment
    assert environment["WSDEPLOY_CONNECTIONS_TRACK"] == "1"
    assert environment["WSDEPLOY_CONNECTIONS_TTL_HOURS"] == "2"
    untracked = load_stage(
        write_config(tmp_path, "[app.connections]\nenabled = true\ntrack = false\n"), "dev")
    assert "WSDEPLOY_CONNECTIONS_TRACK" not in DevSettings.from_stage(untracked, "app").environment
    assert DevSettings.from_stage(cfg, "app").connections is True
    assert DevSettings.from_stage(untracked, "app").connections is True


def test_connections_stay_off_locally_when_off_in_wsdeploy_toml(tmp_path):
    settings = DevSettings.from_stage(load_stage(write_config(tmp_path), "dev"), "app")
    assert settings.connections is False
    assert not any(name.startswith("WSDEPLOY_CONNECTIONS") for name in settings.environment)


def test_no_tracking_variables_without_connections(tmp_path):
    environment = DevSettings.from_stage(load_stage(write_config(tmp_path), "dev"), "app").environment
    assert not [name for name in environment if name.startswith("WSDEPLOY_")]


def test_the_websockets_requirement_admits_only_releases_with_separate_frame_limits():
    """The server passes max_size=(message, frame): a tuple websockets accepts from 16.0 on."""
    import re
    import tomllib

    from websockets.server import ServerProtocol

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    [requirement] = [d for d in project["dependencies"] if d.startswith("websockets")]
    lowest = re.search(r">=\s*(\d+)", requirement).group(1)
    assert int(lowest) >= 16, requirement
    protocol = ServerProtocol(max_size=(128 * 1024, 32 * 1024))  # the installed one takes it
    assert (protocol.max_message_size, protocol.max_fragment_size) == (128 * 1024, 32 * 1024)
