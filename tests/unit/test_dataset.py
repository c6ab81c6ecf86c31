"""The `data import` format: defaults, the first bad record named, the JSON round trip;
and the demo tracker the examples answer from."""

from __future__ import annotations

import copy
import itertools
import json
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from core.errors import InvalidInput
from core.work.dataset import check_dataset, dataset_to_json, parse_dataset
from core.work.demo_data import DEMO_MEMBERS, demo_dataset
from core.work.model import Dataset, ItemState, ItemType, Priority

NOW = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
TODAY = date(2026, 3, 10)


def good() -> dict[str, Any]:
    return {
        "projects": [{"key": "WEB", "name": "Website"}, {"key": "API", "name": "Public API"}],
        "sprints": [
            {"project": "WEB", "name": "Sprint 1", "start": "2026-01-05", "end": "2026-01-18"}
        ],
        "items": [
            {"id": "WEB-1", "title": "Login fails"},
            {
                "id": "WEB-2",
                "title": "Slow pricing page",
                "description": "6 seconds on mobile",
                "type": "bug",
                "state": "in progress",
                "priority": "High",
                "assignee": "alice",
                "labels": ["perf", "frontend"],
                "estimate": 3,
                "sprint": "Sprint 1",
                "created": "2026-01-06T10:00:00+02:00",
                "updated": "2026-01-07",
                "completed": None,
            },
            {"id": "API-1", "title": "Tokens", "state": "done", "created": "2026-01-06T08:00:00Z"},
            {"id": "WEB-12", "title": "Docs"},
        ],
    }


def test_optional_fields_have_defaults_and_values_are_normalized() -> None:
    dataset = parse_dataset(good(), now=NOW)
    first, second, done, _ = dataset.items
    assert (first.type, first.state, first.priority) == (
        ItemType.TASK,
        ItemState.BACKLOG,
        Priority.NONE,
    )
    assert (first.assignee, first.labels, first.estimate, first.sprint) == (None, (), None, None)
    assert (first.created_at, first.updated_at, first.completed_at) == (NOW, NOW, None)
    assert (second.state, second.priority, second.labels) == (
        ItemState.IN_PROGRESS,
        Priority.HIGH,
        ("perf", "frontend"),
    )
    assert second.created_at == datetime(2026, 1, 6, 8, 0, tzinfo=UTC)
    assert second.updated_at == datetime(2026, 1, 7, tzinfo=UTC)
    assert done.completed_at == done.updated_at == datetime(2026, 1, 6, 8, 0, tzinfo=UTC)


def _set(path: str, value: object) -> dict[str, Any]:
    """`good()` with one value changed, e.g. `items.3.state`."""
    data = good()
    *parents, last = path.split(".")
    target: Any = data
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[int(last) if last.isdigit() else last] = value
    return data


BAD_RECORDS = [
    ("items.3.state", "doing", "items[3] (WEB-12): unknown state 'doing' (choose one of: "),
    ("items.3.id", "XYZ-3", "items[3] (XYZ-3): project 'XYZ' is not in projects"),
    ("items.3.id", "web-1", "items[3] (web-1): id WEB-1 appears twice"),
    ("items.1.sprint", "Sprint 7", "items[1] (WEB-2): sprint 'Sprint 7' is not a sprint of WEB"),
    ("items.2.sprint", "Sprint 1", "items[2] (API-1): sprint 'Sprint 1' is not a sprint of API"),
    ("items.1.type", "epic", "items[1] (WEB-2): unknown type 'epic' (choose one of: bug, "),
    ("items.1.priority", 1, "items[1] (WEB-2): unknown priority 1 (choose one of: urgent, "),
    ("items.0.id", "WEB12", "items[0] (WEB12): bad work item id 'WEB12': use PROJECT-NUMBER"),
    ("items.0.title", None, "items[0] (WEB-1): title is missing"),
    ("items.0.title", "  ", "items[0] (WEB-1): title is empty"),
    ("items.0.estimate", -1, "items[0] (WEB-1): estimate must be a whole number of points"),
    ("items.0.estimate", "3", "items[0] (WEB-1): estimate must be a whole number of points"),
    ("items.0.labels", "perf", "items[0] (WEB-1): labels must be a list of text, not 'perf'"),
    ("items.0.labels", ["a,b"], "items[0] (WEB-1): bad label 'a,b'"),
    ("items.0.asignee", "bob", "items[0] (WEB-1): unknown field 'asignee' (known: id, title,"),
    ("items.0", "WEB-1", "items[0]: must be an object with id, title,"),
    ("items.1.created", "yesterday", "items[1] (WEB-2): bad created time 'yesterday' (use ISO"),
    ("items.1.updated", "2026-01-01", "items[1] (WEB-2): updated (2026-01-01T00:00:00Z) is before"),
    ("items.1.completed", "2026-01-01", "items[1] (WEB-2): completed (2026-01-01T00:00:00Z) is"),
    (
        "sprints.0.end",
        "2026-01-01",
        "sprints[0] (WEB Sprint 1): ends (2026-01-01) before it starts",
    ),
    ("sprints.0.start", "05/01/2026", "sprints[0] (WEB Sprint 1): bad start date '05/01/2026'"),
    ("sprints.0.end", None, "sprints[0] (WEB Sprint 1): end is missing (use YYYY-MM-DD)"),
    ("sprints.0.project", "XYZ", "sprints[0] (XYZ Sprint 1): project 'XYZ' is not in projects"),
    ("projects.1.key", "web", "projects[1] (web): bad project key 'web': use 2-10 capital"),
    ("projects.1.key", "WEB", "projects[1] (WEB): project WEB appears twice"),
    ("projects.1.name", "", "projects[1] (API): name is empty"),
    ("items", {}, "items must be a list of objects"),
    ("tasks", [], "unknown field 'tasks' (known: projects, sprints, items)"),
]


@pytest.mark.parametrize(("path", "value", "message"), BAD_RECORDS)
def test_the_first_bad_record_is_named(path: str, value: object, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_dataset(_set(path, value), now=NOW)
    assert str(refused.value).startswith(message)


def test_a_bad_choice_lists_every_choice_and_a_file_must_hold_an_object() -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_dataset(_set("items.3.state", "doing"), now=NOW)
    assert str(refused.value) == (
        "items[3] (WEB-12): unknown state 'doing' "
        "(choose one of: backlog, todo, in_progress, done, cancelled)"
    )
    with pytest.raises(InvalidInput, match="the file must hold a JSON object"):
        parse_dataset([], now=NOW)


def test_only_the_first_of_several_bad_records_is_named() -> None:
    data = _set("items.3.state", "doing")
    data["items"][1]["priority"] = "asap"
    data["sprints"][0]["end"] = "2025-12-31"
    with pytest.raises(InvalidInput, match=r"^sprints\[0\] \(WEB Sprint 1\): ends"):
        parse_dataset(data, now=NOW)
    data["sprints"][0]["end"] = "2026-01-18"
    with pytest.raises(InvalidInput, match=r"^items\[1\] \(WEB-2\): unknown priority 'asap'"):
        parse_dataset(data, now=NOW)


def test_json_round_trip_gives_the_same_dataset() -> None:
    parsed = parse_dataset(good(), now=NOW)
    assert parse_dataset(dataset_to_json(parsed), now=NOW + timedelta(days=1)) == parsed
    demo = demo_dataset(TODAY)
    as_json = json.loads(json.dumps(dataset_to_json(demo)))
    assert parse_dataset(as_json, now=NOW) == demo
    assert as_json["items"][0]["created"].endswith("Z")


def test_check_dataset_names_the_bad_record_of_a_built_dataset() -> None:
    demo = demo_dataset(TODAY)
    items = list(demo.items)
    items[5] = replace(items[5], sprint="Sprint 99")
    with pytest.raises(InvalidInput, match=r"^items\[5\] \(API-6\): sprint 'Sprint 99'"):
        check_dataset(replace(demo, items=tuple(items)))
    twice = replace(demo, items=(*demo.items, demo.items[0]))
    with pytest.raises(InvalidInput, match=r"id API-1 appears twice"):
        check_dataset(twice)


def test_the_input_is_not_changed_by_parsing() -> None:
    data = good()
    before = copy.deepcopy(data)
    parse_dataset(data, now=NOW)
    assert data == before


def _velocity(dataset: Dataset, project: str) -> dict[str, int]:
    points: dict[str, int] = defaultdict(int)
    for item in dataset.items:
        if item.project == project and item.state is ItemState.DONE and item.sprint:
            points[item.sprint] += item.estimate or 0
    return dict(points)


def test_the_demo_is_valid_deterministic_and_sized_for_the_examples() -> None:
    demo = demo_dataset(TODAY)
    check_dataset(demo)
    assert demo == demo_dataset(TODAY)
    assert 60 <= len(demo.items) <= 90
    assert [(p.key, p.name) for p in demo.projects] == [("API", "Public API"), ("WEB", "Website")]
    assert {i.assignee for i in demo.items} == {*DEMO_MEMBERS, None}
    assert {i.state for i in demo.items} == set(ItemState)
    assert {i.priority for i in demo.items} == set(Priority)
    assert {"frontend", "backend", "auth", "perf", "docs"} <= {
        x for i in demo.items for x in i.labels
    }


def test_the_demo_sprints_end_with_the_current_one() -> None:
    demo = demo_dataset(TODAY)
    for project in ("WEB", "API"):
        sprints = [s for s in demo.sprints if s.project == project]
        assert [s.name for s in sprints] == ["Sprint 9", "Sprint 10", "Sprint 11", "Sprint 12"]
        assert sprints[-1].start <= TODAY <= sprints[-1].end
        for before, after in itertools.pairwise(sprints):
            assert (before.end - before.start).days == 13
            assert after.start == before.end + timedelta(days=1)


def test_the_demo_has_what_the_example_questions_ask_about() -> None:
    demo = demo_dataset(TODAY)
    web_open = [i for i in demo.items if i.project == "WEB" and i.state.is_open]
    alice_bugs = [
        i
        for i in web_open
        if i.type is ItemType.BUG and i.priority is Priority.HIGH and i.assignee == "alice"
    ]
    assert len(web_open) >= 10
    assert len(alice_bugs) >= 2
    assert len([i for i in demo.items if i.project == "API" and i.state is ItemState.TODO]) >= 5
    for project in ("WEB", "API"):
        velocity = _velocity(demo, project)
        assert len(velocity) == 4
        assert len(set(velocity.values())) == 4  # differs from sprint to sprint


def test_done_demo_items_complete_inside_their_sprint_before_today() -> None:
    demo = demo_dataset(TODAY)
    sprints = {(s.project, s.name): s for s in demo.sprints}
    for item in demo.items:
        if item.state is not ItemState.DONE:
            assert item.completed_at is None, item.key
            continue
        assert item.completed_at is not None, item.key
        assert item.sprint is not None, item.key
        sprint = sprints[(item.project, item.sprint)]
        assert sprint.start <= item.completed_at.date() <= min(sprint.end, TODAY), item.key
        assert (
            item.created_at <= item.updated_at <= datetime.combine(TODAY, datetime.min.time(), UTC)
        )
