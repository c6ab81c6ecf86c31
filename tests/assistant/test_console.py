"""The console session: streamed answers with footers, proposals answered with y/n."""

from __future__ import annotations

import io

from adapters.console import ConsoleSession
from adapters.offline import OfflineModel
from core.work.model import ItemFilter, ItemState
from core.workspaces import Member
from tests.assistant.conftest import Team
from tests.chat.conftest import layer_for


def session(team: Team, member: Member, out: io.StringIO) -> ConsoleSession:
    return ConsoleSession(
        layer=layer_for(team, OfflineModel()).layer,
        workspace=team.workspace,
        member=member,
        out=out,
    )


async def test_a_scripted_console_asks_confirms_and_rejects(team: Team) -> None:
    out = io.StringIO()
    lines = iter(
        [
            "How many open items are in the WEB project?",
            "Create a work item titled 'Fix header layout' in the WEB project",
            "y",
            "Update all Todo items in API project to In Progress",
            "n",
            "/quit",
            "never read",
        ]
    )
    await session(team, team.alice, out).run(lines)
    text = out.getvalue()
    assert "open work items in WEB" in text
    assert "simple question · 1 credit · 499 left" in text
    assert "Proposed action #1: Create task “Fix header layout” in WEB" in text
    assert "Action #1 applied: WEB-" in text
    assert "Proposed action #2: Update" in text
    assert "Action #2 rejected; nothing changed." in text or "cancelled" in text
    assert "never read" not in text
    todo = await team.work.find(
        team.workspace.id, ItemFilter(project="API", states=(ItemState.TODO,)), limit=0
    )
    assert todo.total > 0  # the rejected bulk change changed nothing


async def test_a_member_cannot_confirm_a_bulk_change_and_sees_why(team: Team) -> None:
    out = io.StringIO()
    lines = iter(["Update all Todo items in API project to In Progress", "y"])
    await session(team, team.bob, out).run(lines)
    assert "Only an admin can confirm this action." in out.getvalue()


async def test_out_of_credits_is_a_clear_line_and_the_session_goes_on(team: Team) -> None:
    out = io.StringIO()
    many = [
        "How many open items are in the WEB project?"
    ] * 510  # the thread grows: later ones cost more
    await session(team, team.alice, out).run(iter(many))
    text = out.getvalue()
    first_refusal = text.index("out of AI credits")
    assert "· 0 left" in text[:first_refusal]
    assert " left\n" not in text[first_refusal:]  # nothing answered (or charged) afterwards
    assert "AI is paused until" in text
