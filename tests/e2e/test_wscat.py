"""wscat (npm, installed by `make setup` and `make test`) drives examples/echo through the
README's first session, as the alternative client it names."""

from __future__ import annotations

import shutil
from collections import Counter

import pytest

from tests.support.emulator_cli import REPO, WSCAT, DevProcess, run_wscat
from tests.support.readme import first_session


def readme_session() -> tuple[list[str], list[str]]:
    """The README's first session: the lines typed after "> " and those received after "< "."""
    _, sent, received = first_session()
    return sent, received


@pytest.fixture
def echo(tmp_path):
    assert WSCAT.exists(), f"{WSCAT} is missing: run `make setup` (it installs wscat from npm)"
    folder = tmp_path / "echo"
    shutil.copytree(REPO / "examples" / "echo", folder, ignore=shutil.ignore_patterns("__pycache__"))
    with DevProcess(folder) as dev:
        yield dev


def test_the_readme_session_covers_echo_ping_and_an_unknown_action():
    sent, received = readme_session()
    assert sent == ['{"action": "echo", "data": "hello"}', '{"action": "ping"}',
                    '{"action": "dance"}']
    assert received[0] == '{"type":"echo","data":"hello"}'  # send_message's compact JSON


def test_wscat_replays_the_readme_session(echo):
    sent, received = readme_session()
    result = run_wscat(echo.url, *sent)
    assert result.returncode == 0, result.stderr
    # Like Lambda, the emulator handles one connection's messages side by side, so replies may
    # come back in another order than the messages went out.
    assert Counter(result.stdout.splitlines()) == Counter(received)


def test_wscat_one_message_at_a_time_gets_each_answer(echo):
    sent, received = readme_session()
    for message, reply in zip(sent, received):
        result = run_wscat(echo.url, message)
        assert result.stdout.splitlines() == [reply]


def test_wscat_is_refused_on_another_stage(echo):
    result = run_wscat(echo.url.rsplit("/", 1)[0] + "/prod", '{"action": "ping"}')
    assert result.returncode != 0 and result.stdout == ""
    # wscat says so on stderr, terminal or not, as it does against the real gateway
    assert "Unexpected server response: 403" in result.stderr
