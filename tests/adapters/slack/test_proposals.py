"""Proposed actions in Slack: Block Kit with Confirm/Reject, who may decide, at most once,
and buttons that keep working after a restart."""

from __future__ import annotations

from typing import Any

from adapters.slack.blocks import CONFIRM, REJECT
from core.work.model import ItemFilter, ItemState
from tests.adapters.slack.conftest import SlackBot, serve
from tests.adapters.slack.fake_slack import SlackCall
from tests.adapters.slack.signing import mention_event

CREATE = "Create a work item titled 'Fix header layout' in the WEB project"
BULK = "Update all Todo items in API project to In Progress"


async def propose(bot: SlackBot, text: str, *, user: str, ts: str) -> SlackCall:
    await bot.event(mention_event(text, user=user, ts=ts))
    proposals = [c for c in bot.slack.calls_to("chat.postMessage") if "blocks" in c.args]
    return next(c for c in proposals if c.args["text"].startswith("Proposed action"))


def buttons(post: SlackCall) -> dict[str, str]:
    actions = next(b for b in post.args["blocks"] if b["type"] == "actions")
    return {e["action_id"]: e["value"] for e in actions["elements"]}


async def click(bot: SlackBot, post: SlackCall, action_id: str, *, user: str) -> None:
    message = {"ts": "1700000500.000100", "text": post.args["text"], "blocks": post.args["blocks"]}
    value = buttons(post)[action_id]
    status = await bot.click(action_id, value, user=user, message=message, message_ts=message["ts"])
    assert status == 200


def last_update(bot: SlackBot) -> dict[str, Any]:
    return bot.slack.calls_to("chat.update")[-1].args


def refusals(bot: SlackBot) -> list[str]:
    return [c.args["text"] for c in bot.slack.calls_to("response_url")]


async def items(bot: SlackBot, title: str) -> list[str]:
    page = await bot.app.work_items.find(bot.workspace.id, ItemFilter(text=title), limit=10)
    return [i.key for i in page.items]


async def test_a_proposal_lists_the_change_and_only_the_requester_or_an_admin_confirms(
    bot: SlackBot,
) -> None:
    post = await propose(bot, CREATE, user="U0BOB", ts="1700000100.000100")
    text = "\n".join(b["text"]["text"] for b in post.args["blocks"] if b["type"] == "section")
    assert "Create task “Fix header layout” in WEB" in text
    assert set(buttons(post)) == {CONFIRM, REJECT}
    assert post.args["thread_ts"] == "1700000100.000100"
    charged = await bot.remaining()

    await click(bot, post, CONFIRM, user="U0CAROL")  # neither requester nor admin
    assert refusals(bot) == [":no_entry: Only the requester or an admin can confirm this action."]
    assert await items(bot, "Fix header layout") == []

    await click(bot, post, CONFIRM, user="U0BOB")
    (created,) = await items(bot, "Fix header layout")
    decided = last_update(bot)
    assert decided["ts"] == "1700000500.000100"
    assert f"Confirmed by <@U0BOB>: {created} created." in decided["text"]
    assert all(b["type"] != "actions" for b in decided["blocks"])  # buttons removed
    assert await bot.remaining() == charged  # deciding costs nothing

    await click(bot, post, CONFIRM, user="U0BOB")  # a second click, e.g. from a stale client
    assert refusals(bot)[-1].endswith("was already applied.")
    assert await items(bot, "Fix header layout") == [created]


async def test_only_an_admin_confirms_a_bulk_change(bot: SlackBot) -> None:
    post = await propose(bot, BULK, user="U0BOB", ts="1700000100.000100")
    section = post.args["blocks"][0]["text"]["text"]
    assert "6 items: API-" in section
    confirm = next(b for b in post.args["blocks"] if b["type"] == "actions")["elements"][0]
    assert "confirm" in confirm  # Slack asks "Change several items?" before it sends the click

    await click(bot, post, CONFIRM, user="U0BOB")
    assert refusals(bot) == [":no_entry: Only an admin can confirm this action."]

    await click(bot, post, CONFIRM, user="U0ALICE")  # a Slack workspace admin
    decided = last_update(bot)["text"]
    assert decided.startswith(":white_check_mark: Confirmed by <@U0ALICE>: API-")
    todo = await bot.app.work_items.find(
        bot.workspace.id, ItemFilter(project="API", states=(ItemState.TODO,)), limit=50
    )
    assert todo.total == 0


async def test_a_rejection_changes_nothing_and_says_who_decided(bot: SlackBot) -> None:
    post = await propose(bot, CREATE, user="U0BOB", ts="1700000100.000100")
    await click(bot, post, REJECT, user="U0CAROL")
    assert refusals(bot) == [":no_entry: Only the requester or an admin can reject this action."]

    await click(bot, post, REJECT, user="U0ALICE")
    assert "Rejected by <@U0ALICE>; nothing changed." in last_update(bot)["text"]
    await click(bot, post, CONFIRM, user="U0BOB")
    assert refusals(bot)[-1].endswith("was already rejected.")
    assert await items(bot, "Fix header layout") == []


async def test_buttons_keep_working_after_a_restart(bot: SlackBot) -> None:
    post = await propose(bot, CREATE, user="U0BOB", ts="1700000100.000100")
    async with serve(bot.app, bot.slack) as url:  # a new process on the same database
        restarted = SlackBot(
            app=bot.app, slack=bot.slack, url=url, http=bot.http, workspace=bot.workspace
        )
        await click(restarted, post, CONFIRM, user="U0BOB")
    assert len(await items(bot, "Fix header layout")) == 1


def updates_of(bot: SlackBot, ts: str = "1700000500.000100") -> list[dict[str, Any]]:
    return [c.args for c in bot.slack.calls_to("chat.update") if c.args["ts"] == ts]


async def test_a_click_on_a_decided_proposal_tells_the_clicker_and_leaves_the_message(
    bot: SlackBot,
) -> None:
    confirmed = await propose(bot, CREATE, user="U0BOB", ts="1700000100.000100")
    await click(bot, confirmed, CONFIRM, user="U0BOB")
    [decided] = updates_of(bot)
    for action_id in (CONFIRM, REJECT):  # stale clients, or Slack retrying the click
        await click(bot, confirmed, action_id, user="U0ALICE")
        assert refusals(bot)[-1].endswith("was already applied.")
    assert updates_of(bot) == [decided]  # still "Confirmed by <@U0BOB>: WEB-n created."

    await propose(bot, BULK, user="U0BOB", ts="1700000200.000100")
    rejected = [c for c in bot.slack.calls_to("chat.postMessage") if "blocks" in c.args][-1]
    assert "6 items: API-" in rejected.args["blocks"][0]["text"]["text"]
    await click(bot, rejected, REJECT, user="U0ALICE")
    assert len(updates_of(bot)) == 2
    await click(bot, rejected, CONFIRM, user="U0ALICE")
    assert refusals(bot)[-1].endswith("was already rejected.")
    assert "Rejected by <@U0ALICE>" in updates_of(bot)[-1]["text"]
    assert len(updates_of(bot)) == 2


async def test_an_expired_proposal_loses_its_buttons_and_says_why(bot: SlackBot) -> None:
    post = await propose(bot, CREATE, user="U0BOB", ts="1700000100.000100")
    bot.app.clock.advance(hours=2)  # type: ignore[attr-defined]  # past the hour it is open
    await click(bot, post, CONFIRM, user="U0BOB")
    assert refusals(bot)[-1].endswith("expired; ask again for a fresh proposal.")
    [closed] = updates_of(bot)
    assert all(b["type"] != "actions" for b in closed["blocks"])
    assert "expired; ask again" in closed["blocks"][-1]["elements"][0]["text"]
    await click(bot, post, CONFIRM, user="U0BOB")  # a stale client: still expired
    assert refusals(bot)[-1].endswith("was already expired.")
    assert await items(bot, "Fix header layout") == []


async def test_a_decision_slack_will_not_show_is_told_to_the_person_who_decided(
    bot: SlackBot,
) -> None:
    post = await propose(bot, CREATE, user="U0BOB", ts="1700000100.000100")
    bot.slack.fail("chat.update", error="message_not_found")  # e.g. the message was deleted
    await click(bot, post, CONFIRM, user="U0BOB")
    (created,) = await items(bot, "Fix header layout")
    assert refusals(bot) == [f":white_check_mark: Confirmed by <@U0BOB>: {created} created."]
    assert [c.args["response_type"] for c in bot.slack.calls_to("response_url")] == ["ephemeral"]
