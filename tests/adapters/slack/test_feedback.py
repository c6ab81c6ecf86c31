"""Feedback buttons on answers through a real slack-bolt app: a click is recorded once per
person, free, refused for an answer of another workspace, and shown in `/setget audit`, the
audit file and the admin's `/setget usage`."""

from __future__ import annotations

import json

from adapters.slack.blocks import FEEDBACK, answer_blocks
from adapters.storage import SqlAuditLog, SqlFeedbackStore, SqlThreadStore
from core.assistant.audit import AuditRecord
from core.chat.feedback import button_value
from core.plans import Plan
from core.workspaces import Platform
from tests.adapters.slack.conftest import TEAM, SlackBot
from tests.adapters.slack.signing import mention_event
from tests.adapters.slack.test_commands import reply, uploaded

COUNT = "How many open items are in the WEB project?"
ROOT = "1700000000.000100"
KEY = f"{TEAM}:C0GENERAL:{ROOT}"  # the claim key of the mention: what the buttons carry


def test_the_last_piece_of_an_answer_carries_the_feedback_buttons_above_its_footer() -> None:
    blocks = answer_blocks("12 open items.", footer="simple question · 1 credit", feedback=KEY)
    assert [b["type"] for b in blocks] == ["section", "context_actions", "context"]
    (buttons,) = blocks[1]["elements"]
    assert buttons["type"] == "feedback_buttons"
    assert buttons["action_id"] == FEEDBACK
    assert buttons["positive_button"]["value"] == f"up:{KEY}"
    assert buttons["negative_button"]["value"] == f"down:{KEY}"
    assert [b["type"] for b in answer_blocks("12 open", footer=None, feedback=KEY)] == ["section"]
    assert answer_blocks("12 open", footer="f") == answer_blocks("12 open", footer="f", feedback="")


async def click(bot: SlackBot, value: str, *, user: str, team: str = TEAM) -> str:
    """Click a feedback button; returns what the person alone was told."""
    before = len(bot.slack.calls_to("response_url"))
    assert await bot.click(FEEDBACK, value, user=user, team_id=team) == 200
    (told,) = bot.slack.calls_to("response_url")[before:]
    assert told.args["response_type"] == "ephemeral"
    assert told.args["replace_original"] is False
    return str(told.args["text"])


async def test_a_click_is_recorded_once_per_person_and_costs_nothing(bot: SlackBot) -> None:
    assert await bot.event(mention_event(COUNT, user="U0BOB", ts=ROOT)) == 200
    left = await bot.remaining()
    good, bad = button_value(KEY, positive=True), button_value(KEY, positive=False)

    assert "noted that this answer helped" in await click(bot, good, user="U0BOB")
    assert "already said this answer helped" in await click(bot, good, user="U0BOB")
    assert "noted that this answer missed" in await click(bot, bad, user="U0CAROL")

    kept = await SqlFeedbackStore(bot.app.db).entries(bot.workspace.id, since=None)
    members = {
        m.id: m.display_name for m in await bot.app.workspace_store.list_members(bot.workspace.id)
    }
    assert sorted((members[f.member_id], f.positive) for f in kept) == [
        ("bob", True),
        ("carol", False),
    ]
    assert {f.event_id for f in kept} == {f"slack:{KEY}"}
    assert await bot.remaining() == left  # feedback is free

    audit = await reply(bot, "audit", user="U0ALICE")
    assert "· 👍 bob · 👎 carol" in audit
    ((_, name, data),) = uploaded(bot)
    (record,) = [json.loads(line) for line in data.decode().splitlines()]
    assert name == "setget-audit.jsonl"
    assert [(f["member_id"], f["positive"]) for f in record["feedback"]] == [
        (f.member_id, f.positive) for f in kept
    ]
    usage = await reply(bot, "usage", user="U0ALICE")
    assert "Feedback on answers this cycle: 50 % positive (1 of 2 votes)." in usage
    assert "Feedback" not in await reply(bot, "usage", user="U0BOB")  # members: own figures


async def test_the_other_button_replaces_a_persons_verdict(bot: SlackBot) -> None:
    await bot.event(mention_event(COUNT, user="U0BOB", ts=ROOT))
    await click(bot, button_value(KEY, positive=True), user="U0BOB")
    await click(bot, button_value(KEY, positive=False), user="U0BOB")
    (kept,) = await SqlFeedbackStore(bot.app.db).entries(bot.workspace.id, since=None)
    assert kept.positive is False


async def test_an_answer_of_another_workspace_or_none_at_all_takes_no_feedback(
    bot: SlackBot,
) -> None:
    beta = await bot.app.admin.create("beta", plan=Plan.PRO)
    await bot.app.admin.link("beta", Platform.SLACK, "T0BETA")
    member = await bot.app.workspace_store.ensure_member(beta.id, Platform.SLACK, "U0EVE", "eve")
    thread = await SqlThreadStore(bot.app.db).open_thread(
        workspace_id=beta.id,
        platform=Platform.SLACK,
        key="b",
        project=None,
        now=bot.app.clock.now(),
    )
    beta_key = "T0BETA:C0BETA:1700000000.000900"
    await SqlAuditLog(bot.app.db).record(
        AuditRecord(
            workspace_id=beta.id,
            thread_id=thread.id,
            member_id=member.id,
            event_id=f"slack:{beta_key}",
            at=bot.app.clock.now(),
            prompt="q",
            answer="a",
            tools=(),
            input_tokens=1,
            output_tokens=1,
            tokens_estimated=False,
            credits=1,
            interaction_type="simple_question",
            model="m",
            outcome="answered",
        )
    )
    await bot.event(mention_event(COUNT, user="U0BOB", ts=ROOT))

    forged = await click(bot, button_value(beta_key, positive=False), user="U0BOB")
    assert forged == ":no_entry: This is not an answer of acme's: no feedback recorded."
    copied = await click(bot, button_value(KEY, positive=False), user="U0EVE", team="T0BETA")
    assert copied == ":no_entry: This is not an answer of beta's: no feedback recorded."
    unknown = await click(bot, "up:T0001:C0GENERAL:1.0", user="U0BOB")
    assert "not an answer of acme's" in unknown
    assert "no answer I know" in await click(bot, "sideways", user="U0BOB")
    store = SqlFeedbackStore(bot.app.db)
    assert await store.entries(bot.workspace.id, since=None) == []
    assert await store.entries(beta.id, since=None) == []


async def test_an_answer_ends_with_the_feedback_buttons_over_its_footer(bot: SlackBot) -> None:
    assert await bot.event(mention_event(COUNT, user="U0BOB", ts=ROOT)) == 200
    final = bot.slack.calls_to("chat.update")[-1]
    *_, buttons, footer = final.args["blocks"]
    assert buttons["type"] == "context_actions"
    assert buttons["elements"][0]["positive_button"]["value"] == f"up:{KEY}"
    assert footer["type"] == "context"
    assert "noted that this answer helped" in await click(
        bot, buttons["elements"][0]["positive_button"]["value"], user="U0BOB"
    )
