"""`/setget config` on Discord: a modal for a self-hosted workspace's model, the key stored
encrypted and never shown again; refused to members."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from pydantic import SecretStr

from bot.app import App
from bot.conversation import llm_settings_store
from bot.settings import Settings
from core.plans import Plan
from core.workspaces import Mode, Platform, Workspace
from tests.adapters.discord.discord_models import EPHEMERAL
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.discord.fake_rest import DiscordCall
from tests.adapters.discord.test_bot_support import DiscordBot, running

API_KEY = "sk-test-Zq8sWf3LrT0pXk2Vb9Nc"


def keyed(app: App) -> App:
    """The app with an operator secret key (stored API keys are encrypted with it)."""
    settings = Settings(
        database_url=app.settings.database_url,
        secret_key=SecretStr("operator-secret-key-for-tests"),
    )
    return replace(app, settings=settings)


async def solo_workspace(app: App, fake: FakeDiscord) -> Workspace:
    workspace = await app.admin.create("solo", plan=Plan.PRO, mode=Mode.SELF_HOSTED)
    await app.admin.link("solo", Platform.DISCORD, fake.guild.id)
    return workspace


@pytest.fixture
async def solo(app: App, discord_fake: FakeDiscord) -> AsyncIterator[DiscordBot]:
    app = keyed(app)
    async with running(app, discord_fake, await solo_workspace(app, discord_fake)) as bot:
        yield bot


async def answer(bot: DiscordBot, payload: dict[str, object]) -> DiscordCall:
    done = len(bot.fake.calls_to("create_interaction_response"))
    await bot.fake.dispatch("INTERACTION_CREATE", payload)
    calls = await bot.fake.wait_for("create_interaction_response", count=done + 1)
    return calls[done]


def inputs(modal: DiscordCall) -> dict[str, str | None]:
    rows = modal.json["data"]["components"]
    return {c["custom_id"]: c.get("value") for row in rows for c in row["components"]}


async def test_the_model_is_saved_with_the_key_encrypted_and_never_shown(solo: DiscordBot) -> None:
    opened = await answer(solo, solo.fake.slash_command("setget config", user="alice"))
    assert opened.json["type"] == 9
    assert opened.json["data"]["custom_id"] == "setget:config"
    assert set(inputs(opened)) == {"provider", "model", "base_url", "api_version", "api_key"}

    fields = {
        "provider": "openai-compatible",
        "model": "llama3.1",
        "base_url": "http://127.0.0.1:11434/v1",
        "api_version": "",
        "api_key": API_KEY,
    }
    saved = await answer(solo, solo.fake.modal_submit("setget:config", fields, user="alice"))
    assert saved.json["data"]["flags"] == EPHEMERAL
    assert saved.json["data"]["content"] == (
        "✅ solo now answers with openai-compatible llama3.1; the API key is stored encrypted."
    )
    stored = await llm_settings_store(solo.app).load(solo.workspace.id)
    assert stored is not None
    assert (stored.model, stored.api_key) == ("llama3.1", API_KEY)

    again = await answer(solo, solo.fake.slash_command("setget config", user="alice"))
    assert inputs(again)["model"] == "llama3.1"
    assert not inputs(again)["api_key"]
    sent = json.dumps([c.json for c in solo.fake.calls], default=str)
    assert API_KEY not in sent  # what alice typed came in by the gateway, never back out


async def test_a_member_is_refused_the_config(solo: DiscordBot) -> None:
    refused = await answer(solo, solo.fake.slash_command("setget config", user="bob"))
    assert refused.json["type"] == 4
    assert refused.json["data"]["flags"] == EPHEMERAL
    assert refused.json["data"]["content"] == "⛔ `/setget config` is for workspace admins."


async def test_a_modal_opened_before_a_restart_is_saved_by_the_next_process(
    app: App, discord_fake: FakeDiscord
) -> None:
    """discord.py keeps a sent modal in its own process only: the submission is read from
    the interaction, so another process (a restart, another replica) saves it."""
    app = keyed(app)
    workspace = await solo_workspace(app, discord_fake)
    async with running(app, discord_fake, workspace) as first:
        opened = await answer(first, discord_fake.slash_command("setget config", user="alice"))
        assert opened.json["type"] == 9
    fields = {"provider": "openai-compatible", "model": "qwen3", "base_url": "http://h:1/v1"}
    async with running(app, discord_fake, workspace) as second:
        saved = await answer(
            second, discord_fake.modal_submit("setget:config", fields, user="alice")
        )

    assert saved.json["data"]["content"] == "✅ solo now answers with openai-compatible qwen3."
    stored = await llm_settings_store(app).load(workspace.id)
    assert stored is not None
    assert (stored.provider, stored.model, stored.base_url) == (
        "openai-compatible",
        "qwen3",
        "http://h:1/v1",
    )
