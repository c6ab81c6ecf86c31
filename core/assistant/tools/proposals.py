"""The proposal tools: they describe a change for a person to confirm and change nothing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.assistant.tools.filters import ToolContext, assignee_of, item_filter, project_of
from core.assistant.tools.reads import item_brief
from core.errors import InvalidInput
from core.work.model import ItemFilter, ItemState, ItemType, Priority
from core.work.ports import ItemChange, NewItem, WorkItemStore

MAX_BULK = 200  # items one proposal may change
MAX_TITLE = 200


@dataclass(frozen=True)
class ProposalDraft:
    """What the model proposed: one new item, or a change to the listed items."""

    summary: str
    new_item: NewItem | None = None
    keys: tuple[str, ...] = ()
    change: ItemChange | None = None

    @property
    def bulk(self) -> bool:
        return len(self.keys) > 1


async def propose_create(
    store: WorkItemStore, args: Mapping[str, Any], ctx: ToolContext
) -> tuple[dict[str, Any], ProposalDraft]:
    project = project_of(args, ctx)
    if project is None:
        raise InvalidInput("which project? give project, e.g. WEB")
    if project not in {p.key for p in await store.projects(ctx.workspace_id)}:
        raise InvalidInput(f"there is no project {project}")
    title = str(args.get("title") or "").strip()
    if not title or len(title) > MAX_TITLE:
        raise InvalidInput(f"a title of 1 to {MAX_TITLE} characters is needed")
    item = NewItem(
        project=project,
        title=title,
        description=str(args.get("description") or ""),
        type=ItemType.parse(str(args.get("type") or "task")).value,
        priority=Priority.parse(str(args.get("priority") or "none")),
        assignee=assignee_of(args.get("assignee"), ctx),
        labels=tuple(str(label) for label in args.get("labels") or []),
    )
    summary = f"Create {item.type} “{title}” in {project}"
    result = {"proposal": summary, "status": "awaiting confirmation by a person"}
    return result, ProposalDraft(summary=summary, new_item=item)


def _change(args: Mapping[str, Any], ctx: ToolContext) -> ItemChange:
    change = ItemChange(
        state=ItemState.parse(str(args["set_state"])) if args.get("set_state") else None,
        priority=Priority.parse(str(args["set_priority"])) if args.get("set_priority") else None,
        assignee=assignee_of(args.get("set_assignee"), ctx),
    )
    if change == ItemChange():
        raise InvalidInput("say what to change: set_state, set_priority or set_assignee")
    return change


async def propose_update(
    store: WorkItemStore, args: Mapping[str, Any], ctx: ToolContext, *, max_items: int
) -> tuple[dict[str, Any], ProposalDraft]:
    change = _change(args, ctx)
    where = item_filter(args, ctx)
    if where == ItemFilter(project=where.project) and not where.project:
        raise InvalidInput("say which items: ids or filters")
    page = await store.find(ctx.workspace_id, where, limit=MAX_BULK)
    if not page.total:
        raise InvalidInput("no work items match; nothing to change")
    if page.total > MAX_BULK:
        raise InvalidInput(f"{page.total} items match; narrow it to at most {MAX_BULK}")
    keys = tuple(i.key for i in page.items)
    summary = f"Update {len(keys)} item{'s' if len(keys) != 1 else ''}: {_describe(change)}"
    result = {
        "proposal": summary,
        "status": "awaiting confirmation by a person",
        "affected": len(keys),
        "first_items": [item_brief(i) for i in page.items[:max_items]],
        "not_shown": max(0, len(keys) - max_items),
    }
    return result, ProposalDraft(summary=summary, keys=keys, change=change)


def _describe(change: ItemChange) -> str:
    parts = []
    if change.state:
        parts.append(f"state → {change.state.label}")
    if change.priority:
        parts.append(f"priority → {change.priority.value}")
    if change.assignee:
        parts.append(f"assignee → {change.assignee}")
    return ", ".join(parts)
