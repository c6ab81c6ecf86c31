"""Log lines of a serving process: the human format by default, one JSON object a line with
`SETGET_LOG_FORMAT=json`, each with its request id, and no secret of the settings in any."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot import logs
from bot.settings import Settings, load_settings
from core.chat.observe import request_scope
from core.errors import SetGetError

TOKEN = "xoxb-1234567890-recognisable"


@pytest.fixture
def written() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    logger = logging.getLogger("tests.ops.logs")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    stream = io.StringIO()
    yield logger, stream
    logger.handlers.clear()
    logger.propagate = True


def test_json_lines_carry_the_request_id_and_no_secret(
    written: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = written
    logger.addHandler(logs.handler(log_format="json", secrets=[TOKEN], stream=stream))
    logger.info("outside any request")
    with request_scope() as rid:
        logger.warning("slack said no to %s", TOKEN, extra={"team": "T0001"})
        try:
            raise RuntimeError(f"token {TOKEN} refused")
        except RuntimeError:
            logger.exception("a handler failed")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 3  # the traceback stays inside its line
    first, second, third = (json.loads(line) for line in lines)
    assert first["request_id"] == "-"
    assert second["request_id"] == third["request_id"] == rid
    assert second["message"] == "slack said no to [secret]"
    assert second["team"] == "T0001"
    assert (second["level"], second["logger"]) == ("WARNING", "tests.ops.logs")
    assert second["time"].endswith("+00:00")
    assert "RuntimeError" in third["exc_info"]
    assert TOKEN not in stream.getvalue()


def test_the_human_format_stays_the_default(written: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = written
    logger.addHandler(logs.handler(secrets=[TOKEN], stream=stream))
    logger.warning("token %s", TOKEN)
    assert stream.getvalue() == "WARNING tests.ops.logs: token [secret]\n"


def test_every_secret_setting_is_scrubbed() -> None:
    values = {
        "llm_api_key": "sk-abcdef123456",
        "secret_key": "box-key-abcdef",
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": "signing-abcdef",
        "SLACK_APP_TOKEN": "xapp-abcdef",
        "SLACK_CLIENT_SECRET": "client-abcdef",
        "DISCORD_BOT_TOKEN": "discord-abcdef",
    }
    settings = Settings.model_validate(values)
    assert sorted(logs.secrets_of(settings)) == sorted(values.values())


def test_a_log_format_that_is_neither_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SETGET_LOG_FORMAT", "xml")
    with pytest.raises(SetGetError, match="SETGET_LOG_FORMAT"):
        load_settings()


def test_setup_leaves_a_root_logger_someone_else_configured_alone() -> None:
    root = logging.getLogger()
    foreign = logging.NullHandler()
    root.addHandler(foreign)
    try:
        before = list(root.handlers)
        logs.setup(log_format="json")
        assert root.handlers == before
    finally:
        root.removeHandler(foreign)
