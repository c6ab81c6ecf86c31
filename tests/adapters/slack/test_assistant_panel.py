"""The assistant panel (Agents & AI Apps) with a real Bolt app against the fake Web API: a
greeting and prompts from the workspace's own projects and sprints, the title from the first
question, the viewed channel scoping the conversation, and questions answered like mentions."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.storage.channels import SqlChannelSettings
from core.workspaces import Platform
from tests.adapters.slack.conftest import TEAM, SlackBot
from tests.adapters.slack.signing import event_body, message_event

DM = "D0BOB"
THREAD = "1700000000.000100"
COUNT = "How many open items are in the WEB project?"


@pytest.fixture
async def panel(bot: SlackBot) -> SlackBot:
    """The served app, as `setget-bot serve slack` wires it, with channel C0WEB bound to WEB."""
    await SqlChannelSettings(bot.app.db).bind_project(
        bot.workspace.id, Platform.SLACK, "C0WEB", "WEB"
    )
    return bot


def thread_event(kind: str, *, viewing: str | None, team: str = TEAM) -> dict[str, Any]:
    context: dict[str, Any] = {"team_id": team, "enterprise_id": None}
    if viewing is not None:
        context["channel_id"] = viewing
    return {
        "type": kind,
        "assistant_thread": {
            "user_id": "U0BOB",
            "context": context,
            "channel_id": DM,
            "thread_ts": THREAD,
        },
        "event_ts": "1700000000.000200",
    }


def question(text: str, *, ts: str) -> dict[str, Any]:
    return message_event(text, user="U0BOB", channel=DM, ts=ts, thread_ts=THREAD, channel_type="im")


async def open_panel(bot: SlackBot, *, viewing: str | None) -> None:
    assert await bot.event(thread_event("assistant_thread_started", viewing=viewing)) == 200


async def test_the_panel_greets_with_prompts_from_the_viewed_channels_project(
    panel: SlackBot,
) -> None:
    await open_panel(panel, viewing="C0WEB")
    (greeting,) = panel.slack.calls_to("chat.postMessage")
    assert greeting.args["channel"] == DM
    assert greeting.args["thread_ts"] == THREAD
    assert "about *WEB*, the project of the channel you are viewing" in greeting.args["text"]
    assert "AI credits" in greeting.args["text"]
    prompts = panel.slack.prompts[(DM, THREAD)]
    assert [p["message"] for p in prompts] == [
        "How many open items are in the WEB project?",
        "Summarize Sprint 12 progress with completion breakdown",
        "List all high-priority bugs assigned to me",
        "Compare velocity across the last 3 sprints in WEB",
    ]
    assert await panel.remaining() == 500  # opening the panel costs nothing


async def test_without_a_viewed_project_the_prompts_name_the_workspaces_first_project(
    panel: SlackBot,
) -> None:
    await open_panel(panel, viewing="C0RANDOM")
    (greeting,) = panel.slack.calls_to("chat.postMessage")
    assert "I answer from acme's projects (API, WEB)" in greeting.args["text"]
    first = panel.slack.prompts[(DM, THREAD)][0]
    assert first == {"title": "Open items in API", "message": COUNT.replace("WEB", "API")}


async def test_a_team_not_linked_is_told_how_to_link_it_and_offered_nothing(
    panel: SlackBot,
) -> None:
    other = thread_event("assistant_thread_started", viewing="C0WEB", team="T0OTHER")
    status = (await panel.post(event_body(other, team_id="T0OTHER", event_id="EvX"))).status
    assert status == 200
    (greeting,) = panel.slack.calls_to("chat.postMessage")
    assert "not linked to a SetGet workspace" in greeting.args["text"]
    assert (DM, THREAD) not in panel.slack.prompts


async def test_a_question_in_the_panel_is_answered_like_a_mention_and_titled_once(
    panel: SlackBot,
) -> None:
    await open_panel(panel, viewing="C0WEB")
    await panel.event(question(COUNT, ts="1700000001.000100"))
    (final,) = await panel.answered()
    assert "open work items in WEB" in final.args["text"]
    assert final.args["blocks"][-1]["elements"][0]["text"] == (
        "simple question · 1 credit · 499 left"
    )
    assert panel.slack.titles[(DM, THREAD)] == [COUNT]

    await panel.event(question("And in API?", ts="1700000002.000100"))
    await panel.answered(2)
    assert panel.slack.titles[(DM, THREAD)] == [COUNT]  # the title is the first question's
    assert await panel.remaining() == 498  # each question charged once
    turns = await panel.turns(f"{DM}:{THREAD}")
    assert turns[0] == COUNT
    assert len(turns) == 4


async def test_the_viewed_channel_scopes_the_conversation_to_its_project(
    panel: SlackBot,
) -> None:
    await open_panel(panel, viewing="C0RANDOM")  # a channel bound to nothing
    changed = thread_event("assistant_thread_context_changed", viewing="C0WEB")
    assert await panel.event(changed) == 200
    (saved,) = panel.slack.calls_to("chat.update")  # Bolt keeps it in the greeting's metadata
    assert saved.args["metadata"]["event_payload"]["channel_id"] == "C0WEB"

    await panel.event(question("How many open items are there?", ts="1700000001.000100"))
    await panel.answered()
    thread = await panel.threads.find_thread(panel.workspace.id, Platform.SLACK, f"{DM}:{THREAD}")
    assert thread is not None
    assert thread.project == "WEB"


async def test_a_panel_whose_title_slack_refuses_still_answers(panel: SlackBot) -> None:
    await open_panel(panel, viewing="C0WEB")
    panel.slack.fail("assistant.threads.setTitle", error="not_allowed")
    await panel.event(question(COUNT, ts="1700000001.000100"))
    (final,) = await panel.answered()
    assert "open work items in WEB" in final.args["text"]
    assert await panel.remaining() == 499


async def test_a_panel_that_cannot_read_the_workspace_says_so_instead_of_staying_blank(
    panel: SlackBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(_workspace_id: int) -> None:
        raise RuntimeError("the projects table is gone")

    monkeypatch.setattr(panel.app.work_items, "projects", broken)
    await open_panel(panel, viewing="C0WEB")
    (notice,) = panel.slack.calls_to("chat.postMessage")
    assert notice.args["thread_ts"] == THREAD
    assert notice.args["text"].startswith(":warning:")
    assert "opening the assistant" in notice.args["text"]
    assert "projects table" not in notice.args["text"]  # the cause goes to the log only
    assert (DM, THREAD) not in panel.slack.prompts
