"""Every figure of the offline answers agrees with the data, on generated trackers.

Hypothesis builds a tracker (one or two projects, up to five sprints, up to 130 items of any
state, type, priority, owner and estimate, so sprints and listings larger than the tools'
bounds occur) and a day before, inside or after its sprints. The source page's examples
(all but creating an item) are asked through the real loop, and each answer is checked
figure by figure against the dataset by `tests/assistant/figures.py`.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.offline import OfflineModel
from core.work.model import Dataset, ItemState, ItemType, Priority, Project, Sprint, WorkItem
from tests.assistant import figures
from tests.assistant.conftest import make_team
from tests.fakes import FakeClock

FIRST_DAY = date(2026, 1, 5)
CREATED = datetime(2025, 12, 1, 9, 0, tzinfo=UTC)


def item_fields(sprints: int, sprint: int, state: ItemState) -> st.SearchStrategy[Any]:
    """An item's fields; about half the items fall in one sprint, half in one state, so
    some sprints and listings outgrow the tools' bounds (15 open items, 50 listed)."""
    return st.tuples(
        st.sampled_from(["WEB", "API"]),
        st.one_of(st.just(sprint), st.integers(min_value=0, max_value=sprints)),  # 0: none
        st.one_of(st.just(state), st.sampled_from(list(ItemState))),
        st.sampled_from(list(ItemType)),
        st.sampled_from(list(Priority)),
        st.sampled_from(["alice", "bob", "carol", None]),
        st.one_of(st.none(), st.integers(min_value=0, max_value=8)),
    )


class Tracker:
    """A generated dataset and the day it is asked on, shown in a line per item."""

    def __init__(self, dataset: Dataset, today: date) -> None:
        self.dataset, self.today = dataset, today

    def __repr__(self) -> str:
        rows = [
            f"{i.key} {i.sprint or '-'} {i.state.value} {i.type.value} {i.priority.value} "
            f"{i.assignee or '-'} {i.estimate}"
            for i in self.dataset.items
        ]
        sprints = sorted({f"{s.name} {s.start}..{s.end}" for s in self.dataset.sprints})
        keys = [p.key for p in self.dataset.projects]
        return f"Tracker(today={self.today}, projects={keys}, sprints={sprints}, items={rows})"


@st.composite
def trackers(draw: st.DrawFn) -> Tracker:
    keys = ["WEB", *(["API"] if draw(st.booleans()) else [])]
    count = draw(st.integers(min_value=0, max_value=5))
    starts = [FIRST_DAY + timedelta(days=14 * n) for n in range(count)]
    sprints = tuple(
        Sprint(key, f"Sprint {n}", start, start + timedelta(days=13))
        for key in keys
        for n, start in enumerate(starts, start=1)
    )
    numbers = dict.fromkeys(keys, 0)
    items = []
    size = draw(st.sampled_from([0, 4, 25, 70, 130]))
    fields = item_fields(
        count,
        draw(st.integers(min_value=0, max_value=count)),
        draw(st.sampled_from([ItemState.TODO, ItemState.IN_PROGRESS, ItemState.DONE])),
    )
    for drawn, sprint, state, kind, priority, who, estimate in draw(
        st.lists(fields, min_size=size, max_size=size)
    ):
        project = drawn if drawn in numbers else "WEB"
        numbers[project] += 1
        items.append(
            WorkItem(
                project=project,
                number=numbers[project],
                title=f"Item {numbers[project]} of {project}",
                description="",
                type=kind,
                state=state,
                priority=priority,
                assignee=who,
                labels=(),
                estimate=estimate,
                sprint=f"Sprint {sprint}" if 0 < sprint <= count else None,
                created_at=CREATED,
                updated_at=CREATED,
                completed_at=CREATED if state is ItemState.DONE else None,
            )
        )
    today = FIRST_DAY + timedelta(days=draw(st.integers(min_value=-3, max_value=14 * count + 5)))
    projects = tuple(Project(key, key) for key in keys)
    return Tracker(Dataset(projects=projects, sprints=sprints, items=tuple(items)), today)


async def answers(dataset: Dataset, today: date, questions: list[str]) -> list[str]:
    team = await make_team(FakeClock(datetime.combine(today, time(9), tzinfo=UTC)), dataset)
    texts = []
    for n, question in enumerate(questions):
        answer = await team.assistant(OfflineModel()).ask(
            team.ask(question, event=f"ev{n}", thread=f"t{n}")
        )
        texts.append(answer.text)
    return texts


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(trackers(), st.integers(min_value=1, max_value=5))
def test_every_figure_of_the_examples_agrees_with_a_generated_tracker(
    tracker: Tracker, pick: int
) -> None:
    dataset, today = tracker.dataset, tracker.today
    truth = figures.Truth(dataset, today)
    names = truth.sprint_names()
    sprint = names[pick % len(names)] if names else None
    questions = [
        "How many open items are in the WEB project?",
        "List all high-priority bugs assigned to me",
        "Compare velocity across the last 4 sprints",
        "Update all Todo items in WEB project to In Progress",
        "Give an overview of the WEB project",
        *(
            [
                f"Summarize {sprint} progress with completion breakdown",
                f"Write a detailed sprint retrospective for {sprint}",
            ]
            if sprint
            else []
        ),
    ]
    count, bugs, velocity, bulk, overview, *about = asyncio.run(answers(dataset, today, questions))
    figures.check_count(count, truth, "WEB")
    figures.check_listing(bugs, truth, figures.high_bugs_of(truth, "alice"))
    figures.check_velocity(velocity, truth, 4)
    figures.check_bulk(bulk, truth, "WEB")
    figures.check_project_summary(overview, truth, "WEB")
    if sprint:
        figures.check_sprint_summary(about[0], truth, sprint)
        figures.check_retrospective(about[1], truth, sprint)
