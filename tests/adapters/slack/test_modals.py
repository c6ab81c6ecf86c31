"""The `/setget buy` and `/setget config` modals through a real slack-bolt app over HTTP:
what each step shows, what is bought or stored, and that an API key is never shown again."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from adapters.secrets import SecretBox
from adapters.slack.blocks import BUY_CONFIRM_VIEW, BUY_VIEW, CONFIG_VIEW
from adapters.storage import SqlLLMSettingsStore, open_database, upgrade_schema
from adapters.storage.tables import workspace_llm
from bot.app import App, build_app
from bot.conversation import llm_settings_store
from bot.settings import Settings
from core.assistant.llm_settings import WorkspaceLLM
from core.plans import Plan
from core.workspaces import Mode, Platform
from tests.adapters.slack.conftest import TEAM, SlackBot, serve
from tests.adapters.slack.fake_slack import FakeSlack
from tests.fakes import FakeClock

SECRET_KEY = "operator-secret-key-for-tests"
API_KEY = "sk-test-Zq8sWf3LrT0pXk2Vb9Nc"


# -- buying a credit pack ------------------------------------------------------------------


def size_values(size: str) -> dict[str, Any]:
    chosen = {"type": "static_select", "selected_option": {"value": size}}
    return {"size": {"value": chosen}}


async def open_buy_modal(bot: SlackBot, *, channel: str = "C0BILLING") -> dict[str, Any]:
    assert await bot.command("buy", user="U0ALICE", channel=channel) == 200
    view: dict[str, Any] = bot.slack.calls_to("views.open")[-1].args["view"]
    assert view["callback_id"] == BUY_VIEW
    return view


async def pick_size(bot: SlackBot, size: str, *, user: str = "U0ALICE") -> dict[str, Any]:
    """Submit the size step of the modal `/setget buy` opened; Slack's reply to it."""
    opened = await open_buy_modal(bot)
    status, text = await bot.submit(
        BUY_VIEW, size_values(size), user=user, private_metadata=opened["private_metadata"]
    )
    assert status == 200
    answer: dict[str, Any] = json.loads(text)
    return answer


def ephemerals(bot: SlackBot) -> list[tuple[str, str, str]]:
    return [
        (c.args["channel"], c.args["user"], c.args["text"])
        for c in bot.slack.calls_to("chat.postEphemeral")
    ]


async def test_an_admin_picks_a_size_confirms_and_the_pack_is_added(bot: SlackBot) -> None:
    answer = await pick_size(bot, "500")

    assert answer["response_action"] == "update"
    confirm = answer["view"]
    assert confirm["callback_id"] == BUY_CONFIRM_VIEW
    assert "Buy a pack of *500 credits* for workspace *acme*?" in json.dumps(confirm)
    assert await bot.remaining() == 500  # nothing is bought before the confirmation

    status, _ = await bot.submit(
        BUY_CONFIRM_VIEW, {}, user="U0ALICE", private_metadata=confirm["private_metadata"]
    )

    assert status == 200
    status_now = await bot.app.pool.status(bot.workspace)
    assert (status_now.balance.remaining, status_now.balance.packs_remaining) == (1000, 500)
    assert ephemerals(bot) == [
        (
            "C0BILLING",
            "U0ALICE",
            ":white_check_mark: Added a pack of 500 credits to acme: 1,000 credits remaining.",
        )
    ]


async def test_a_size_that_is_not_offered_is_refused_in_the_modal(bot: SlackBot) -> None:
    answer = await pick_size(bot, "7")

    assert answer == {
        "response_action": "errors",
        "errors": {"size": "Pick one of the pack sizes."},
    }
    assert await bot.remaining() == 500


async def test_a_member_cannot_buy_with_a_submission_of_their_own(bot: SlackBot) -> None:
    answer = await pick_size(bot, "500", user="U0BOB")

    assert answer == {
        "response_action": "errors",
        "errors": {"size": "Only workspace admins can buy credits."},
    }
    status, text = await bot.submit(
        BUY_CONFIRM_VIEW, {}, user="U0BOB", private_metadata="C0BILLING|500"
    )
    assert (status, text) == (200, "")  # the modal closes; the refusal comes as a message
    assert ephemerals(bot) == [
        ("C0BILLING", "U0BOB", ":no_entry: Only workspace admins can buy credits.")
    ]
    assert await bot.remaining() == 500


async def test_a_confirmation_for_a_size_not_sold_buys_nothing(bot: SlackBot) -> None:
    status, _ = await bot.submit(
        BUY_CONFIRM_VIEW, {}, user="U0ALICE", private_metadata="C0BILLING|7"
    )

    assert status == 200
    assert ephemerals(bot) == [("C0BILLING", "U0ALICE", ":no_entry: No pack of 7 credits is sold.")]
    assert await bot.remaining() == 500


async def test_a_plan_that_lost_packs_meanwhile_buys_nothing_and_says_why(bot: SlackBot) -> None:
    confirm = (await pick_size(bot, "100"))["view"]
    await bot.app.admin.set_plan("acme", Plan.FREE)

    await bot.submit(
        BUY_CONFIRM_VIEW, {}, user="U0ALICE", private_metadata=confirm["private_metadata"]
    )

    ((channel, user, text),) = ephemerals(bot)
    assert (channel, user) == ("C0BILLING", "U0ALICE")
    assert text.startswith(":warning: The purchase did not go through:")
    assert "free" in text
    assert (await bot.app.pool.status(bot.workspace)).balance.packs_remaining == 0


async def test_when_slack_refuses_the_ephemeral_the_receipt_comes_by_dm(bot: SlackBot) -> None:
    confirm = (await pick_size(bot, "100"))["view"]
    bot.slack.fail("chat.postEphemeral", error="channel_not_found")

    await bot.submit(
        BUY_CONFIRM_VIEW, {}, user="U0ALICE", private_metadata=confirm["private_metadata"]
    )

    (dm,) = bot.slack.calls_to("chat.postMessage")
    assert dm.args["channel"] == "DU0ALICE"
    assert dm.args["text"].startswith(":white_check_mark: Added a pack of 100 credits to acme")
    assert await bot.remaining() == 600


# -- a self-hosted workspace's model -------------------------------------------------------


@asynccontextmanager
async def self_hosted_bot(app: App, slack: FakeSlack) -> AsyncIterator[SlackBot]:
    workspace = await app.admin.create("solo", plan=Plan.PRO, mode=Mode.SELF_HOSTED)
    await app.admin.link("solo", Platform.SLACK, TEAM)
    async with serve(app, slack) as url, aiohttp.ClientSession() as http:
        yield SlackBot(app=app, slack=slack, url=url, http=http, workspace=workspace)


@pytest.fixture
async def keyed_app(database_url: str, clock: FakeClock) -> AsyncIterator[App]:
    """The app with SETGET_SECRET_KEY set, so a workspace's API key can be stored."""
    settings = Settings(database_url=database_url, hold_wait_seconds=0.5, secret_key=SECRET_KEY)
    db = open_database(database_url, pool_size=5)
    try:
        await upgrade_schema(db)
        yield build_app(settings, db=db, clock=clock)
    finally:
        await db.dispose()


@pytest.fixture
async def solo(keyed_app: App, slack: FakeSlack) -> AsyncIterator[SlackBot]:
    async with self_hosted_bot(keyed_app, slack) as bot:
        yield bot


def config_values(**fields: str) -> dict[str, Any]:
    """The config modal's state as Slack submits it; `provider` is the select."""
    values: dict[str, Any] = {}
    for block_id, value in fields.items():
        if block_id == "provider":
            values[block_id] = {
                "value": {"type": "static_select", "selected_option": {"value": value}}
            }
        else:
            values[block_id] = {"value": {"type": "plain_text_input", "value": value}}
    return values


async def open_config(bot: SlackBot, *, user: str = "U0ALICE") -> dict[str, Any]:
    assert await bot.command("config", user=user, channel="C0OPS") == 200
    view: dict[str, Any] = bot.slack.calls_to("views.open")[-1].args["view"]
    assert view["callback_id"] == CONFIG_VIEW
    return view


async def save_config(bot: SlackBot, *, user: str = "U0ALICE", **fields: str) -> tuple[int, str]:
    view = await open_config(bot, user=user)
    result: tuple[int, str] = await bot.submit(
        CONFIG_VIEW,
        config_values(**fields),
        user=user,
        private_metadata=view["private_metadata"],
    )
    return result


def element(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    (block,) = [b for b in view["blocks"] if b.get("block_id") == block_id]
    found: dict[str, Any] = block["element"]
    return found


async def stored_ciphertext(app: App) -> str:
    async with app.db.read() as conn:
        value = await conn.scalar(select(workspace_llm.c.api_key_encrypted))
    assert isinstance(value, str)
    return value


async def test_the_model_is_saved_with_the_key_encrypted_and_never_shown_again(
    solo: SlackBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    status, body = await save_config(
        solo,
        provider="openai-compatible",
        model="llama3.1",
        base_url="http://127.0.0.1:11434/v1",
        api_key=API_KEY,
    )

    assert (status, body) == (200, "")
    saved = await llm_settings_store(solo.app).load(solo.workspace.id)
    assert saved is not None
    assert (saved.provider, saved.model, saved.base_url, saved.api_key) == (
        "openai-compatible",
        "llama3.1",
        "http://127.0.0.1:11434/v1",
        API_KEY,
    )
    sealed = await stored_ciphertext(solo.app)
    assert API_KEY not in sealed
    assert ephemerals(solo) == [
        (
            "C0OPS",
            "U0ALICE",
            ":white_check_mark: solo now answers with openai-compatible llama3.1; "
            "the API key is stored encrypted.",
        )
    ]

    again = await open_config(solo)

    assert element(again, "provider")["initial_option"]["value"] == "openai-compatible"
    assert element(again, "model")["initial_value"] == "llama3.1"
    assert element(again, "base_url")["initial_value"] == "http://127.0.0.1:11434/v1"
    assert "initial_value" not in element(again, "api_key")
    assert "A key is stored; leave the field empty to keep it." in json.dumps(again)
    sent = json.dumps([c.args for c in solo.slack.calls], default=str)
    assert API_KEY not in sent
    assert sealed not in sent
    assert API_KEY not in caplog.text  # at DEBUG too (the database driver logs the sealed one)


async def test_azure_settings_reopen_filled_in_and_save_again_with_the_stored_key(
    solo: SlackBot,
) -> None:
    azure = {
        "provider": "azure",
        "base_url": "https://acme.openai.azure.com",
        "azure_deployment": "chat-prod",
        "api_version": "2024-10-21",
    }
    assert await save_config(solo, **azure, api_key=API_KEY) == (200, "")

    again = await open_config(solo)
    assert element(again, "azure_deployment")["initial_value"] == "chat-prod"
    assert element(again, "api_version")["initial_value"] == "2024-10-21"
    assert all(
        b.get("optional", True)
        for b in again["blocks"]
        if b["type"] == "input" and b["block_id"] != "provider"
    )
    assert await save_config(solo, **azure) == (200, "")  # the stored key is kept
    saved = await llm_settings_store(solo.app).load(solo.workspace.id)
    assert saved is not None
    assert (saved.azure_deployment, saved.api_key) == ("chat-prod", API_KEY)


async def test_a_key_is_not_carried_over_to_another_provider(solo: SlackBot) -> None:
    await save_config(solo, provider="openai", model="gpt-4o", api_key=API_KEY)

    status, body = await save_config(solo, provider="anthropic", model="claude-sonnet-4-5")

    assert status == 200
    assert "api_key is required" in body  # the OpenAI key is not sent to Anthropic
    saved = await llm_settings_store(solo.app).load(solo.workspace.id)
    assert saved is not None
    assert (saved.provider, saved.api_key) == ("openai", API_KEY)  # nothing changed


async def test_an_empty_key_field_keeps_the_stored_key(solo: SlackBot) -> None:
    await save_config(solo, provider="openai", model="gpt-4o", api_key=API_KEY)

    status, body = await save_config(solo, provider="openai", model="gpt-4o-mini")

    assert (status, body) == (200, "")
    saved = await llm_settings_store(solo.app).load(solo.workspace.id)
    assert saved is not None
    assert (saved.model, saved.api_key) == ("gpt-4o-mini", API_KEY)


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"provider": "openai", "model": "gpt-4o"}, "api_key", "api_key is required"),
        ({"provider": "openai-compatible", "model": "llama3.1"}, "base_url", "base_url"),
        (
            {"provider": "openai-compatible", "model": "m", "base_url": "ftp://llm.local"},
            "base_url",
            "must start with http:// or https://",
        ),
    ],
)
async def test_incomplete_settings_are_flagged_in_the_modal_and_not_saved(
    solo: SlackBot, fields: dict[str, str], field: str, says: str
) -> None:
    status, body = await save_config(solo, **fields)

    assert status == 200
    answer = json.loads(body)
    assert answer["response_action"] == "errors"
    assert says in answer["errors"][field]
    assert await llm_settings_store(solo.app).load(solo.workspace.id) is None
    assert ephemerals(solo) == []


async def test_a_member_can_neither_open_nor_submit_the_model_settings(solo: SlackBot) -> None:
    assert await solo.command("config", user="U0BOB") == 200
    (refusal,) = solo.slack.calls_to("response_url")
    assert refusal.args["text"] == ":no_entry: `/setget config` is for workspace admins."
    assert solo.slack.calls_to("views.open") == []

    status, body = await solo.submit(
        CONFIG_VIEW,
        config_values(provider="openai", model="gpt-4o", api_key=API_KEY),
        user="U0BOB",
    )

    assert status == 200
    assert json.loads(body)["response_action"] == "errors"
    assert await llm_settings_store(solo.app).load(solo.workspace.id) is None


@pytest.mark.without_suite_secrets  # it checks what an unconfigured deployment says
async def test_without_a_secret_key_the_modal_says_the_key_cannot_be_stored(
    app: App, slack: FakeSlack
) -> None:
    async with self_hosted_bot(app, slack) as bot:
        status, body = await save_config(bot, provider="openai", model="gpt-4o", api_key=API_KEY)

        assert status == 200
        answer = json.loads(body)
        assert answer["response_action"] == "errors"
        assert "SETGET_SECRET_KEY" in answer["errors"]["api_key"]
        assert await llm_settings_store(app).load(bot.workspace.id) is None
        assert API_KEY not in body


async def test_a_key_sealed_under_another_secret_key_can_be_entered_again(
    solo: SlackBot,
) -> None:
    other = SqlLLMSettingsStore(solo.app.db, SecretBox("the-secret-key-of-before"))
    old = WorkspaceLLM(provider="openai", model="gpt-4o", api_key="sk-old-key-0000000000000")
    await other.save(solo.workspace.id, old)

    view = await open_config(solo)

    assert "initial_value" not in element(view, "api_key")
    (warning,) = solo.slack.calls_to("response_url")
    assert warning.args["text"].startswith(":warning: The stored API key cannot be decrypted")
    await solo.submit(
        CONFIG_VIEW,
        config_values(provider="openai", model="gpt-4o", api_key=API_KEY),
        user="U0ALICE",
        private_metadata=view["private_metadata"],
    )
    saved = await llm_settings_store(solo.app).load(solo.workspace.id)
    assert saved is not None
    assert saved.api_key == API_KEY
