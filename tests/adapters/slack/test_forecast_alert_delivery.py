"""The forecast alert reaches Slack like any usage alert: recorded by the scheduler's job,
delivered by the notifier `bot.slack` wires, with the day the pool runs out."""

from __future__ import annotations

from bot.scheduler import forecast_alerts, record_forecast_alerts
from core.credits.delivery import DeliveryReport
from tests.adapters.slack.test_alert_delivery import Deployment, deployment  # noqa: F401


async def test_the_forecast_alert_reaches_the_alerts_channel_once(
    deployment: Deployment,  # noqa: F811
) -> None:
    await deployment.alerts_channel("C0ALERTS")
    await deployment.charge(6)  # 31 Jan
    deployment.clock.advance(days=1)
    await deployment.charge(6)  # 1 Feb: 6 a day, 8 of 20 left
    checks = forecast_alerts(deployment.bot.app)
    assert await record_forecast_alerts(checks) == 1
    assert await record_forecast_alerts(checks) == 0

    assert await deployment.deliver() == DeliveryReport(delivered=1)
    (alert,) = deployment.sent()
    assert alert.args["channel"] == "C0ALERTS"
    assert alert.args["text"] == (
        "acme: AI credits on course to run out on 3 Feb: At this pace (about 6 credits a day "
        "over the last 2 days) the pool runs out on 3 Feb, 25 days before the renewal on 28 Feb. "
        "To keep AI answering until then, an admin can buy a credit pack."
    )
    assert "AI credits on course to run out on 3 Feb" in str(alert.args["blocks"])
    assert await deployment.deliver() == DeliveryReport()
