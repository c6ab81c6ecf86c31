"""Proposed actions: applied at most once, only after a person allowed to confirm does."""

from __future__ import annotations

import asyncio

import pytest

from core.assistant.actions import ActionClosed, ActionState, ProposedAction
from core.assistant.tools import ToolContext, WorkTools
from core.errors import NotAllowed
from core.llm import ToolCall
from core.work.model import ItemFilter, ItemState
from core.workspaces import Member
from tests.assistant.conftest import Team


async def propose(team: Team, name: str, requester: Member, **args: object) -> ProposedAction:
    tools = WorkTools(team.work)
    ctx = ToolContext(team.workspace.id, requester.display_name)
    outcome = await tools.run(ToolCall(id="c1", name=name, arguments=args), ctx)
    assert outcome.proposal is not None, outcome.result
    return await team.desk.propose(
        workspace_id=team.workspace.id, thread_id=1, requester=requester, draft=outcome.proposal
    )


async def todo_in_api(team: Team) -> int:
    where = ItemFilter(project="API", states=(ItemState.TODO,))
    return (await team.work.find(team.workspace.id, where, limit=0)).total


async def test_the_requester_confirms_a_single_item_action_once(team: Team) -> None:
    action = await propose(
        team, "propose_create_work_item", team.bob, project="WEB", title="Fix header layout"
    )
    decision = await team.desk.confirm(team.workspace.id, action.id, team.bob)
    (result,) = decision.applied
    assert result.applied
    assert decision.action.state is ActionState.APPLIED
    assert decision.action.decided_by == team.bob.id
    found = await team.work.find(team.workspace.id, ItemFilter(text="Fix header layout"), limit=5)
    assert [i.key for i in found.items] == [result.key]
    with pytest.raises(ActionClosed, match="already applied"):
        await team.desk.confirm(team.workspace.id, action.id, team.bob)


async def test_only_an_admin_confirms_a_bulk_action(team: Team) -> None:
    before = await todo_in_api(team)
    action = await propose(
        team,
        "propose_update_work_items",
        team.bob,
        project="API",
        state=["todo"],
        set_state="in_progress",
    )
    assert action.bulk
    with pytest.raises(NotAllowed, match="only an admin"):
        await team.desk.confirm(team.workspace.id, action.id, team.bob)
    assert await todo_in_api(team) == before
    decision = await team.desk.confirm(team.workspace.id, action.id, team.alice)
    assert len(decision.applied) == before
    assert decision.failed == ()
    assert await todo_in_api(team) == 0


async def test_someone_else_cannot_confirm_a_members_single_action(team: Team) -> None:
    action = await propose(team, "propose_create_work_item", team.alice, project="WEB", title="X")
    with pytest.raises(NotAllowed, match="requester or an admin"):
        await team.desk.confirm(team.workspace.id, action.id, team.bob)


async def test_a_rejected_action_changes_nothing_and_cannot_be_confirmed(team: Team) -> None:
    before = await todo_in_api(team)
    action = await propose(
        team,
        "propose_update_work_items",
        team.bob,
        project="API",
        state=["todo"],
        set_state="done",
    )
    rejected = await team.desk.reject(team.workspace.id, action.id, team.alice)
    assert rejected.state is ActionState.REJECTED
    with pytest.raises(ActionClosed, match="already rejected"):
        await team.desk.confirm(team.workspace.id, action.id, team.alice)
    assert await todo_in_api(team) == before


async def test_the_requester_cancelling_is_recorded_as_cancelled(team: Team) -> None:
    action = await propose(team, "propose_create_work_item", team.bob, project="WEB", title="Y")
    cancelled = await team.desk.reject(team.workspace.id, action.id, team.bob)
    assert cancelled.state is ActionState.CANCELLED


async def test_an_expired_action_is_refused(team: Team) -> None:
    action = await propose(team, "propose_create_work_item", team.bob, project="WEB", title="Z")
    team.clock.advance(hours=2)
    with pytest.raises(ActionClosed, match="expired"):
        await team.desk.confirm(team.workspace.id, action.id, team.bob)
    stored = await team.actions.get(team.workspace.id, action.id)
    assert stored is not None
    assert stored.state is ActionState.EXPIRED


async def test_concurrent_confirms_apply_once(team: Team) -> None:
    action = await propose(team, "propose_create_work_item", team.bob, project="WEB", title="Once")
    results = await asyncio.gather(
        *(team.desk.confirm(team.workspace.id, action.id, team.alice) for _ in range(5)),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, ActionClosed) for r in results if isinstance(r, Exception))
    found = await team.work.find(team.workspace.id, ItemFilter(text="Once"), limit=5)
    assert found.total == 1


async def test_actions_of_another_workspace_are_invisible(team: Team) -> None:
    action = await propose(team, "propose_create_work_item", team.bob, project="WEB", title="W")
    with pytest.raises(Exception, match="no proposed action"):
        await team.desk.confirm(team.workspace.id + 99, action.id, team.alice)
