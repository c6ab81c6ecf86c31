"""Feedback through the chat layer, on the in-memory stores: the layer decides whether a click
counts (the answer must be the clicking team's workspace's), keeps one verdict per person and
tells them, free of charge; `/setget audit` and `/setget usage` show the verdicts."""

from __future__ import annotations

from dataclasses import replace

from core.chat import ChatLayer, Incoming, People
from core.chat.feedback import FeedbackClick, button_value
from core.plans import Plan
from core.workspaces import Platform
from tests.chat.conftest import ALICE, BOB, TEAM, Chat
from tests.chat_fakes import InMemoryFeedback

COUNT = "How many open items are in the WEB project?"
KEY = "C1:1.0"


def with_feedback(chat: Chat) -> tuple[ChatLayer, InMemoryFeedback]:
    store = InMemoryFeedback(chat.team.audit.records)
    services = replace(chat.layer.services, feedback=store)
    return ChatLayer(services=services, people=People(workspaces=chat.team.store)), store


async def answered(chat: Chat, layer: ChatLayer) -> None:
    incoming = Incoming(TEAM, "C1", BOB, COUNT, key=KEY, thread_key=f"C1:{KEY}")
    await layer.answering.answer(incoming, chat.surface, chat.directory)


async def give(chat: Chat, layer: ChatLayer, user: str, *, up: bool, key: str = KEY) -> str:
    click = FeedbackClick(TEAM, user, button_value(key, positive=up))
    return (await layer.feedback.give(click, directory=chat.directory)).text


async def test_one_verdict_per_person_free_and_shown_to_admins(chat: Chat) -> None:
    layer, store = with_feedback(chat)
    await answered(chat, layer)
    left = (await chat.team.pool.status(chat.team.workspace)).balance.remaining

    assert "helped" in await give(chat, layer, BOB, up=True)
    assert "already" in await give(chat, layer, BOB, up=True)
    assert "missed" in await give(chat, layer, ALICE, up=False)
    assert sorted(f.positive for f in store.kept.values()) == [False, True]
    assert (await chat.team.pool.status(chat.team.workspace)).balance.remaining == left

    run = layer.commands.run
    audit = await run(team=TEAM, channel="C1", user=ALICE, text="audit", directory=chat.directory)
    assert "· 👍 bob · 👎 alice" in audit.text
    (log,) = audit.files
    assert b'"feedback": [{"member_id"' in log.data
    usage = await run(team=TEAM, channel="C1", user=ALICE, text="usage", directory=chat.directory)
    assert "Feedback on answers this cycle: 50 % positive (1 of 2 votes)." in usage.text


async def test_an_answer_the_workspace_does_not_hold_is_refused(chat: Chat) -> None:
    layer, store = with_feedback(chat)
    await answered(chat, layer)
    other = await chat.team.admin.create("beta", plan=Plan.PRO)
    await chat.team.store.link(other.id, Platform.SLACK, "T2")

    refused = FeedbackClick("T2", BOB, button_value(KEY, positive=True))  # acme's answer
    told = await layer.feedback.give(refused, directory=chat.directory)
    assert told.text == "This is not an answer of beta's: no feedback recorded."
    assert "not an answer" in await give(chat, layer, BOB, up=True, key="C1:9.9")
    unknown = await layer.feedback.give(FeedbackClick(TEAM, BOB, "up"), directory=chat.directory)
    assert unknown.text == "This button carries no answer I know."
    assert store.kept == {}


async def test_without_a_store_feedback_is_declined(chat: Chat) -> None:
    click = FeedbackClick(TEAM, BOB, button_value(KEY, positive=True))
    told = await chat.layer.feedback.give(click, directory=chat.directory)
    assert told.text == "Feedback is not kept by this deployment."
