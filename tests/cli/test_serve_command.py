"""`setget-bot serve slack`: bad options and missing Slack settings are one clear line."""

from __future__ import annotations

import pytest

from tests.cli.conftest import Cli

SLACK_ENV = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
)


@pytest.fixture(autouse=True)
def no_slack_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SLACK_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("options", [(), ("--http", "--socket")])
def test_exactly_one_of_http_or_socket(cli: Cli, options: tuple[str, ...]) -> None:
    assert cli.error("serve", "slack", *options) == "error: choose one of --http or --socket"


def test_a_bad_port_is_refused(cli: Cli) -> None:
    assert "--port must be between 1 and 65535" in cli.error(
        "serve", "slack", "--http", "--port", "70000"
    )


def test_http_without_slack_settings_names_every_missing_one(cli: Cli) -> None:
    assert cli.error("serve", "slack", "--http") == (
        "error: Slack is not configured: set SLACK_BOT_TOKEN (or SLACK_CLIENT_ID and "
        "SLACK_CLIENT_SECRET for OAuth), SLACK_SIGNING_SECRET"
    )


def test_socket_mode_needs_the_app_token(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    assert cli.error("serve", "slack", "--socket") == (
        "error: Slack is not configured: set SLACK_APP_TOKEN (Socket Mode)"
    )
