"""`serve discord`'s start-up: a missing or rejected token is one clear error, the REST and
gateway overrides come from the settings, and the bot answers once connected."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from bot.app import App
from bot.discord import discord_shards, serve_discord
from bot.settings import Settings
from core.errors import InvalidInput
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.discord.test_bot_support import COUNT, linked_workspace


def configured(app: App, fake: FakeDiscord, **values: str) -> App:
    settings = Settings.model_validate(
        {
            "database_url": app.settings.database_url,
            "DISCORD_API_URL": fake.api_base,
            "DISCORD_GATEWAY_URL": fake.gateway_url,
            **values,
        }
    )
    return replace(app, settings=settings)


@pytest.mark.without_suite_secrets  # it checks what an unconfigured deployment says
async def test_a_missing_token_is_one_clear_error(app: App, discord_fake: FakeDiscord) -> None:
    with pytest.raises(InvalidInput, match="set DISCORD_BOT_TOKEN"):
        await serve_discord(configured(app, discord_fake))


async def test_a_rejected_token_is_one_clear_error(app: App, discord_fake: FakeDiscord) -> None:
    served = configured(app, discord_fake, DISCORD_BOT_TOKEN="not-the-token")
    with pytest.raises(InvalidInput, match="Discord rejected DISCORD_BOT_TOKEN"):
        await serve_discord(served)


def test_the_shard_setting_is_auto_a_number_or_refused() -> None:
    def shards(value: str) -> object:
        return discord_shards(Settings.model_validate({"discord_shards": value}))

    assert shards("") is None
    assert shards("auto") == "auto"
    assert shards("4") == 4
    with pytest.raises(InvalidInput, match="SETGET_DISCORD_SHARDS"):
        shards("many")


async def test_the_served_bot_answers_a_mention(app: App, discord_fake: FakeDiscord) -> None:
    workspace = await linked_workspace(app, discord_fake)
    served = configured(app, discord_fake, DISCORD_BOT_TOKEN=discord_fake.token)
    ready = asyncio.Event()
    where: list[str] = []

    def on_ready(text: str) -> None:
        where.append(text)
        ready.set()

    serving = asyncio.create_task(serve_discord(served, on_ready=on_ready))
    try:
        async with asyncio.timeout(5):
            await ready.wait()
        event = discord_fake.guild_message(COUNT, mention_bot=True)
        await discord_fake.dispatch("MESSAGE_CREATE", event)
        while not any(
            "\n-# " in (c.json or {}).get("content", "")
            for c in discord_fake.calls_to("edit_message")
        ):
            await discord_fake.wait_for(
                "edit_message", count=len(discord_fake.calls_to("edit_message")) + 1
            )
    finally:
        serving.cancel()
        await asyncio.gather(serving, return_exceptions=True)

    assert [w.split(" as ")[0] for w in where] == ["1 server(s)"]
    assert (await app.pool.status(workspace)).balance.remaining == 499
