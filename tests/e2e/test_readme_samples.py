"""The README's samples and figures against what the installed commands print today: the
chat example's `up`, `init --from-zappa` on the settings it shows, the echo zip's size."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from tests.support.aws_server import aws_server, moto_server
from tests.support.cli_user import run_wsdeploy
from tests.support.readme import README, block_after

__all__ = ["aws_server", "moto_server"]   # fixtures, imported for pytest

REPO = Path(__file__).resolve().parents[2]
UP_SAMPLE = "<!-- the sample below is checked against a real run by tests/e2e/test_readme_samples.py -->"
ZAPPA_SAMPLE = "<!-- the settings and the output below are replayed by tests/e2e/test_readme_samples.py -->"
PACKAGE_HASH = re.compile(r"package \S+…")


def test_the_chat_examples_up_sample_is_what_up_prints(aws_server, tmp_path):
    sample = block_after(UP_SAMPLE).splitlines()
    assert sample[0] == "$ wsdeploy up"
    project = tmp_path / "chat"
    shutil.copytree(REPO / "examples" / "chat", project, ignore=shutil.ignore_patterns(".wsdeploy", "__pycache__"))
    done = run_wsdeploy("up", cwd=project, env=aws_server.env())
    assert done.returncode == 0, done.stderr
    printed = [PACKAGE_HASH.sub("package …", line) for line in done.stderr.splitlines()]
    shown = [PACKAGE_HASH.sub("package …", line) for line in sample[1:-1] if line.strip() != "..."]
    missing = [line for line in shown if line not in printed]
    assert not missing, f"README lines that `up` does not print:\n{missing}\nit printed:\n{done.stderr}"
    assert [printed.index(line) for line in shown] == sorted(printed.index(line) for line in shown)
    url = done.stdout.strip()
    assert re.fullmatch(r"URL  wss://\w+\.execute-api\.eu-west-1\.amazonaws\.com/dev", sample[-1])
    assert re.fullmatch(r"wss://\w+\.execute-api\.eu-west-1\.amazonaws\.com/dev", url)


def test_init_from_zappa_prints_what_the_readme_shows(tmp_path):
    settings = re.search(r"```json\n(.*?)```", README.read_text().split(ZAPPA_SAMPLE, 1)[1], re.S).group(1)
    output = block_after(ZAPPA_SAMPLE + "\n```json\n" + settings + "```").splitlines()
    assert output[0] == "$ wsdeploy init --from-zappa"
    folder = tmp_path / "chat-room"
    folder.mkdir()
    (folder / "zappa_settings.json").write_text(json.dumps(json.loads(settings)))
    (folder / "app.py").write_text("from zappa.websocket import ZappaWebSocketServer, send_message\n")
    done = run_wsdeploy("init", "--from-zappa", cwd=folder, env=None)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == output[1:-1]
    assert done.stdout.splitlines()[0] == output[-1].replace("/home/me/chat-room", str(folder))


def test_the_echo_zip_is_as_big_as_the_readme_says(tmp_path):
    said = float(re.search(r"the echo app's zip is about ([\d.]+) KB", README.read_text()).group(1))
    done = run_wsdeploy("package", "-o", str(tmp_path / "echo.zip"), cwd=REPO / "examples" / "echo")
    assert done.returncode == 0, done.stderr
    size_kb = (tmp_path / "echo.zip").stat().st_size / 1024
    assert abs(size_kb - said) <= 1, f"the README says about {said} KB; it is {size_kb:.1f} KB"
