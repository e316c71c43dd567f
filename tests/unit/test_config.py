"""wsdeploy.toml: every validation rule with the exact message users see, and stage selection."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tests.support.package_project import REPO, run_cli, write_project
from wsdeploy.config import APP_KEYS, StageConfig, load_stage
from wsdeploy.errors import UserError


def problems(tmp_path: Path, toml: str, files: dict | None = None) -> list[str]:
    """The problem lines of the UserError that loading `toml` raises (the header checked too)."""
    config = write_project(tmp_path, toml, files)
    with pytest.raises(UserError) as caught:
        load_stage(config)
    head, *lines = str(caught.value).split("\n")
    count = len(lines)
    assert head == f"{config} has {count} problem{'s' if count > 1 else ''}:"
    return [line.strip() for line in lines]


def app(extra: str = "", stages: str = "[stages.dev]\n") -> str:
    return f'[app]\nname = "chat"\n{extra}\n\n{stages}'


# -- a valid file -------------------------------------------------------------------------------
def test_a_minimal_file_gets_the_documented_defaults(tmp_path):
    cfg = load_stage(write_project(tmp_path))
    assert (cfg.app, cfg.stage, cfg.handler_module) == ("chat", "dev", None)
    assert cfg.config_path == tmp_path / "wsdeploy.toml"
    assert cfg.project_dir == tmp_path and cfg.source_dir == tmp_path.resolve()
    assert (cfg.runtime, cfg.architecture, cfg.memory, cfg.timeout) == ("python3.13", "arm64", 256, 29)
    assert (cfg.log_retention_days, cfg.route_selection) == (14, "$request.body.action")
    assert (cfg.exclude, cfg.requirements, cfg.region, cfg.profile) == ((), None, None, None)
    assert dict(cfg.environment) == {} and cfg.warnings == ()
    assert cfg.resource_name == "chat-dev-ws"
    assert cfg.state_dir == tmp_path / ".wsdeploy"
    assert cfg.python_version == "3.13"


def test_a_stage_overrides_app_keys_and_merges_environment(tmp_path):
    toml = app('memory = 512\nexclude = ["*.md"]\nenvironment = { LOG_LEVEL = "info", COLOR = "red" }',
               '[stages.dev]\n[stages.prod]\nmemory = 1024\narchitecture = "x86_64"\n'
               'environment = { LOG_LEVEL = "warning" }\n')
    config = write_project(tmp_path, toml)
    dev, prod = load_stage(config, "dev"), load_stage(config, "prod")
    assert (dev.memory, dev.architecture) == (512, "arm64")
    assert (prod.memory, prod.architecture, prod.exclude) == (1024, "x86_64", ("*.md",))
    assert dict(dev.environment) == {"COLOR": "red", "LOG_LEVEL": "info"}
    assert dict(prod.environment) == {"COLOR": "red", "LOG_LEVEL": "warning"}


def test_paths_are_relative_to_the_config_file_not_the_current_folder(tmp_path, monkeypatch):
    config = write_project(tmp_path / "proj", app('source = "src"\nrequirements = "req.txt"'),
                           {"src/app.py": "", "req.txt": ""})
    monkeypatch.chdir(tmp_path)
    cfg = load_stage(config)
    assert cfg.source_dir == (tmp_path / "proj" / "src").resolve()
    assert cfg.requirements == (tmp_path / "proj" / "req.txt").resolve()


def test_the_settings_are_frozen(tmp_path):
    cfg = load_stage(write_project(tmp_path))
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.memory = 1024
    with pytest.raises(TypeError):
        cfg.environment["X"] = "1"


def test_the_example_file_documents_every_key_and_is_valid(tmp_path):
    example = (REPO / "wsdeploy.toml.example").read_text()
    for key in APP_KEYS:
        assert f"\n{key} = " in example or f"\n# {key} = " in example, key
    config = write_project(tmp_path, example, {"requirements.txt": "", "app.py": ""})
    cfg = load_stage(config, "dev")
    assert cfg.app == "chat"
    assert isinstance(cfg, StageConfig)


# -- the rules, with the messages users see ---------------------------------------------------------
@pytest.mark.parametrize("extra, message", [
    ('nmae = "x"', 'app.nmae: unknown key (did you mean "name"?); valid keys: name, default_stage, '
                   'handler_module, source, source_outside, exclude, include, requirements, region, '
                   'profile, runtime, '
                   'architecture, memory, timeout, log_retention_days, route_selection, environment, '
                   'connections, state, auth, http_app, permissions, managed_policies, secrets, secrets_kms_key, reserved_concurrency, vpc'),
    ('memory = "256"', 'app.memory: must be a whole number of MB, not a string ("256")'),
    ("memory = true", "app.memory: must be a whole number of MB, not a boolean (true)"),
    ("memory = 127", "app.memory: 127 is out of range: Lambda accepts 128 to 10240 MB"),
    ("memory = 10241", "app.memory: 10241 is out of range: Lambda accepts 128 to 10240 MB"),
    ("timeout = 0", "app.timeout: 0 is out of range: Lambda accepts 1 to 900 seconds"),
    ("timeout = 901", "app.timeout: 901 is out of range: Lambda accepts 1 to 900 seconds"),
    ("timeout = 2.5", "app.timeout: must be a whole number of seconds, not a number (2.5)"),
    ('runtime = "pyhton3.12"', 'app.runtime: "pyhton3.12" is not a Lambda Python runtime wsdeploy '
                               'supports (did you mean "python3.12"?); valid: "python3.10", '
                               '"python3.11", "python3.12", "python3.13", "python3.14"'),
    ('runtime = "python3.8"', 'app.runtime: "python3.8" is not a Lambda Python runtime wsdeploy '
                              'supports; valid: "python3.10", "python3.11", "python3.12", '
                              '"python3.13", "python3.14"'),
    ('runtime = "nodejs20.x"', 'app.runtime: "nodejs20.x" is not a Lambda Python runtime wsdeploy '
                               'supports; valid: "python3.10", "python3.11", "python3.12", '
                               '"python3.13", "python3.14"'),
    ('architecture = "arm"', 'app.architecture: "arm" is not a Lambda architecture (did you mean '
                             '"arm64"?); valid: "arm64", "x86_64"'),
    ('architecture = "amd64"', 'app.architecture: "amd64" is not a Lambda architecture (Lambda '
                               'calls it "x86_64"); valid: "arm64", "x86_64"'),
    ('architecture = "aarch64"', 'app.architecture: "aarch64" is not a Lambda architecture (Lambda '
                                 'calls it "arm64"); valid: "arm64", "x86_64"'),
    ('exclude = "*.md"', 'app.exclude: must be a list of glob strings such as ["tests/**", "*.md"], '
                         'not a string ("*.md")'),
    ('region = "Europe"', 'app.region: "Europe" is not an AWS region name such as "us-east-1" or '
                          '"eu-west-2"'),
    ('profile = ""', "app.profile: must not be empty; leave the key out instead"),
    ('handler_module = "app.py"', 'app.handler_module: "app.py" is not a module name: write it as '
                                  'Python imports it, e.g. "app" for app.py or "chat.handlers" for '
                                  "chat/handlers.py (no .py, no '/')"),
    ("log_retention_days = 10", "app.log_retention_days: 10 days is not a retention CloudWatch Logs "
                                "offers; valid: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, "
                                "545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653"),
    ('route_selection = "action"', 'app.route_selection: "action" is not a route selection '
                                   'expression API Gateway accepts: use "$request.body.<field>" '
                                   '(e.g. "$request.body.action") or a template such as '
                                   '"${request.body.type}/${request.body.name}"'),
    ('source = "src"', f'app.source: folder "src" not found (looked for {{dir}}/src); it is '
                       "relative to wsdeploy.toml"),
    ('requirements = "req.txt"', f'app.requirements: file "req.txt" not found (looked for '
                                 f"{{dir}}/req.txt); it is relative to wsdeploy.toml"),
    ('environment = "LOG=1"', 'app.environment: must be a table such as { LOG_LEVEL = "info" }, not '
                              'a string ("LOG=1")'),
    ('environment = { DEBUG = 1 }', 'app.environment.DEBUG: must be a string, not an integer; write '
                                    'it in quotes: DEBUG = "1"'),
    ('environment = { DEBUG = true }', 'app.environment.DEBUG: must be a string, not a boolean; '
                                       'write it in quotes: DEBUG = "true"'),
    ('environment = { "LOG-LEVEL" = "x" }', "app.environment.LOG-LEVEL: not a name Lambda accepts: "
                                            "a letter, then at least one letter, digit or '_'"),
    ('environment = { X = "x" }', "app.environment.X: not a name Lambda accepts: a letter, then at "
                                  "least one letter, digit or '_'"),
])
def test_each_rule_names_the_key_and_what_is_valid(tmp_path, extra, message):
    assert problems(tmp_path, app(extra)) == [message.replace("{dir}", str(tmp_path))]


@pytest.mark.parametrize("name", ["AWS_REGION", "AWS_ANYTHING", "WSDEPLOY_HANDLER_MODULE",
                                  "WEBSOCKET_API_GATEWAY_ENDPOINT", "_HANDLER", "LAMBDA_TASK_ROOT"])
def test_reserved_environment_variables_are_refused(tmp_path, name):
    assert problems(tmp_path, app(f'environment = {{ {name} = "x" }}')) == [
        f"app.environment.{name}: the name is reserved (names starting AWS_ or WSDEPLOY_, "
        "WEBSOCKET_API_GATEWAY_ENDPOINT and Lambda's own are set for you); choose another name"
    ]


@pytest.mark.parametrize("expression", ["$request.body.action", "$request.body.message.type",
                                        "${request.body.type}", "${request.body.a}/${request.body.b}"])
def test_route_selection_accepts_paths_and_templates(tmp_path, expression):
    cfg = load_stage(write_project(tmp_path, app(f'route_selection = "{expression}"')))
    assert cfg.route_selection == expression


def test_environment_over_the_lambda_limit_is_refused(tmp_path):
    big = "x" * 2000
    toml = app(f'environment = {{ ONE = "{big}" }}', f'[stages.dev]\nenvironment = {{ TWO = "{big}" }}\n')
    json_size = len('{"ONE":"","TWO":""}') + 4000
    assert problems(tmp_path, toml) == [
        f"stages.dev.environment: the variables take {json_size} bytes as Lambda counts them "
        "(as JSON); Lambda allows 4096 in total and wsdeploy keeps 512 of them for its own, so "
        "at most 3584"
    ]


def test_environment_just_under_the_limit_is_fine(tmp_path):
    value = "x" * (3584 - len('{"ONE":""}'))
    cfg = load_stage(write_project(tmp_path, app(f'environment = {{ ONE = "{value}" }}')))
    assert len(cfg.environment["ONE"]) == 3574


def test_the_limit_counts_what_lambda_counts_quotes_and_all(tmp_path):
    """100 short variables: 3,500 bytes of names and values, but 4,101 as Lambda's JSON."""
    pairs = ", ".join(f'V{i:02d} = "{"x" * 32}"' for i in range(100))
    (problem,) = problems(tmp_path, app(f"environment = {{ {pairs} }}"))
    assert problem.startswith("stages.dev.environment: the variables take 4101 bytes")


@pytest.mark.parametrize("name, message", [
    ("Chat", '"Chat" is not a valid name'),
    ("chat_room", '"chat_room" is not a valid name'),
    ("chat-", '"chat-" is not a valid name'),
    ("1chat", '"1chat" is not a valid name'),
])
def test_a_bad_app_name_is_refused(tmp_path, name, message):
    assert problems(tmp_path, f'[app]\nname = "{name}"\n[stages.dev]\n') == [
        f"app.name: {message}: use lowercase letters, digits and '-', starting with a letter and "
        "not ending with '-' (it names every AWS resource)"
    ]


def test_a_resource_name_over_64_characters_is_refused(tmp_path):
    name = "a" * 50
    assert problems(tmp_path, f'[app]\nname = "{name}"\n[stages.production-eu]\n') == [
        f'stages.production-eu: the resource name "{name}-production-eu-ws" is 67 characters; AWS '
        "allows 64: shorten the app or stage name"
    ]


def test_a_bad_stage_name_is_refused(tmp_path):
    assert problems(tmp_path, app(stages='[stages."dev stage"]\n')) == [
        "stages.dev stage: \"dev stage\" is not a valid stage name: use letters, digits, '-' and '_', "
        "starting with a letter"
    ]


def test_structure_problems(tmp_path):
    assert problems(tmp_path, '[application]\nname = "chat"\n') == [
        'application: unknown table (did you mean "app"?); wsdeploy.toml holds [app] and '
        "[stages.<name>] tables",
        'app: missing: add an [app] table with at least name = "my-app"',
        "stages: no stage defined: add at least one, e.g. an empty [stages.dev] table",
    ]


def test_a_missing_name_and_stage_only_keys(tmp_path):
    toml = '[app]\nmemory = 256\n\n[stages.dev]\nname = "x"\ndefault_stage = "dev"\nstages = 1\n'
    assert problems(tmp_path, toml) == [
        "app.name: missing: every app needs a name, e.g. name = \"chat\" (lowercase letters, "
        "digits, '-')",
        "stages.dev.name: the app name is the same in every stage; set it once in [app]",
        "stages.dev.default_stage: default_stage belongs in [app]",
        'stages.dev.stages: unknown key (did you mean "state"?); valid keys: handler_module, source, '
        "source_outside, exclude, include, requirements, "
        "region, profile, runtime, architecture, memory, timeout, log_retention_days, "
        "route_selection, environment, connections, domain, state, auth, http_app, permissions, managed_policies, secrets, secrets_kms_key, reserved_concurrency, vpc",
    ]


def test_a_stage_that_is_not_a_table(tmp_path):
    assert problems(tmp_path, '[app]\nname = "chat"\n[stages]\ndev = 1\n') == [
        "stages.dev: must be a table: write [stages.dev] and its settings below it"
    ]


def test_every_problem_of_the_file_is_reported_at_once(tmp_path):
    toml = app('memory = 1\ntimeout = 0\nruntime = "python2"',
               "[stages.dev]\nmemroy = 5\n[stages.prod]\narchitecture = \"mips\"\n")
    keys = [line.split(":")[0] for line in problems(tmp_path, toml)]
    assert keys == ["app.memory", "app.timeout", "app.runtime", "stages.dev.memroy",
                    "stages.prod.architecture"]


def test_a_toml_syntax_error_shows_the_line_and_column(tmp_path):
    config = write_project(tmp_path, '[app]\nname = "chat"\nmemory = \n[stages.dev]\n')
    with pytest.raises(UserError) as caught:
        load_stage(config)
    assert str(caught.value) == (
        f"{config} is not valid TOML: Invalid value (at line 3, column 10)\n"
        "  3 | memory = \n"
        "    |          ^"
    )


def test_a_missing_file_says_how_to_make_one(tmp_path):
    with pytest.raises(UserError) as caught:
        load_stage(tmp_path / "nope.toml")
    assert str(caught.value) == (
        f"{tmp_path / 'nope.toml'} does not exist: run `wsdeploy init` to create a wsdeploy.toml "
        "here, or pass --config PATH to use another file"
    )


def test_the_default_path_is_the_nearest_wsdeploy_toml_as_git_finds_dot_git(tmp_path, monkeypatch):
    write_project(tmp_path / "here")
    monkeypatch.chdir(tmp_path / "here")
    assert load_stage().config_path == tmp_path / "here" / "wsdeploy.toml"
    (tmp_path / "here" / "src" / "deep").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "here" / "src" / "deep")
    cfg = load_stage()
    assert cfg.config_path == tmp_path / "here" / "wsdeploy.toml"
    assert cfg.project_dir == tmp_path / "here" and cfg.state_dir == tmp_path / "here" / ".wsdeploy"
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError) as caught:
        load_stage()
    assert str(caught.value).startswith(
        f"wsdeploy.toml is not in {tmp_path} nor in any folder above it: run `wsdeploy init`")


def test_a_timeout_above_the_gateways_limit_is_only_a_warning(tmp_path):
    cfg = load_stage(write_project(tmp_path, app("timeout = 60")))
    assert cfg.timeout == 60
    assert cfg.warnings == (
        "stage dev: timeout is 60 s, but API Gateway waits at most 29 s for a handler: the client "
        "gets an error after 29 s while the function runs on",
    )


def test_an_unnamed_requirements_file_is_a_warning(tmp_path):
    cfg = load_stage(write_project(tmp_path, files={"requirements.txt": "requests\n"}))
    assert cfg.warnings == (
        "requirements.txt exists but wsdeploy.toml does not name it, so its packages are not "
        'deployed; add requirements = "requirements.txt" to [app]',
    )


# -- choosing the stage --------------------------------------------------------------------------
TWO_STAGES = '[app]\nname = "chat"\n{default}\n[stages.dev]\n[stages.prod]\n'


def test_the_only_stage_is_chosen(tmp_path):
    assert load_stage(write_project(tmp_path)).stage == "dev"


def test_default_stage_is_chosen_among_several(tmp_path):
    config = write_project(tmp_path, TWO_STAGES.format(default='default_stage = "prod"'))
    assert load_stage(config).stage == "prod"
    assert load_stage(config, "dev").stage == "dev"


def test_several_stages_and_no_default_is_an_error_listing_them(tmp_path):
    config = write_project(tmp_path, TWO_STAGES.format(default=""))
    with pytest.raises(UserError) as caught:
        load_stage(config)
    assert str(caught.value) == (
        f"{config} defines several stages (dev, prod): name one after the command (e.g. "
        '`wsdeploy up dev`), or set default_stage = "dev" in [app]'
    )


def test_an_unknown_stage_lists_the_stages(tmp_path):
    config = write_project(tmp_path, TWO_STAGES.format(default=""))
    with pytest.raises(UserError) as caught:
        load_stage(config, "prd")
    assert str(caught.value) == f'{config} has no stage "prd" (did you mean "prod"?); its stages: dev, prod'


def test_default_stage_must_be_a_stage(tmp_path):
    assert problems(tmp_path, TWO_STAGES.format(default='default_stage = "staging"')) == [
        'app.default_stage: "staging" is not a stage of this file; stages: dev, prod'
    ]


def test_a_problem_in_another_stage_still_stops_the_run(tmp_path):
    toml = TWO_STAGES.format(default="") + "memory = 5\n"
    config = write_project(tmp_path, toml)
    with pytest.raises(UserError, match="stages.prod.memory: 5 is out of range"):
        load_stage(config, "dev")


# -- through the command line ---------------------------------------------------------------------
def wsdeploy(*args: str, cwd: Path) -> tuple[int, str, str]:
    done = run_cli(*args, cwd=cwd)
    return done.returncode, done.stdout, done.stderr


def test_config_errors_exit_2_with_one_message_and_no_traceback(tmp_path):
    write_project(tmp_path, app("memory = 1"), echo=True)
    code, out, err = wsdeploy("package", cwd=tmp_path)
    assert code == 2
    assert "Traceback" not in err and out == ""
    assert err.strip() == ("error: wsdeploy.toml has 1 problem:\n"
                           "  app.memory: 1 is out of range: Lambda accepts 128 to 10240 MB")


def test_the_config_option_and_the_stage_argument(tmp_path):
    write_project(tmp_path / "elsewhere", TWO_STAGES.format(default=""), echo=True)
    (tmp_path / "elsewhere" / "wsdeploy.toml").rename(tmp_path / "elsewhere" / "other.toml")
    code, out, err = wsdeploy("package", "prod", "--config", "elsewhere/other.toml", cwd=tmp_path)
    assert code == 0, err
    assert "Packaged chat (stage prod) into elsewhere/.wsdeploy/chat-prod-ws.zip" in out
    code, out, err = wsdeploy("package", "--config", "elsewhere/other.toml", cwd=tmp_path)
    assert code == 2 and "defines several stages (dev, prod)" in err


# -- [app.connections] --------------------------------------------------------------------------
def test_connections_are_off_by_default(tmp_path):
    cfg = load_stage(write_project(tmp_path))
    assert cfg.connections.enabled is False
    assert (cfg.connections.ttl_hours, cfg.connections.track) == (2, True)
    assert cfg.connections_table == "chat-dev-ws-connections"


def test_connections_are_set_in_app_and_merged_key_by_key_per_stage(tmp_path):
    toml = app("[app.connections]\nenabled = true\nttl_hours = 3\n",
               "[stages.dev]\n\n[stages.prod]\n[stages.prod.connections]\ntrack = false\n")
    config = write_project(tmp_path, toml)
    dev, prod = load_stage(config, "dev"), load_stage(config, "prod")
    assert (dev.connections.enabled, dev.connections.ttl_hours, dev.connections.track) == (True, 3, True)
    assert (prod.connections.enabled, prod.connections.ttl_hours, prod.connections.track) == (True, 3, False)


def test_a_stage_can_turn_connections_off(tmp_path):
    toml = app("connections = { enabled = true }", "[stages.dev]\nconnections = { enabled = false }\n")
    assert load_stage(write_project(tmp_path, toml)).connections.enabled is False


@pytest.mark.parametrize("setting, message", [
    ('connections = { enabled = "yes" }',
     'app.connections.enabled: must be true or false, not a string ("yes")'),
    ("connections = { ttl_hours = 0 }",
     "app.connections.ttl_hours: must be a number of hours from 1 to 8760, not 0; 2 matches the "
     "gateway's maximum connection life"),
    ("connections = { enabeld = true }",
     'app.connections.enabeld: unknown key (did you mean "enabled"?); valid keys: enabled, ttl_hours, track'),
    ("connections = true",
     "app.connections: must be a table such as { enabled = true }, not a boolean (true)"),
])
def test_connections_settings_are_checked(tmp_path, setting, message):
    assert problems(tmp_path, app(setting)) == [message]


# -- values that only look valid: a trailing newline, control and invisible characters ----------
def test_a_trailing_newline_never_passes_a_pattern(tmp_path):
    """`$` in a pattern matches before a final newline: every pattern must match the whole value."""
    toml = ('[app]\nname = "bx\\n"\nregion = "us-east-1\\n"\n'
            'route_selection = "$request.body.action\\n"\n'
            'environment = { "GOOD\\n" = "x" }\n\n[stages."dev\\n"]\n')
    found = problems(tmp_path, toml)
    assert found == [
        'app.name: "bx\\n" contains \\n, a control or invisible character: remove it',
        'app.region: "us-east-1\\n" contains \\n, a control or invisible character: remove it',
        'app.route_selection: "$request.body.action\\n" contains \\n, a control or invisible '
        'character: remove it',
        "app.environment.GOOD\\n: not a name Lambda accepts: a letter, then at least one letter, "
        "digit or '_'",
        "stages.dev\\n: \"dev\\n\" is not a valid stage name: use letters, digits, '-' and '_', "
        "starting with a letter",
    ]
    assert all("\n" not in line for line in found)  # each problem stays on its own line


@pytest.mark.parametrize("setting", [
    'handler_module = "app\\n"', 'source = ".\\n"', 'exclude = ["*.md\\n"]', 'include = ["\\u0000"]',
    'requirements = "requirements.txt\\r"', 'profile = "default\\t"', 'runtime = "python3.13\\n"',
    'architecture = "arm64\\u200b"', 'route_selection = "${request.body.type}\\n"',
    'region = "eu-west-1\\u202e"', 'default_stage = "dev\\n"',
])
def test_no_string_setting_takes_a_control_or_invisible_character(tmp_path, setting):
    key = setting.split(" = ")[0]
    (problem,) = problems(tmp_path, app(setting), {"requirements.txt": ""})
    assert problem.startswith(f"app.{key}: ") and "a control or invisible character: remove it" in problem


def test_region_digits_are_ascii_digits(tmp_path):
    (problem,) = problems(tmp_path, app('region = "us-east-\u0661"'))
    assert problem.startswith('app.region: "us-east-\u0661" is not an AWS region name')


def test_environment_values_may_span_lines_but_hold_no_other_control_character(tmp_path):
    pem = "-----BEGIN CERTIFICATE-----\\nMIIB\\tx\\r\\n-----END CERTIFICATE-----"
    cfg = load_stage(write_project(tmp_path, app(f'environment = {{ CERT = "{pem}", HI = "\u200d" }}')))
    assert cfg.environment["CERT"].count("\n") == 2
    assert problems(tmp_path, app('environment = { TOKEN = "s3cr\\u0000t", BELL = "\\u0007" }')) == [
        "app.environment.TOKEN: the value contains \\x00, a control character: remove it (tabs "
        "and line breaks are allowed)",
        "app.environment.BELL: the value contains \\x07, a control character: remove it (tabs "
        "and line breaks are allowed)",
    ]


# -- a source folder outside the project -----------------------------------------------------------
def test_a_source_outside_the_config_folder_is_refused_unless_confirmed(tmp_path):
    write_project(tmp_path / "shared", files={"app.py": ""})
    toml = app('source = "../shared"')
    assert problems(tmp_path / "proj", toml) == [
        f'app.source: "../shared" is {tmp_path / "shared"}, outside the folder of wsdeploy.toml '
        f"({tmp_path / 'proj'}), and all of it would be packaged and deployed. If that is meant, "
        "add source_outside = true to [app]"
    ]
    cfg = load_stage(write_project(tmp_path / "proj", app('source = "../shared"\nsource_outside = true')))
    assert cfg.source_dir == tmp_path / "shared"


def test_a_source_that_links_out_of_the_project_is_outside_too(tmp_path):
    write_project(tmp_path / "shared", files={"app.py": ""})
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "src").symlink_to(tmp_path / "shared")
    toml = app(stages='[stages.dev]\n[stages.prod]\nsource = "src"\n')
    (problem,) = problems(tmp_path / "proj", toml)
    assert problem.startswith(f'stages.prod.source: "src" is {tmp_path / "shared"}, outside')
    assert problem.endswith("add source_outside = true to [stages.prod]")


def test_one_outside_source_in_app_is_reported_once_for_all_stages(tmp_path):
    (tmp_path / "shared").mkdir()
    (problem,) = problems(tmp_path / "proj", app('source = "../shared"', "[stages.dev]\n[stages.prod]\n"))
    assert problem.startswith("app.source: ")
    config = write_project(tmp_path / "proj", app('source = "../shared"\nsource_outside = true',
                                                  "[stages.dev]\n[stages.prod]\n"))
    assert load_stage(config, "prod").source_dir == load_stage(config, "dev").source_dir


def test_a_subfolder_and_an_absolute_path_inside_are_fine(tmp_path):
    write_project(tmp_path, app(f'source = "{tmp_path}/src"'), {"src/app.py": ""})
    assert load_stage(tmp_path / "wsdeploy.toml").source_dir == tmp_path / "src"


def test_a_source_that_is_a_link_loop_is_not_found_rather_than_a_crash(tmp_path):
    (tmp_path / "loop").symlink_to("loop")
    assert problems(tmp_path, app('source = "loop"')) == [
        f'app.source: folder "loop" not found (looked for {tmp_path}/loop); it is relative to '
        "wsdeploy.toml"
    ]


@pytest.mark.parametrize("setting, message", [
    ('include = "*.pem"', 'app.include: must be a list of glob strings such as ["tests/**", "*.md"], '
                          'not a string ("*.pem")'),
    ('source_outside = "yes"', 'app.source_outside: must be true or false, not a string ("yes")'),
])
def test_include_and_source_outside_are_checked(tmp_path, setting, message):
    assert problems(tmp_path, app(setting)) == [message]


def test_include_is_read_per_stage(tmp_path):
    config = write_project(tmp_path, app('include = ["ca.pem"]', '[stages.dev]\n[stages.prod]\ninclude = []\n'))
    assert load_stage(config, "dev").include == ("ca.pem",) and load_stage(config, "prod").include == ()


# -- a stage's custom domain --------------------------------------------------------------------
ARN = "arn:aws:acm:eu-west-1:123456789012:certificate/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_a_domain_is_read_and_normalised(tmp_path):
    toml = app(stages=f'[stages.dev]\ndomain = {{ name = "WS.Example.com.", certificate_arn = "{ARN}", '
                      'hosted_zone_id = "/hostedzone/Z0123ABC", base_path = "chat/v1" }\n[stages.prod]\n')
    config = write_project(tmp_path, toml)
    from wsdeploy.config import DomainConfig
    assert load_stage(config, "dev").domain == DomainConfig("ws.example.com", ARN, "Z0123ABC", "chat/v1")
    assert load_stage(config, "prod").domain is None
    assert load_stage(write_project(tmp_path / "b", app(stages='[stages.dev]\ndomain = { name = "a.b" }\n')),
                      ).domain == DomainConfig("a.b")


@pytest.mark.parametrize("domain, message", [
    ('"ws.example.com"', 'stages.dev.domain: must be a table such as { name = "ws.example.com" }, '
                         'not a string ("ws.example.com")'),
    ('{ base_path = "" }', 'stages.dev.domain.name: missing: the name clients connect to, e.g. '
                           'name = "ws.example.com"'),
    ('{ name = "ws.example.com", zone = "Z1" }', 'stages.dev.domain.zone: unknown key; valid keys: name, '
                                                 'certificate_arn, hosted_zone_id, base_path'),
    ('{ name = "localhost" }', 'stages.dev.domain.name: "localhost" is not a DNS name: two or more labels '
                               "joined by dots, each of 1 to 63 letters, digits or '-' (not first or last), "
                               '253 characters in all, e.g. "ws.example.com" (international names in their '
                               'xn-- form)'),
    ('{ name = "-ws.example.com" }', 'stages.dev.domain.name: "-ws.example.com" is not a DNS name'),
    ('{ name = "ws.exa_mple.com" }', 'stages.dev.domain.name: "ws.exa_mple.com" is not a DNS name'),
    ('{ name = "10.0.0.1" }', 'stages.dev.domain.name: "10.0.0.1" is not a DNS name'),
    (f'{{ name = "{"a" * 64}.com" }}', f'stages.dev.domain.name: "{"a" * 64}.com" is not a DNS name'),
    ('{ name = "https://ws.example.com" }', 'stages.dev.domain.name: "https://ws.example.com" is not a DNS name'),
    ('{ name = "*.example.com" }', 'stages.dev.domain.name: "*.example.com" is a wildcard'),
    ('{ name = 7 }', 'stages.dev.domain.name: must be a DNS name such as "ws.example.com", not an integer (7)'),
    ('{ name = "a.b", certificate_arn = "arn:aws:iam::123456789012:server-certificate/x" }',
     'stages.dev.domain.certificate_arn: "arn:aws:iam::123456789012:server-certificate/x" is not an ACM '
     'certificate ARN'),
    ('{ name = "a.b", hosted_zone_id = "example.com" }',
     'stages.dev.domain.hosted_zone_id: "example.com" is not a Route 53 hosted zone id'),
    ('{ name = "a.b", base_path = "/v1" }',
     "stages.dev.domain.base_path: \"/v1\": write the path without a leading or trailing '/', e.g. \"v1\""),
    ('{ name = "a.b", base_path = "a//b" }', 'stages.dev.domain.base_path: "a//b" is not a base path '
                                             'API Gateway accepts'),
    ('{ name = "a.b", base_path = "v 1" }', 'stages.dev.domain.base_path: "v 1" is not a base path'),
    (f'{{ name = "a.b", base_path = "{"v" * 301}" }}', 'stages.dev.domain.base_path: "vvv'),
])
def test_every_domain_mistake_is_named(tmp_path, domain, message):
    found = problems(tmp_path, app(stages=f"[stages.dev]\ndomain = {domain}\n"))
    assert len(found) == 1 and found[0].startswith(message), found


def test_a_domain_belongs_to_a_stage_not_the_app(tmp_path):
    assert problems(tmp_path, app('domain = { name = "ws.example.com" }')) == [
        'app.domain: a domain belongs to one stage: set it in [stages.NAME], e.g. domain = '
        '{ name = "ws.example.com" }']


def test_the_certificate_must_be_in_the_stages_region_set_or_found(tmp_path):
    other = ARN.replace("eu-west-1", "us-east-1")
    assert problems(tmp_path, app('region = "eu-west-1"', f'[stages.dev]\ndomain = {{ name = "a.b", '
                                                          f'certificate_arn = "{other}" }}\n')) == [
        "stages.dev.domain.certificate_arn: the certificate is in us-east-1, but the stage deploys to "
        "eu-west-1: a regional API Gateway domain needs a certificate from ACM in eu-west-1 (request or "
        "import one there, or leave certificate_arn out to let wsdeploy find it)"]
    from wsdeploy.config import check_region
    cfg = load_stage(write_project(tmp_path / "b", app(stages=f'[stages.dev]\ndomain = {{ name = "a.b", '
                                                                f'certificate_arn = "{other}" }}\n')))
    check_region(cfg, "us-east-1")
    with pytest.raises(UserError, match="stages.dev.domain.certificate_arn: the certificate is in us-east-1"):
        check_region(cfg, "eu-west-1")


# -- where the state lives (issue 12) ---------------------------------------------------------------
def test_state_is_local_by_default_and_a_stage_may_keep_it_in_s3(tmp_path):
    config = write_project(tmp_path, app('state = "s3://team-state/chat/"',
                                         '[stages.dev]\nstate = "local"\n[stages.prod]\n'))
    assert load_stage(config, "dev").state == "local"
    assert load_stage(config, "prod").state == "s3://team-state/chat/"
    assert load_stage(write_project(tmp_path / "other")).state == "local"


@pytest.mark.parametrize("value, message", [
    ('"team-state"', '"team-state" is not a state location: write "local"'),
    ('"s3://Team_State/chat"', '"Team_State" is not an S3 bucket name'),
    ('"s3://ab"', '"ab" is not an S3 bucket name'),
    ('"s3://192.168.1.1/x"', '"192.168.1.1" is not an S3 bucket name'),
    ('"s3://team-state/a//b"', 'the prefix "a//b" has an empty, "." or ".." part'),
    ('"s3://team-state/../b"', 'the prefix "../b" has an empty'),
    ("true", 'must be "local" or "s3://bucket/prefix", not bool'),
])
def test_a_bad_state_location_is_refused_saying_what_is_valid(tmp_path, value, message):
    found = problems(tmp_path, app(f"state = {value}"))
    assert len(found) == 1 and found[0].startswith("app.state: ") and message in found[0], found


# -- http_app: the WSGI/ASGI app served beside the WebSocket API (issue 17) -------------------------
def test_http_app_is_read_and_a_stage_may_override_it(tmp_path):
    config = write_project(tmp_path, '[app]\nname = "chat"\nhttp_app = "app:app"\n\n[stages.dev]\n\n'
                                     '[stages.prod]\nhttp_app = "web.main:api"\n')
    assert load_stage(config, "dev").http_app == "app:app"
    assert load_stage(config, "prod").http_app == "web.main:api"


def test_http_app_is_unset_by_default(tmp_path):
    assert load_stage(write_project(tmp_path)).http_app is None


@pytest.mark.parametrize("value", ['"app"', '"app.py:app"', '"app:"', '":app"', '"app:app:x"',
                                   '"app/web:app"', '"app:app "', '"class:app"', '"app:app()"', "1"])
def test_http_app_must_be_module_colon_attribute_whole(tmp_path, value):
    (problem,) = problems(tmp_path, app(f"http_app = {value}"))
    assert problem.startswith("app.http_app: ")
    assert "module:attribute" in problem


def test_http_app_takes_no_control_character(tmp_path):
    (problem,) = problems(tmp_path, app('http_app = "app:app\\n"'))
    assert problem.startswith("app.http_app: ") and "a control or invisible character" in problem
