"""Logging of the bot's processes: the human format (the default) or one JSON object a line
(`SETGET_LOG_FORMAT=json`), each record with the request id of the answer, command or button
it was written for, and never a secret of the settings in it (scrubbed as a last resort;
the code logs none on purpose).

JSON lines hold `time` (UTC, ISO 8601), `level`, `logger`, `message`, `request_id`, any
`extra=` fields, and `exc_info` (the traceback as one string) when there is one.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from bot.settings import Settings

HUMAN = "%(levelname)s %(name)s: %(message)s"
MIN_SECRET = 6  # shorter values would scrub ordinary words
SCRUBBED = "[secret]"


class RequestIdFilter(logging.Filter):
    """Puts the current request id (`-` outside any) on every record. The chat layer holds
    it; before the layer is loaded no request can be running, and loading it just for a log
    line would slow every command's start."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            observe = sys.modules.get("core.chat.observe")
            record.request_id = str(observe.request_id()) if observe is not None else "-"
        return True


class Scrubbing(logging.Formatter):
    """Another formatter's output with every secret value replaced."""

    def __init__(self, inner: logging.Formatter, secrets: Iterable[str]) -> None:
        super().__init__()
        self._inner = inner
        self._secrets = sorted({s for s in secrets if len(s) >= MIN_SECRET}, key=len)[::-1]

    def format(self, record: logging.LogRecord) -> str:
        text = self._inner.format(record)
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, SCRUBBED)
        return text


class _OurHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler `setup` installs (and replaces when called again)."""


def setup(
    *, log_format: str = "human", level: str = "warning", secrets: Iterable[str] = ()
) -> None:
    """One handler on the root logger, to stderr, replacing an earlier one of ours. Like
    `logging.basicConfig`, it leaves a root logger that someone else configured alone (a
    test runner's capture, an embedding program)."""
    root = logging.getLogger()
    ours = [h for h in root.handlers if isinstance(h, _OurHandler)]
    if len(ours) != len(root.handlers):
        return
    for old in ours:
        root.removeHandler(old)
    root.addHandler(handler(log_format=log_format, secrets=secrets))
    root.setLevel(level.upper())
    # the scheduler says "Running job ..." at INFO for every run of every job
    logging.getLogger("apscheduler").setLevel(max(root.level, logging.WARNING))
    if root.level <= logging.DEBUG:
        logging.getLogger("apscheduler").setLevel(logging.DEBUG)


def handler(
    *, log_format: str = "human", secrets: Iterable[str] = (), stream: TextIO | None = None
) -> logging.Handler:
    """A handler writing `log_format` records with request ids and no secrets."""
    made = _OurHandler(stream or sys.stderr)
    made.addFilter(RequestIdFilter())
    made.setFormatter(Scrubbing(_formatter(log_format), secrets))
    return made


def setup_from(settings: Settings) -> None:
    """What a serving process logs, and how, from its settings."""
    setup(log_format=settings.log_format, level=settings.log_level, secrets=secrets_of(settings))


def secrets_of(settings: Settings) -> list[str]:
    values = (
        settings.llm_api_key,
        settings.secret_key,
        settings.slack_bot_token,
        settings.slack_signing_secret,
        settings.slack_app_token,
        settings.slack_client_secret,
        settings.discord_bot_token,
    )
    return [value.get_secret_value() for value in values if value is not None]


def _formatter(log_format: str) -> logging.Formatter:
    if log_format != "json":
        return logging.Formatter(HUMAN)
    from pythonjsonlogger.json import JsonFormatter

    return JsonFormatter(
        "{levelname}{name}{message}{request_id}",
        style="{",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
    )
