"""The suite's secrets check (tests/conftest.py) is real: the suite runs with recognisable
secrets in its environment, and a log record that shows one fails the session, naming the
test; a test that sets its own fake token keeps it."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from tests import conftest
from tests.conftest import SUITE_SECRETS, WATCH, SecretWatch

ROOT = Path(__file__).resolve().parents[2]


def test_every_test_runs_with_the_recognisable_secrets() -> None:
    for name, value in SUITE_SECRETS.items():
        assert os.environ[name] == value


def test_a_test_that_sets_its_own_token_keeps_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-my-own")
    assert os.environ["SLACK_BOT_TOKEN"] == "xoxb-my-own"


@pytest.mark.without_suite_secrets
def test_a_marked_test_sees_no_secrets() -> None:
    assert not set(SUITE_SECRETS) & set(os.environ)


def test_the_session_handler_hears_a_secret_in_a_message_an_exception_or_an_extra(
    request: pytest.FixtureRequest,
) -> None:
    assert WATCH in logging.getLogger().handlers
    log = logging.getLogger("adapters.somewhere")
    before = len(WATCH.sightings)
    token = os.environ["SLACK_BOT_TOKEN"]
    try:
        log.debug("calling Slack with %s", token)  # our loggers are heard at DEBUG
        try:
            raise RuntimeError(f"401 for Authorization: Bearer {os.environ['SETGET_LLM_API_KEY']}")
        except RuntimeError:
            log.warning("the provider failed", exc_info=True)
        log.warning("sent", extra={"headers": {"x-api-key": os.environ["ANTHROPIC_API_KEY"]}})
        log.warning("nothing secret here: xoxb-***")
        found = WATCH.sightings[before:]
    finally:
        del WATCH.sightings[before:]  # planted on purpose: the session must not fail for them
    assert [(s.test, s.secret, s.where) for s in found] == [
        (request.node.nodeid, "SLACK_BOT_TOKEN", "message"),
        (request.node.nodeid, "SETGET_LLM_API_KEY", "exception"),
        (request.node.nodeid, "ANTHROPIC_API_KEY", "extra field headers"),
    ]


def test_a_partial_secret_is_caught_and_a_masked_one_is_not() -> None:
    watch = SecretWatch({"DISCORD_BOT_TOKEN": "suite-discordtoken-ABCDEFGHIJKLMNOP"})
    log = logging.getLogger("tests.ops.partial")
    log.addHandler(watch)
    try:
        log.error("token ABCDEFGHIJKLMNOP rejected")  # the prefix cut off: still the secret
        log.error("token ***…MNOP rejected")  # a masked tail is fine
    finally:
        log.removeHandler(watch)
    assert [s.where for s in watch.sightings] == ["message"]


LEAKING_TEST = """
import logging, os

def test_quiet():
    logging.getLogger("bot.fine").warning("nothing to see")

def test_leaks_the_token():
    logging.getLogger("bot.leaky").info("token=%s", os.environ["DISCORD_BOT_TOKEN"])
"""


@pytest.mark.parametrize("leak", [True, False])
def test_a_session_that_logs_a_secret_fails_and_names_the_test(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, leak: bool
) -> None:
    pytester.makeconftest(Path(conftest.__file__).read_text())  # the suite's own check
    pytester.makepyfile(
        test_planted=LEAKING_TEST if leak else LEAKING_TEST.split("def test_leaks", maxsplit=1)[0]
    )
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    if leak:
        assert result.ret == pytest.ExitCode.TESTS_FAILED
        result.stdout.fnmatch_lines(
            [
                "*secrets in log records*",
                "test_planted.py::test_leaks_the_token: INFO record of logger 'bot.leaky' "
                "shows DISCORD_BOT_TOKEN (message)",
            ]
        )
        result.assert_outcomes(passed=2)  # every test passed; the session still fails
    else:
        assert result.ret == pytest.ExitCode.OK
        assert "secrets in log records" not in result.stdout.str()
