"""Answering a message through the chat layer: claimed once, a placeholder at once, the
answer with its footer split to the surface's limit, and a person told on every failure."""

from __future__ import annotations

import pytest

from core.chat import Incoming
from core.plans import Plan
from core.workspaces import Platform
from tests.chat.conftest import ALICE, BOB, TEAM, Chat

COUNT = "How many open items are in the WEB project?"


def message(text: str = COUNT, *, key: str = "C1:1.0", team: str = TEAM) -> Incoming:
    return Incoming(team, "C1", BOB, text, key=key, thread_key=f"C1:{key}")


async def answer(chat: Chat, incoming: Incoming) -> None:
    await chat.layer.answering.answer(incoming, chat.surface, chat.directory)


async def test_an_answer_replaces_the_placeholder_and_ends_with_the_footer(chat: Chat) -> None:
    chat.surface.text_limit = 10_000
    await answer(chat, message())
    [shown] = chat.surface.messages.values()
    assert "open work items in WEB" in shown.text
    assert shown.footer == "simple question · 1 credit · 499 left"
    assert (await chat.team.pool.status(chat.team.workspace)).balance.remaining == 499


async def test_the_same_message_delivered_twice_is_answered_and_charged_once(chat: Chat) -> None:
    chat.surface.text_limit = 10_000
    await answer(chat, message())
    await answer(chat, message())
    assert len(chat.surface.messages) == 1
    assert (await chat.team.pool.status(chat.team.workspace)).balance.remaining == 499


async def test_a_long_answer_is_split_at_the_surface_limit_with_the_footer_last(
    chat: Chat,
) -> None:
    chat.surface.text_limit = 60
    await answer(chat, message("Write a detailed sprint retrospective for Sprint 11"))
    pieces = list(chat.surface.messages.values())
    assert len(pieces) > 3
    assert all(len(p.text) <= 60 for p in pieces)
    assert [p.footer is not None for p in pieces] == [False] * (len(pieces) - 1) + [True]


async def test_a_placeholder_that_cannot_be_edited_gives_way_to_a_new_message(
    chat: Chat,
) -> None:
    chat.surface.text_limit = 10_000
    chat.surface.refuse.add("edit")
    await answer(chat, message())
    placeholder, posted = chat.surface.messages.values()
    assert placeholder.text == chat.surface.placeholder
    assert "open work items in WEB" in posted.text
    assert posted.footer is not None


async def test_out_of_credits_is_told_privately_and_nothing_is_charged(chat: Chat) -> None:
    broke = await chat.team.admin.create("broke", plan=Plan.PRO, allocation=0)
    await chat.team.store.link(broke.id, Platform.SLACK, "T0")
    await answer(chat, message(team="T0"))
    assert chat.surface.messages == {}  # the placeholder is taken back
    [(user, notice)] = chat.surface.private
    assert user == BOB
    assert notice.tone.value == "refusal"
    assert "out of AI credits" in notice.text
    assert "(`/setget buy`)" in notice.text
    assert notice.text.endswith("This thread stays readable.")


async def test_a_team_not_linked_is_told_in_place_of_the_answer(chat: Chat) -> None:
    await answer(chat, message(team="T9"))
    [shown] = chat.surface.messages.values()
    assert "--slack-team T9" in shown.text


async def test_any_failure_is_told_in_place_of_the_answer(chat: Chat) -> None:
    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    chat.layer.people.member = broken  # type: ignore[method-assign]
    await answer(chat, message())
    [shown] = chat.surface.messages.values()
    assert shown.text.startswith("[warning] Sorry, something went wrong on our side while")
    assert "boom" not in shown.text


@pytest.mark.parametrize("admin", [ALICE])
async def test_follow_ups_continue_only_threads_the_bot_answers(chat: Chat, admin: str) -> None:
    answering = chat.layer.answering
    assert not await answering.continues_thread(Platform.SLACK, TEAM, "C1:C1:1.0")
    chat.surface.text_limit = 10_000
    await answer(chat, message())
    assert await answering.continues_thread(Platform.SLACK, TEAM, "C1:C1:1.0")
    assert not await answering.continues_thread(Platform.SLACK, "T9", "C1:C1:1.0")
