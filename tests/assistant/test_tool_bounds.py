"""What the tools tell the model: every bounded list says how many it left out, and a
sprint still running is marked in progress, never counted as a finished sprint's velocity.

On the demo data, today 2026-01-31: Sprints 9-11 are over, Sprint 12 runs to 2026-02-06.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from core.assistant.tools import ToolContext, WorkTools
from core.llm import ToolCall
from tests.assistant.conftest import Team


async def run(team: Team, name: str, *, day: date | None = None, **args: Any) -> dict[str, Any]:
    tools = WorkTools(team.work, clock=team.clock)
    ctx = ToolContext(team.workspace.id, "alice", day=day)
    outcome = await tools.run(ToolCall(id="c1", name=name, arguments=args), ctx)
    assert not outcome.failed, outcome.result
    return outcome.result


async def test_a_listing_says_how_many_it_left_out_and_counts_every_match(team: Team) -> None:
    result = await run(team, "list_work_items", open_only=True)
    assert (result["total"], result["shown"], result["not_shown"]) == (29, 15, 14)
    assert sum(result["by_state"].values()) == 29
    assert result["by_state"] == {"todo": 11, "in_progress": 7, "backlog": 11}


async def test_a_listing_asked_for_more_than_the_default_gets_up_to_its_limit(
    team: Team,
) -> None:
    """The schema offers 50: a sprint of 19 items is listed whole, not cut at 15."""
    result = await run(team, "list_work_items", sprint="Sprint 12", limit=50)
    assert (result["total"], result["shown"], result["not_shown"]) == (19, 19, 0)
    assert "by_state" not in result


async def test_sprint_progress_counts_every_open_item_and_marks_a_running_sprint(
    team: Team,
) -> None:
    result = await run(team, "sprint_progress", sprint="Sprint 12")
    assert result["status"] == "in_progress"
    assert (result["open_total"], len(result["open_items"]), result["open_not_shown"]) == (
        16,
        15,
        1,
    )
    assert result["points_by_state"] == {"done": 9, "in_progress": 28, "todo": 25}
    assert "Sprint 12 is still in progress (ends 2026-02-06)" in result["note"]
    over = await run(team, "sprint_progress", sprint="Sprint 11")
    assert over["status"] == "finished"
    assert "note" not in over


async def test_velocity_rows_are_finished_sprints_and_the_running_one_is_apart(
    team: Team,
) -> None:
    result = await run(team, "compare_velocity", last=4)
    assert [r["sprint"] for r in result["sprints"]] == ["Sprint 9", "Sprint 10", "Sprint 11"]
    [running] = result["in_progress"]
    assert (running["sprint"], running["ends"], running["completed_points"]) == (
        "Sprint 12",
        "2026-02-06",
        9,
    )


async def test_a_sprint_not_started_yet_is_neither_velocity_nor_running(team: Team) -> None:
    """Seen from 2026-01-15, Sprint 11 runs and Sprint 12 lies ahead."""
    result = await run(team, "compare_velocity", day=date(2026, 1, 15), last=4)
    assert [r["sprint"] for r in result["sprints"]] == ["Sprint 9", "Sprint 10"]
    assert [r["sprint"] for r in result["in_progress"]] == ["Sprint 11"]
    ahead = await run(team, "sprint_progress", day=date(2026, 1, 15), sprint="Sprint 12")
    assert ahead["status"] == "not_started"


async def test_the_current_sprint_is_the_one_running_today(team: Team) -> None:
    assert (await run(team, "project_summary", project="WEB"))["current_sprint"] == "Sprint 12"
    later = await run(team, "project_summary", project="WEB", day=date(2026, 2, 20))
    assert later["current_sprint"] is None  # Sprint 12 ended on 6 Feb; none runs


async def test_the_project_summary_says_how_many_open_items_it_left_out(team: Team) -> None:
    result = await run(team, "project_summary", project="WEB")
    assert (result["open_total"], len(result["most_urgent_open"]), result["open_not_shown"]) == (
        15,
        5,
        10,
    )
    assert sum(result["by_state"].values()) == result["total"] == 37


async def test_a_bulk_proposal_says_how_many_items_it_did_not_list(team: Team) -> None:
    tools = WorkTools(team.work, clock=team.clock, max_items=4)
    call = ToolCall(
        id="c1",
        name="propose_update_work_items",
        arguments={"project": "API", "state": ["todo"], "set_state": "in_progress"},
    )
    outcome = await tools.run(call, ToolContext(team.workspace.id, "alice"))
    assert (outcome.result["affected"], len(outcome.result["first_items"])) == (6, 4)
    assert outcome.result["not_shown"] == 2
