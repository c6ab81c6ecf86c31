"""The peer for `bench.discord_pipeline`: a discord.py bot shaped like llmcord, written for
this benchmark. On a mention it shows typing, asks the LLM with the openai SDK (stream=True,
same local fake as ours), replies to the mention with the first text, edits that reply with
the text so far at most every SETGET_DISCORD_STREAM_INTERVAL seconds (as ours does) and
once more with the whole answer when the stream ends. No database, no metering. Same
gateway and REST fake settings as `bench.bare_discord`."""

from __future__ import annotations

import os
import time
import warnings
from typing import Any

from openai import AsyncOpenAI

from bench.bare_discord import serve_client

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
    import discord

STREAMING = " ⚪"  # after the text while the answer is still streaming
SYSTEM = "You are a helpful Discord bot. Answer the user's question."


def peer_client() -> discord.Client:
    intents = discord.Intents.none()
    intents.guilds = intents.guild_messages = intents.message_content = True
    client = discord.Client(intents=intents, guild_ready_timeout=0.05)
    llm = AsyncOpenAI(base_url=os.environ["SETGET_LLM_BASE_URL"], api_key="bench")
    model = os.environ.get("SETGET_LLM_MODEL", "gpt-4o-mini")
    interval = float(os.environ.get("SETGET_DISCORD_STREAM_INTERVAL", "1"))

    @client.event
    async def on_message(message: discord.Message) -> None:
        me = client.user
        if message.author.bot or me is None or me not in message.mentions:
            return
        question = message.content.removeprefix(me.mention).strip()
        messages: Any = [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": question},
        ]
        reply: discord.Message | None = None
        text, last_edit = "", 0.0
        async with message.channel.typing():
            stream = await llm.chat.completions.create(model=model, messages=messages, stream=True)
            async for chunk in stream:
                choice = chunk.choices[0] if chunk.choices else None
                text += (choice.delta.content or "") if choice else ""
                done = choice is not None and choice.finish_reason is not None
                if not text:
                    continue
                embed = discord.Embed(description=text if done else text + STREAMING)
                embed.color = discord.Color.dark_green() if done else discord.Color.orange()
                if reply is None:
                    reply = await message.reply(embed=embed, silent=True)
                    last_edit = time.monotonic()
                elif done or time.monotonic() - last_edit >= interval:
                    await reply.edit(embed=embed)
                    last_edit = time.monotonic()

    return client


def main() -> None:
    serve_client(peer_client(), name="peer")


if __name__ == "__main__":
    main()
