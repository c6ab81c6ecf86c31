"""Usage alerts from the outbox to Discord through the notifier `bot.discord` wires: to the
guild's alerts channel, by DM to its admins when the channel refuses the bot, retried while
Discord fails."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.discord.alerts import DiscordAlertSender
from bot.app import App
from bot.scheduler import alert_dispatcher, deliver_alerts
from core.credits.delivery import AlertDispatcher, DeliveryReport
from core.credits.outbox import Elsewhere
from core.credits.pricing import InteractionType, TokenUsage
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.discord.fake_rest import DiscordCall
from tests.adapters.discord.test_bot_support import DiscordBot, linked_workspace, running

MONTHLY = 20  # small, so a few charges cross 75, 90 and 100 %


@pytest.fixture
async def small(app: App, discord_fake: FakeDiscord) -> AsyncIterator[DiscordBot]:
    workspace = await linked_workspace(app, discord_fake, allocation=MONTHLY)
    async with running(app, discord_fake, workspace) as connected:
        yield connected


async def charge(bot: DiscordBot, credits: int, key: str) -> None:
    pool = bot.app.pool
    await pool.reserve(bot.workspace, key=key, member=None)
    usage = TokenUsage(4000 * credits, 0)
    await pool.settle(
        bot.workspace, key=key, usage=usage, interaction_type=InteractionType.DATA_ANALYSIS
    )


def sent(bot: DiscordBot) -> list[DiscordCall]:
    return [c for c in bot.fake.calls_to("send_message") if not c.failed]


async def test_an_alert_reaches_the_channel_then_the_admins_by_dm(small: DiscordBot) -> None:
    bot, general = small, small.fake.guild.channel("general")
    dispatcher: AlertDispatcher = alert_dispatcher(bot.app, bot.runtime.notifier)
    payload = bot.fake.slash_command("setget alerts-channel", user="alice")
    await bot.fake.dispatch("INTERACTION_CREATE", payload)
    await bot.fake.wait_for("send_followup")
    for n, credits in enumerate((6, 6, 3)):  # 15 of 20: 75 %
        await charge(bot, credits, f"ev-{n}")
    bot.fake.fail("send_message", status=503)

    assert await deliver_alerts(dispatcher) == DeliveryReport(retried=1)
    bot.app.clock.advance(seconds=31)  # type: ignore[attr-defined]  # past the backoff
    assert await deliver_alerts(dispatcher) == DeliveryReport(delivered=1)
    [alert] = sent(bot)
    assert alert.params["channel_id"] == general.id
    assert "75% of monthly AI credits used" in alert.json["embeds"][0]["title"]
    assert alert.json["allowed_mentions"] == {"parse": []}

    await charge(bot, 3, "ev-4")  # 18 of 20: 90 %
    bot.fake.fail("send_message", status=403, code=50001, message="Missing Access")
    assert await deliver_alerts(dispatcher) == DeliveryReport(delivered=1)
    olivia = bot.fake.user("olivia")  # the owner; alice is not in the member cache
    dm = bot.fake.world.dm_channel(olivia).id
    assert [c.params["channel_id"] for c in sent(bot)] == [general.id, dm]
    assert "90%" in sent(bot)[-1].json["embeds"][0]["title"]


class _ShardClient:
    """What the sender reads of a client that runs shard 1 of 2 and sees no guild."""

    shard_ids = (1,)
    shard_count = 2

    def get_guild(self, _guild: int) -> None:
        return None


async def test_a_guild_on_a_shard_another_process_runs_is_left_to_that_process() -> None:
    sender = DiscordAlertSender(client=_ShardClient())  # type: ignore[arg-type]
    on_shard_0, on_shard_1 = 0 << 22, 1 << 22  # Discord: (id >> 22) % shards
    with pytest.raises(Elsewhere, match="another process"):
        await sender.directory(str(on_shard_0))
    assert await sender.directory(str(on_shard_1)) is None  # ours, and the bot is not in it
