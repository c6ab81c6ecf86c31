"""Every figure the offline model states for the source page's examples agrees with the data.

Asked on the demo data (Sprint 12 running `today`), each answer's numbers are parsed out of
its text and checked against the same figures computed from the dataset the workspace holds.
"""

from __future__ import annotations

import pytest

from adapters.offline import OfflineModel
from tests.assistant import figures
from tests.assistant.conftest import Team


async def ask(team: Team, text: str) -> tuple[str, figures.Truth]:
    answer = await team.assistant(OfflineModel()).ask(team.ask(text))
    dataset = await team.work.export(team.workspace.id)
    return answer.text, figures.Truth(dataset, team.clock.now().date())


async def test_open_items_in_web(team: Team) -> None:
    text, truth = await ask(team, "How many open items are in the WEB project?")
    figures.check_count(text, truth, "WEB")


async def test_high_priority_bugs_assigned_to_me(team: Team) -> None:
    text, truth = await ask(team, "List all high-priority bugs assigned to me")
    figures.check_listing(text, truth, figures.high_bugs_of(truth, "alice"))


async def test_the_project_summary_says_how_many_open_items_it_did_not_list(team: Team) -> None:
    text, truth = await ask(team, "Give an overview of the WEB project")
    figures.check_project_summary(text, truth, "WEB")
    assert "current sprint Sprint 12." in text
    assert "… and 10 more" in text


async def test_the_sprint_12_summary_counts_every_item_and_says_it_is_running(
    team: Team,
) -> None:
    text, truth = await ask(team, "Summarize Sprint 12 progress with completion breakdown")
    figures.check_sprint_summary(text, truth, "Sprint 12")
    assert "Sprint 12 (API, WEB, 2026-01-24 to 2026-02-06) is in progress" in text


async def test_a_finished_sprint_summary_is_not_called_running(team: Team) -> None:
    text, truth = await ask(team, "Summarize Sprint 10 progress with completion breakdown")
    figures.check_sprint_summary(text, truth, "Sprint 10")
    assert "finished" in text.splitlines()[1]


async def test_velocity_compares_finished_sprints_and_says_the_running_one_apart(
    team: Team,
) -> None:
    text, truth = await ask(team, "Compare velocity across the last 4 sprints")
    figures.check_velocity(text, truth, 4)
    assert "the trend is up from 33 to 47" in text
    assert "Sprint 12 is in progress (ends 2026-02-06): 9 points done so far" in text


async def test_the_sprint_11_retrospective(team: Team) -> None:
    text, truth = await ask(team, "Write a detailed sprint retrospective for Sprint 11")
    figures.check_retrospective(text, truth, "Sprint 11")
    assert "Delivered 47 points against 35 in the sprint before (+12)" in text
    assert "The average over the 3 finished sprints up to this one is 38.3 points" in text
    assert "Sprint 12 (2026-01-24 to 2026-02-06) is in progress: it planned 62 points" in text


async def test_a_retrospective_of_the_first_sprint_compares_with_no_sprint_before(
    team: Team,
) -> None:
    """There is no Sprint 8: no "against 0 in the sprint before"."""
    text, truth = await ask(team, "Write a detailed sprint retrospective for Sprint 9")
    figures.check_retrospective(text, truth, "Sprint 9")
    assert "points against" not in text
    assert "No items in the sprint before to compare with." in text


async def test_a_retrospective_of_the_running_sprint_says_it_is_not_over(team: Team) -> None:
    text, truth = await ask(team, "Write a sprint retrospective for Sprint 12")
    figures.check_retrospective(text, truth, "Sprint 12")
    assert "Sprint 12 is still in progress (ends 2026-02-06)" in text
    assert "carry over" not in text
    assert "16 items are still open" in text


async def test_the_bulk_update_proposal_counts(team: Team) -> None:
    text, truth = await ask(team, "Update all Todo items in API project to In Progress")
    figures.check_bulk(text, truth, "API")


@pytest.mark.parametrize("limit", [1, 2])
async def test_a_listing_cut_short_says_how_many_it_left_out(team: Team, limit: int) -> None:
    """The same check, on a listing bounded below its total (items of the tool's budget)."""
    assistant = team.assistant(OfflineModel(), max_items=limit)
    answer = await assistant.ask(team.ask("List all high-priority bugs assigned to me"))
    dataset = await team.work.export(team.workspace.id)
    truth = figures.Truth(dataset, team.clock.now().date())
    figures.check_listing(answer.text, truth, figures.high_bugs_of(truth, "alice"))
    assert f"… and {3 - limit} more" in answer.text
