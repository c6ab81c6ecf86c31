"""`/setget usage` and `/setget balance` say where the pool is heading at the recent pace."""

from __future__ import annotations

from core.chat import Reply
from core.credits.pricing import InteractionType, TokenUsage
from core.plans import Plan
from core.workspaces import Mode, Platform
from tests.chat.conftest import ALICE, BOB, TEAM, Chat

SIX = TokenUsage(24_000, 0)  # 6 credits with the default pricing


async def run(chat: Chat, text: str, *, user: str = ALICE, team: str = TEAM) -> Reply:
    return await chat.layer.commands.run(
        team=team, channel="C1", user=user, text=text, directory=chat.directory
    )


async def spend(chat: Chat, *, days: int, per_day: int) -> None:
    """`per_day` answers of 6 credits on each of `days` days, the last one today."""
    team = chat.team
    for day in range(days):
        if day:
            team.clock.advance(days=1)
        for n in range(per_day):
            key = f"d{day}-{n}"
            await team.pool.reserve(team.workspace, key=key, member=team.alice)
            await team.pool.settle(
                team.workspace, key=key, usage=SIX, interaction_type=InteractionType.DATA_ANALYSIS
            )


async def test_balance_and_usage_say_when_the_pace_runs_the_pool_out(chat: Chat) -> None:
    # The demo workspace: Pro, 500 credits from 31 Jan; renews 28 Feb. 36 a day for 5 days,
    # today 4 Feb: 320 left last 8.9 days more, so the pool is empty during 13 Feb.
    await spend(chat, days=5, per_day=6)
    sentence = (
        "At this pace (about 36 credits a day over the last 5 days) the pool runs out on "
        "13 Feb, 15 days before the renewal on 28 Feb."
    )
    balance = (await run(chat, "balance", user=BOB)).text
    assert "Remaining: **320 credits**" in balance
    assert balance.endswith(sentence)
    usage = (await run(chat, "usage")).text.splitlines()
    assert usage[2] == sentence  # right under remaining, used and renewal


async def test_a_pack_moves_the_run_out_day(chat: Chat) -> None:
    await spend(chat, days=5, per_day=6)
    await chat.team.admin.buy_pack("demo", 500)  # 820 left: 22.8 days at 36 a day
    assert (await run(chat, "balance")).text.endswith(
        "the pool runs out on 27 Feb, 1 day before the renewal on 28 Feb."
    )
    await chat.team.admin.buy_pack("demo", 100)
    assert (await run(chat, "balance")).text.endswith("the pool lasts past the renewal on 28 Feb.")


async def test_before_any_use_and_when_paused_the_forecast_says_so(chat: Chat) -> None:
    assert (await run(chat, "balance")).text.endswith(
        "No AI use yet this cycle, so there is no pace to forecast; credits renew on 28 Feb."
    )
    await spend(chat, days=1, per_day=84)  # 504 credits asked of 500: the pool is empty
    balance = (await run(chat, "balance")).text
    assert balance.endswith("AI is paused until the renewal or a pack purchase.")
    assert "At this pace" not in balance
    assert "The pool is used up" in (await run(chat, "usage")).text


async def test_a_self_hosted_workspace_gets_no_forecast(chat: Chat) -> None:
    await chat.team.admin.create("own", plan=Plan.PRO, mode=Mode.SELF_HOSTED)
    await chat.team.admin.link("own", Platform.SLACK, "T2")
    assert (await run(chat, "balance", team="T2")).text == (
        "**own** is self-hosted: AI use is not limited by credits."
    )
    usage = (await run(chat, "usage", team="T2")).text
    assert "pace" not in usage
    assert "no AI use yet this cycle" in usage
