"""Proposed actions in SQL: the draft and per-item results as JSON text, decided at most once."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update

from adapters.storage.database import Database, utc
from adapters.storage.tables import proposed_actions
from core.assistant.actions import ActionState, ProposedAction
from core.assistant.tools.proposals import ProposalDraft
from core.work.model import ItemState, Priority
from core.work.ports import ChangeResult, ItemChange, NewItem


class SqlActionStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create(
        self,
        *,
        workspace_id: int,
        thread_id: int,
        requester_id: int,
        draft: ProposalDraft,
        now: datetime,
        expires_at: datetime,
    ) -> ProposedAction:
        async with self._db.write() as conn:
            action_id = await conn.scalar(
                proposed_actions.insert()
                .values(
                    workspace_id=workspace_id,
                    thread_id=thread_id,
                    requester_id=requester_id,
                    state=ActionState.PENDING.value,
                    draft=_draft_json(draft),
                    results=_results_json(()),
                    created_at=now.astimezone(UTC),
                    expires_at=expires_at.astimezone(UTC),
                )
                .returning(proposed_actions.c.id)
            )
        return ProposedAction(
            id=int(action_id),
            workspace_id=workspace_id,
            thread_id=thread_id,
            requester_id=requester_id,
            draft=draft,
            state=ActionState.PENDING,
            created_at=now,
            expires_at=expires_at,
        )

    async def get(self, workspace_id: int, action_id: int) -> ProposedAction | None:
        """The action, or None when it does not exist in this workspace."""
        a = proposed_actions.c
        async with self._db.read() as conn:
            row = (
                await conn.execute(
                    select(proposed_actions).where(
                        a.id == action_id, a.workspace_id == workspace_id
                    )
                )
            ).one_or_none()
        return None if row is None else _action(row)

    async def transition(
        self,
        action_id: int,
        *,
        expected: ActionState,
        to: ActionState,
        by: int | None,
        now: datetime,
        results: tuple[ChangeResult, ...] = (),
    ) -> bool:
        """Move from `expected` to `to` with one conditional UPDATE: only one caller wins."""
        a = proposed_actions.c
        values: dict[str, Any] = {
            "state": to.value,
            "decided_by": by,
            "decided_at": now.astimezone(UTC),
        }
        if results:
            values["results"] = _results_json(results)
        async with self._db.write() as conn:
            won = await conn.scalar(
                update(proposed_actions)
                .where(a.id == action_id, a.state == expected.value)
                .values(**values)
                .returning(a.id)
            )
        return won is not None


def _action(row: Any) -> ProposedAction:
    return ProposedAction(
        id=row.id,
        workspace_id=row.workspace_id,
        thread_id=row.thread_id,
        requester_id=row.requester_id,
        draft=_draft_from_json(row.draft),
        state=ActionState(row.state),
        created_at=utc(row.created_at),
        expires_at=utc(row.expires_at),
        decided_by=row.decided_by,
        decided_at=None if row.decided_at is None else utc(row.decided_at),
        results=_results_from_json(row.results),
    )


def _draft_json(draft: ProposalDraft) -> str:
    new, change = draft.new_item, draft.change
    return json.dumps(
        {
            "summary": draft.summary,
            "new_item": None if new is None else _new_item_dict(new),
            "keys": list(draft.keys),
            "change": None if change is None else _change_dict(change),
        }
    )


def _draft_from_json(text: str) -> ProposalDraft:
    data = json.loads(text)
    new, change = data["new_item"], data["change"]
    return ProposalDraft(
        summary=data["summary"],
        new_item=None if new is None else _new_item(new),
        keys=tuple(data["keys"]),
        change=None if change is None else _change(change),
    )


def _results_json(results: tuple[ChangeResult, ...]) -> str:
    return json.dumps([{"key": r.key, "applied": r.applied, "reason": r.reason} for r in results])


def _results_from_json(text: str) -> tuple[ChangeResult, ...]:
    return tuple(
        ChangeResult(key=r["key"], applied=r["applied"], reason=r["reason"])
        for r in json.loads(text)
    )


def _new_item_dict(item: NewItem) -> dict[str, Any]:
    return {
        "project": item.project,
        "title": item.title,
        "description": item.description,
        "type": item.type,
        "priority": item.priority.value,
        "assignee": item.assignee,
        "labels": list(item.labels),
        "estimate": item.estimate,
        "sprint": item.sprint,
    }


def _new_item(data: dict[str, Any]) -> NewItem:
    return NewItem(
        project=data["project"],
        title=data["title"],
        description=data["description"],
        type=data["type"],
        priority=Priority(data["priority"]),
        assignee=data["assignee"],
        labels=tuple(data["labels"]),
        estimate=data["estimate"],
        sprint=data["sprint"],
    )


def _change_dict(change: ItemChange) -> dict[str, Any]:
    return {
        "state": None if change.state is None else change.state.value,
        "priority": None if change.priority is None else change.priority.value,
        "assignee": change.assignee,
        "sprint": change.sprint,
        "add_labels": list(change.add_labels),
    }


def _change(data: dict[str, Any]) -> ItemChange:
    state, priority = data["state"], data["priority"]
    return ItemChange(
        state=None if state is None else ItemState(state),
        priority=None if priority is None else Priority(priority),
        assignee=data["assignee"],
        sprint=data["sprint"],
        add_labels=tuple(data["add_labels"]),
    )
