"""The baseline for `bench.discord_pipeline`: a bare discord.py bot that answers each mention
with one message replying to it, on the same gateway and REST fake as the SetGet bot
(DISCORD_BOT_TOKEN, DISCORD_API_URL, DISCORD_GATEWAY_URL)."""

from __future__ import annotations

import asyncio
import os
import warnings

import yarl

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    import discord
    from discord.gateway import DiscordWebSocket
    from discord.http import Route

ANSWER = "Hello from the bare bot."


def bare_client() -> discord.Client:
    intents = discord.Intents.none()
    intents.guilds = intents.guild_messages = intents.message_content = True
    client = discord.Client(intents=intents, guild_ready_timeout=0.05)

    @client.event
    async def on_message(message: discord.Message) -> None:
        me = client.user
        if message.author.bot or me is None or me not in message.mentions:
            return
        await message.reply(ANSWER, mention_author=False)

    return client


def serve_client(client: discord.Client, *, name: str) -> None:
    """Run `client` against DISCORD_API_URL / DISCORD_GATEWAY_URL with DISCORD_BOT_TOKEN,
    printing "`name` bot ready" once connected (what the benchmark waits for)."""

    @client.event
    async def on_ready() -> None:
        print(f"{name} bot ready in {len(client.guilds)} server(s)", flush=True)

    async def serve() -> None:
        Route.BASE = os.environ["DISCORD_API_URL"].rstrip("/")
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["DISCORD_GATEWAY_URL"])
        async with client:
            await client.start(os.environ["DISCORD_BOT_TOKEN"])

    asyncio.run(serve())


def main() -> None:
    serve_client(bare_client(), name="bare")


if __name__ == "__main__":
    main()
