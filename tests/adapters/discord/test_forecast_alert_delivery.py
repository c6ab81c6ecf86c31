"""The forecast alert reaches Discord like any usage alert: recorded by the scheduler's job,
delivered as an embed by the notifier `bot.discord` wires."""

from __future__ import annotations

from bot.scheduler import alert_dispatcher, deliver_alerts, forecast_alerts, record_forecast_alerts
from core.credits.delivery import DeliveryReport
from tests.adapters.discord.test_bot_alerts import charge, sent, small  # noqa: F401
from tests.adapters.discord.test_bot_support import DiscordBot


async def test_the_forecast_alert_reaches_the_alerts_channel_as_an_embed(
    small: DiscordBot,  # noqa: F811
) -> None:
    bot, general = small, small.fake.guild.channel("general")
    payload = bot.fake.slash_command("setget alerts-channel", user="alice")
    await bot.fake.dispatch("INTERACTION_CREATE", payload)
    await bot.fake.wait_for("send_followup")
    await charge(bot, 6, "ev-1")  # 31 Jan
    bot.app.clock.advance(days=1)  # type: ignore[attr-defined]
    await charge(bot, 6, "ev-2")  # 1 Feb: 6 a day, 8 of 20 left
    assert await record_forecast_alerts(forecast_alerts(bot.app)) == 1

    dispatcher = alert_dispatcher(bot.app, bot.runtime.notifier)
    assert await deliver_alerts(dispatcher) == DeliveryReport(delivered=1)
    [alert] = sent(bot)
    assert alert.params["channel_id"] == general.id
    (embed,) = alert.json["embeds"]
    assert "AI credits on course to run out on 3 Feb" in embed["title"]
    assert embed["description"].startswith(
        "At this pace (about 6 credits a day over the last 2 days) the pool runs out on 3 Feb"
    )
    assert await deliver_alerts(dispatcher) == DeliveryReport()
