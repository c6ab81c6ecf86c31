"""The offline demo model answers the source page's examples through the real loop."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.offline import OfflineModel
from adapters.offline.intents import understand, understand_follow_up
from adapters.offline.model import _next_calls
from core.credits.pricing import InteractionType
from tests.assistant.conftest import Team

SPRINTS = ("sprint_progress",) * 4
EXAMPLES = [
    (
        "How many open items are in the WEB project?",
        ("count_work_items",),
        InteractionType.SIMPLE_QUESTION,
        "open work items in WEB",
    ),
    (
        "List all high-priority bugs assigned to me",
        ("list_work_items",),
        InteractionType.SIMPLE_QUESTION,
        "alice",
    ),
    (
        "Summarize Sprint 12 progress with completion breakdown",
        ("sprint_progress", "list_work_items"),
        InteractionType.SUMMARIZATION,
        "% complete by points",
    ),
    (
        "Create a work item titled 'Fix header layout' in the WEB project",
        ("propose_create_work_item",),
        InteractionType.ACTION_SINGLE,
        "Fix header layout",
    ),
    (
        "Compare velocity across the last 4 sprints",
        ("compare_velocity", *SPRINTS, *("list_work_items",) * 4),
        InteractionType.DATA_ANALYSIS,
        "Sprint 9",
    ),
    (
        "Update all Todo items in API project to In Progress",
        (
            "count_work_items",
            "list_work_items",
            "list_work_items",
            "project_summary",
            "sprint_progress",
            "propose_update_work_items",
        ),
        InteractionType.ACTION_BULK,
        "Only an admin can confirm",
    ),
    (
        "Write a detailed sprint retrospective for Sprint 11",
        (
            "sprint_progress",
            "list_work_items",
            "compare_velocity",
            "list_work_items",
            "list_work_items",
            "sprint_progress",
        ),
        InteractionType.SUMMARIZATION,
        "What went well",
    ),
]


@pytest.mark.parametrize(("text", "tools", "kind", "words"), EXAMPLES)
async def test_each_example_is_answered_from_the_data_and_labelled(
    team: Team, text: str, tools: tuple[str, ...], kind: InteractionType, words: str
) -> None:
    answer = await team.assistant(OfflineModel()).ask(team.ask(text))
    assert answer.text.startswith("(offline demo model")
    assert words in answer.text
    assert answer.interaction_type is kind
    assert team.audit.records[-1].tools == tools
    assert answer.usage.estimated
    assert answer.usage.input_tokens > 1000  # the system context and tools were counted
    assert answer.charge is not None
    assert answer.charge.credits >= 1


@pytest.mark.parametrize(
    ("text", "tool", "arguments"),
    [
        ("how many bugs in API?", "count_work_items", {"project": "API", "open_only": False}),
        ("Summarise the WEB project", "project_summary", {"project": "WEB"}),
        ("Give me a summary of project WEB", "project_summary", {"project": "WEB"}),
        ("An overview of the API project, please", "project_summary", {"project": "API"}),
        (
            "show urgent tasks assigned to bob in WEB",
            "list_work_items",
            {
                "project": "WEB",
                "type": ["task"],
                "priority": ["urgent"],
                "assignee": "bob",
                "open_only": True,
            },
        ),
        ("What's the status of sprint 10?", "sprint_progress", {"sprint": "Sprint 10"}),
        (
            "compare velocity over the last 3 sprints for WEB",
            "compare_velocity",
            {"project": "WEB", "last": 3},
        ),
        (
            "Move all backlog items in WEB to todo",
            "count_work_items",  # it counts and lists them before it proposes the change
            {"project": "WEB", "state": ["backlog"]},
        ),
        (
            'create a bug called "Login fails" in API',
            "propose_create_work_item",
            {"project": "API", "title": "Login fails", "type": "bug"},
        ),
    ],
)
def test_simple_variations_are_understood(
    text: str, tool: str, arguments: dict[str, object]
) -> None:
    intent = understand(text)
    assert intent is not None
    assert (intent.tool, intent.arguments) == (tool, arguments)


async def test_anything_else_gets_help_without_a_tool_call(team: Team) -> None:
    answer = await team.assistant(OfflineModel()).ask(team.ask("Tell me a joke"))
    assert "I can answer questions like" in answer.text
    assert team.audit.records[-1].tools == ()


@pytest.mark.parametrize(
    ("text", "credits"),
    [
        ("How many open items are in the WEB project?", {1}),
        ("List all high-priority bugs assigned to me", {1, 2}),
        ("Summarize Sprint 12 progress with completion breakdown", {3}),
        ("Create a work item titled 'Fix header layout' in the WEB project", {1}),
        ("Compare velocity across the last 4 sprints", {4}),
        ("Update all Todo items in API project to In Progress", {4}),
        ("Write a detailed sprint retrospective for Sprint 11", {5}),
    ],
)
async def test_examples_cost_what_the_source_pages_table_says(
    team: Team, text: str, credits: set[int]
) -> None:
    answer = await team.assistant(OfflineModel()).ask(team.ask(text))
    assert answer.charge is not None
    assert answer.charge.credits in credits


def test_a_plan_step_with_nothing_to_read_is_skipped_not_ended() -> None:
    """A project without sprints: the bulk change still reaches its proposal."""
    intent = understand("Update all Todo items in API project to In Progress")
    assert intent is not None
    read: list[tuple[str, Any]] = [
        ("count_work_items", {"total": 2}),
        ("list_work_items", {"items": []}),
        ("list_work_items", {"items": []}),
        ("project_summary", {"current_sprint": None}),
    ]
    calls = _next_calls(intent, 2, read)
    assert [c.name for c in calls] == ["propose_update_work_items"]
    assert _next_calls(intent, 3, [*read, ("propose_update_work_items", {})]) == ()
    with_sprint = [*read[:3], ("project_summary", {"current_sprint": "Sprint 12"})]
    assert [c.arguments for c in _next_calls(intent, 2, with_sprint)] == [
        {"project": "API", "sprint": "Sprint 12"}
    ]


async def test_a_retrospective_of_the_latest_sprint_reads_no_sprint_after(team: Team) -> None:
    answer = await team.assistant(OfflineModel()).ask(
        team.ask("Write a sprint retrospective for Sprint 12")
    )
    assert "There is no later sprint yet" in answer.text
    assert team.audit.records[-1].tools.count("sprint_progress") == 1


@pytest.mark.parametrize(
    ("text", "earlier", "project"),
    [
        ("Which of them are bugs?", ["How many open items are in the WEB project?"], "WEB"),
        (
            "show those bugs assigned to bob",
            ["how many bugs in API?", "summarise project WEB"],
            "WEB",
        ),
        ("Which of them are bugs in API?", ["How many open items in WEB?"], "API"),  # named
        ("Which bugs are urgent?", ["How many open items in WEB?"], None),  # no reference
        ("Which of them are bugs?", ["Tell me a joke"], None),  # nothing to refer to
    ],
)
def test_a_follow_up_that_refers_back_keeps_the_earlier_project(
    text: str, earlier: list[str], project: str | None
) -> None:
    intent = understand_follow_up(text, earlier)
    assert intent is not None
    assert intent.arguments.get("project") == project


async def test_which_of_them_after_a_projects_count_lists_that_projects_items(
    team: Team,
) -> None:
    assistant = team.assistant(OfflineModel())
    await assistant.ask(team.ask("How many open items are in the WEB project?", event="e1"))
    answer = await assistant.ask(team.ask("Which of them are bugs?", event="e2"))
    listed = [line for line in answer.text.splitlines() if line.startswith("• ")]
    assert listed, answer.text
    assert all(line.startswith("• WEB-") for line in listed), answer.text
