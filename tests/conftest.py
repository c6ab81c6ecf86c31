"""Shared fixtures: fake clock, and the app on a fresh SQLite or PostgreSQL database; and the
suite's secrets check.

Every test runs with recognisable API keys, bot tokens and the secret key in its environment
(`SUITE_SECRETS`; a test's own `monkeypatch.setenv` still wins), and a logging handler on the
root logger for the whole session records any log record that shows one of them in its
message, arguments, extra fields or exception text. The session fails at its end, naming the
test and logger of each such record. Our own loggers (`core`, `adapters`, `bot`) are heard at
DEBUG, third-party ones at the root logger's level.

A test that must see a deployment with nothing configured is marked
`@pytest.mark.without_suite_secrets`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.storage import open_database, upgrade_schema
from bot.app import App, build_app
from bot.settings import Settings
from tests.databases import ENGINES, fresh_database
from tests.fakes import FakeClock

pytest_plugins = ("pytester",)

# Recognisable on sight, each with a part found nowhere else (what the check looks for).
SUITE_SECRETS: dict[str, str] = {
    "SETGET_LLM_API_KEY": "sk-suite-llmkey-Q7dV2mZ9xK4pL1sN",
    "SETGET_SECRET_KEY": "suite-secretkey-R3tY8wB5nH6jC0fG",
    "SLACK_BOT_TOKEN": "xoxb-suite-bottoken-T5kM1qW8zX3vB7nJ",
    "SLACK_SIGNING_SECRET": "suite-signingsecret-U9pL4rE2yA6sD1hK",
    "SLACK_APP_TOKEN": "xapp-1-suite-apptoken-V2cN7bM5xZ8qW3eR",
    "SLACK_CLIENT_SECRET": "suite-clientsecret-W6gH3jK9lP1oI4uY",
    "DISCORD_BOT_TOKEN": "suite-discordtoken-X1zA5sD8fG2hJ7kL.Mq3Nw9",
    # What the provider SDKs would read if the bot ever let them pick a key themselves.
    "OPENAI_API_KEY": "sk-suite-openaikey-Y4bV8nM2cX6zL0qP",
    "AZURE_OPENAI_API_KEY": "suite-azurekey-Z7mN1bV5cX9zA3sD",
    "ANTHROPIC_API_KEY": "sk-ant-suite-anthropickey-A2sD6fG0hJ4kL8qW",
}
OUR_LOGGERS = ("core", "adapters", "bot")
WITHOUT_SECRETS = "without_suite_secrets"
# Tests (node id prefixes) written to see an unconfigured deployment, until they carry the
# marker themselves.
_STANDARD_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def core_of(secret: str) -> str:
    """The distinctive part of a suite secret: found, the secret (or most of it) leaked."""
    return secret.rsplit("-", 1)[-1]


@dataclass(frozen=True)
class Sighting:
    test: str
    logger: str
    level: str
    secret: str  # the environment variable whose value showed
    where: str  # message, exception, extra field NAME


class SecretWatch(logging.Handler):
    """Records every log record that shows one of `secrets` (name -> value)."""

    def __init__(self, secrets: dict[str, str]) -> None:
        super().__init__(level=logging.NOTSET)
        self.secrets = {name: core_of(value) for name, value in secrets.items()}
        self.sightings: list[Sighting] = []
        self.test = "(outside any test)"

    def emit(self, record: logging.LogRecord) -> None:
        for where, text in self._texts(record):
            for name, core in self.secrets.items():
                if core in text:
                    self.sightings.append(
                        Sighting(self.test, record.name, record.levelname, name, where)
                    )

    def _texts(self, record: logging.LogRecord) -> Iterator[tuple[str, str]]:
        try:
            yield "message", record.getMessage()
        except Exception:  # a bad format string: the raw parts, then
            yield "message", f"{record.msg} {record.args}"
        if record.exc_info:
            yield "exception", logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            yield "exception", record.exc_text
        if record.stack_info:
            yield "stack", record.stack_info
        for key, value in vars(record).items():
            if key not in _STANDARD_RECORD_FIELDS:
                yield f"extra field {key}", repr(value)

    def report(self) -> list[str]:
        return [
            f"{s.test}: {s.level} record of logger {s.logger!r} shows {s.secret} ({s.where})"
            for s in self.sightings
        ]


WATCH = SecretWatch(SUITE_SECRETS)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{WITHOUT_SECRETS}: run without the suite's default secrets in the env"
    )
    logging.getLogger().addHandler(WATCH)
    for name in OUR_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logstart(nodeid: str, location: tuple[str, int | None, str]) -> None:
    WATCH.test = nodeid


def pytest_runtest_logfinish(nodeid: str, location: tuple[str, int | None, str]) -> None:
    WATCH.test = f"(after {nodeid})"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    found = WATCH.report()
    if found:
        terminalreporter.section("secrets in log records", sep="!", red=True, bold=True)
        for line in found:
            terminalreporter.line(line, red=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    logging.getLogger().removeHandler(WATCH)
    if WATCH.report() and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def suite_secrets(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The recognisable secrets in the environment (none for `without_suite_secrets`)."""
    unconfigured = request.node.get_closest_marker(WITHOUT_SECRETS) is not None
    for name, value in SUITE_SECRETS.items():
        if unconfigured:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)


@pytest.fixture(autouse=True)
def user_data_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """No test reads or writes the real user data folder (default database, console history)."""
    home = tmp_path_factory.mktemp("xdg-data")
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    return home


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 1, 31, 9, 0, tzinfo=UTC))


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def database_url(engine: str, tmp_path: Path) -> AsyncIterator[str]:
    async with fresh_database(engine, tmp_path) as url:
        yield url


@pytest.fixture
async def app(database_url: str, clock: FakeClock) -> AsyncIterator[App]:
    """The whole app on an upgraded, empty database, with a fake clock."""
    settings = Settings(database_url=database_url, hold_wait_seconds=0.5)
    db = open_database(database_url, pool_size=5)
    try:
        await upgrade_schema(db)
        yield build_app(settings, db=db, clock=clock)
    finally:
        await db.dispose()
