"""JSON Schemas of the tools, as the model sees them."""

from __future__ import annotations

from typing import Any

from core.llm import ToolSpec
from core.work.model import ItemState, ItemType, Priority


def _names(choice: type[ItemState] | type[ItemType] | type[Priority]) -> list[str]:
    return [c.value for c in choice]


def filter_properties(*, scoped: bool) -> dict[str, Any]:
    """Filters shared by the read tools; a channel bound to a project needs no project."""
    project_help = (
        "Project key, e.g. WEB (defaults to this channel's project)"
        if scoped
        else "Project key, e.g. WEB"
    )
    return {
        "project": {"type": "string", "description": project_help},
        "state": {"type": "array", "items": {"enum": _names(ItemState)}},
        "open_only": {"type": "boolean", "description": "Exclude done and cancelled items"},
        "priority": {"type": "array", "items": {"enum": _names(Priority)}},
        "type": {"type": "array", "items": {"enum": _names(ItemType)}},
        "assignee": {"type": "string", "description": "A member's name, or 'me' for the asker"},
        "label": {"type": "string"},
        "sprint": {"type": "string", "description": "Sprint name, e.g. 'Sprint 12'"},
        "text": {"type": "string", "description": "Words in the title or description"},
    }


def _tool(name: str, description: str, properties: dict[str, Any], required: list[str]) -> ToolSpec:
    schema = {"type": "object", "properties": properties, "required": required}
    return ToolSpec(name=name, description=description, parameters=schema)


def read_tools(*, scoped: bool) -> list[ToolSpec]:
    filters = filter_properties(scoped=scoped)
    project_only = {"project": filters["project"]}
    return [
        _tool("count_work_items", "Count work items matching filters, by state.", filters, []),
        _tool(
            "list_work_items",
            "List work items matching filters (the most urgent first) with the total and how many "
            "were not shown.",
            {**filters, "limit": {"type": "integer", "minimum": 1, "maximum": 50}},
            [],
        ),
        _tool(
            "sprint_progress",
            "Progress of one sprint: items and points by state, completion, who has what; its "
            "status says whether it is finished or still in progress.",
            {**project_only, "sprint": {"type": "string"}},
            ["sprint"],
        ),
        _tool(
            "compare_velocity",
            "Velocity: completed points and items for each of the last N finished sprints; a "
            "sprint still running is given apart, with the work done so far.",
            {**project_only, "last": {"type": "integer", "minimum": 2, "maximum": 12}},
            [],
        ),
        _tool(
            "project_summary",
            "Counts by state, priority and type, the sprint running today, the most urgent open "
            "items.",
            project_only,
            [],
        ),
    ]


def proposal_tools(*, scoped: bool) -> list[ToolSpec]:
    filters = filter_properties(scoped=scoped)
    item = {
        "project": filters["project"],
        "title": {"type": "string"},
        "description": {"type": "string"},
        "type": {"enum": _names(ItemType)},
        "priority": {"enum": _names(Priority)},
        "assignee": {"type": "string"},
        "labels": {"type": "array", "items": {"type": "string"}},
    }
    change = {
        "set_state": {"enum": _names(ItemState)},
        "set_priority": {"enum": _names(Priority)},
        "set_assignee": {"type": "string"},
        "ids": {"type": "array", "items": {"type": "string"}, "description": "e.g. WEB-12"},
    }
    return [
        _tool(
            "propose_create_work_item",
            "Propose creating one work item. Nothing changes until a person confirms.",
            item,
            ["title"],
        ),
        _tool(
            "propose_update_work_items",
            "Propose changing work items given by ids or by filters. Nothing changes until a "
            "person confirms.",
            {**filters, **change},
            [],
        ),
    ]
