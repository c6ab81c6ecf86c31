"""The chat layer shows what the model is doing (from the tool in use) and clears it once the
answer is out; a platform's own stream is used where it can stream, edits where it refuses,
and proposals go in the answer's last message when the stream can hold them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from core.assistant.actions import ProposedAction
from core.chat import Incoming
from core.chat.replies import Reply
from core.chat.status import doing
from core.chat.suggestions import suggested_prompts, thread_title
from core.chat.surface import AnswerStream, StreamRefused
from core.work.demo_data import demo_dataset
from tests.chat.conftest import BOB, TEAM, Chat
from tests.chat_fakes import InMemorySurface

COUNT = "How many open items are in the WEB project?"
CREATE = "Create a work item titled 'Fix header layout' in the WEB project"
TODAY = date(2026, 12, 1)


def message(text: str = COUNT, *, key: str = "C1:1.0") -> Incoming:
    return Incoming(TEAM, "C1", BOB, text, key=key, thread_key=f"C1:{key}")


class NativeStream:
    """A platform stream that keeps what it was given; `refuse` refuses its start."""

    def __init__(self, *, refuse: bool = False) -> None:
        self.refuse = refuse
        self.message: str | None = None
        self.text = ""
        self.finished: tuple[str, str] | None = None
        self.proposals: list[ProposedAction] = []

    async def start(self) -> None:
        if self.refuse:
            raise StreamRefused("not here", code="not_allowed")
        self.message = "native-1"

    async def on_text(self, delta: str) -> None:
        self.text += delta

    async def finish(self, text: str, *, footer: str) -> list[str]:
        self.finished = (text, footer)
        return [self.message or ""]

    async def fail(self, reply: Reply) -> None:
        self.finished = (reply.text, "")

    async def remove(self) -> None:
        self.message = None


class ProposingNativeStream(NativeStream):
    async def finish_proposing(
        self,
        text: str,
        *,
        footer: str,
        proposals: Sequence[ProposedAction],
        requester: str,
    ) -> list[str]:
        self.proposals = list(proposals)
        return await self.finish(text, footer=footer)


class NativeSurface(InMemorySurface):
    def __init__(self, stream: NativeStream) -> None:
        super().__init__(text_limit=10_000)
        self.stream = stream
        self.asked: list[str | None] = []

    def native_stream(self, resume: str | None) -> AnswerStream | None:
        self.asked.append(resume)
        return self.stream


async def answer(chat: Chat, incoming: Incoming, surface: InMemorySurface) -> None:
    await chat.layer.answering.answer(incoming, surface, chat.directory)


async def remaining(chat: Chat) -> int:
    return (await chat.team.pool.status(chat.team.workspace)).balance.remaining


async def test_the_status_names_the_tool_in_use_and_is_cleared_once_answered(
    chat: Chat,
) -> None:
    chat.surface.text_limit = 10_000
    await answer(chat, message(), chat.surface)
    assert chat.surface.statuses == ["Thinking…", "Counting open items in WEB…", None]
    [shown] = chat.surface.messages.values()
    assert shown.footer is not None  # the answer was out before the status went


async def test_a_failed_answer_clears_the_status_too(chat: Chat) -> None:
    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom")

    chat.layer.people.member = broken  # type: ignore[method-assign]
    await answer(chat, message(), chat.surface)
    assert chat.surface.statuses == ["Thinking…", None]


async def test_a_native_stream_carries_the_answer_and_is_charged_once(chat: Chat) -> None:
    stream = NativeStream()
    surface = NativeSurface(stream)
    await answer(chat, message(), surface)
    assert stream.finished is not None
    text, footer = stream.finished
    assert "open work items in WEB" in text
    assert stream.text.strip() == text  # streamed as the model wrote it
    assert footer == "simple question · 1 credit · 499 left"
    assert surface.messages == {}  # no placeholder, no edits
    assert await remaining(chat) == 499


async def test_a_refused_native_stream_gives_way_to_the_edits(chat: Chat) -> None:
    surface = NativeSurface(NativeStream(refuse=True))
    await answer(chat, message(), surface)
    [shown] = surface.messages.values()
    assert "open work items in WEB" in shown.text
    assert shown.footer == "simple question · 1 credit · 499 left"
    assert shown.edits >= 1  # the placeholder, edited into the answer
    assert await remaining(chat) == 499


async def test_proposals_go_in_the_last_message_of_a_stream_that_can_hold_them(
    chat: Chat,
) -> None:
    stream = ProposingNativeStream()
    surface = NativeSurface(stream)
    await answer(chat, message(CREATE), surface)
    [action] = stream.proposals
    assert "Fix header layout" in action.draft.summary
    assert all(m.offer is None for m in surface.messages.values())  # not offered apart


async def test_a_stream_that_cannot_hold_proposals_has_them_offered_apart(chat: Chat) -> None:
    surface = NativeSurface(NativeStream())
    await answer(chat, message(CREATE), surface)
    [offered] = [m.offer for m in surface.messages.values() if m.offer is not None]
    assert "Fix header layout" in offered.draft.summary


def test_status_lines_say_what_the_tool_does_in_the_products_words() -> None:
    assert doing("count_work_items", {"project": "web", "open_only": True}) == (
        "Counting open items in WEB…"
    )
    assert doing("sprint_progress", {"sprint": "Sprint 12"}, project="WEB") == (
        "Reading Sprint 12 in WEB…"
    )
    assert doing("compare_velocity", {"last": 4}) == "Comparing velocity across the last 4 sprints…"
    assert doing("propose_create_work_item", {"title": "Fix  header\nlayout"}) == (
        "Drafting “Fix header layout”…"
    )
    assert doing("no_such_tool", {}) == "Looking through the workspace…"
    long = doing("sprint_progress", {"sprint": "x" * 500, "project": "y" * 500})
    assert len(long) <= 80


def test_prompts_name_the_workspaces_own_project_and_sprints() -> None:
    today = TODAY
    data = demo_dataset(today)
    prompts = suggested_prompts(data.projects, data.sprints, today=today, project="WEB")
    messages = [p.message for p in prompts]
    assert messages[0] == "How many open items are in the WEB project?"
    assert "Summarize Sprint 12 progress with completion breakdown" in messages
    assert len(prompts) == 4
    unscoped = suggested_prompts(data.projects, data.sprints, today=today, project=None)
    assert unscoped[0].message == "How many open items are in the API project?"
    assert [p.title for p in suggested_prompts((), (), today=today, project=None)] == [
        "Open items",
        "My high-priority bugs",
    ]


def test_a_thread_title_is_its_first_question_on_one_line() -> None:
    assert thread_title("How many open\nitems in WEB?") == "How many open items in WEB?"
    long = thread_title("word " * 40)
    assert len(long) == 60
    assert long.endswith("…")
