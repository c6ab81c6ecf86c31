"""Proposed actions: a change the model proposed, applied at most once after a person confirms.

Only the requester or an admin may confirm a single-item action; only an admin a bulk one.
Confirming, rejecting and cancelling cost no credits.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from core.assistant.tools.proposals import ProposalDraft
from core.clock import Clock
from core.errors import NotAllowed, NotFound, SetGetError
from core.work.ports import ChangeResult, WorkItemStore
from core.workspaces import Member, Role

logger = logging.getLogger(__name__)


class ActionState(enum.StrEnum):
    PENDING = "pending"
    APPLYING = "applying"  # claimed by one confirmation; no other can claim it
    APPLIED = "applied"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class ActionClosed(SetGetError):
    """The action was already decided, or expired: nothing happens twice."""


class ActionExpired(ActionClosed):
    """The action expired undecided (a platform takes its buttons away)."""


def _closed(action_id: int, state: ActionState) -> ActionClosed:
    kind = ActionExpired if state is ActionState.EXPIRED else ActionClosed
    return kind(f"action #{action_id} was already {state.value}")


@dataclass(frozen=True)
class ProposedAction:
    id: int
    workspace_id: int
    thread_id: int
    requester_id: int
    draft: ProposalDraft
    state: ActionState
    created_at: datetime
    expires_at: datetime
    decided_by: int | None = None
    decided_at: datetime | None = None
    results: tuple[ChangeResult, ...] = ()

    @property
    def bulk(self) -> bool:
        return self.draft.bulk


class ActionStore(Protocol):
    async def create(
        self,
        *,
        workspace_id: int,
        thread_id: int,
        requester_id: int,
        draft: ProposalDraft,
        now: datetime,
        expires_at: datetime,
    ) -> ProposedAction: ...

    async def get(self, workspace_id: int, action_id: int) -> ProposedAction | None: ...

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
        """Move from `expected` to `to` atomically; False when another decision came first."""
        ...


@dataclass(frozen=True)
class Decision:
    action: ProposedAction
    applied: tuple[ChangeResult, ...]

    @property
    def failed(self) -> tuple[ChangeResult, ...]:
        return tuple(r for r in self.applied if not r.applied)


def may_confirm(action: ProposedAction, member: Member) -> bool:
    if member.role is Role.ADMIN:
        return True
    return not action.bulk and member.id == action.requester_id


class ActionDesk:
    def __init__(
        self, *, actions: ActionStore, work: WorkItemStore, clock: Clock, ttl: timedelta
    ) -> None:
        self._actions = actions
        self._work = work
        self._clock = clock
        self.ttl = ttl

    async def propose(
        self, *, workspace_id: int, thread_id: int, requester: Member, draft: ProposalDraft
    ) -> ProposedAction:
        now = self._clock.now()
        return await self._actions.create(
            workspace_id=workspace_id,
            thread_id=thread_id,
            requester_id=requester.id,
            draft=draft,
            now=now,
            expires_at=now + self.ttl,
        )

    async def withdraw(self, proposals: Sequence[ProposedAction]) -> None:
        """Expire proposals of an answer that was never given (nobody was shown them); one
        that cannot be withdrawn now expires at its time anyway."""
        for action in proposals:
            try:
                await self._actions.transition(
                    action.id,
                    expected=ActionState.PENDING,
                    to=ActionState.EXPIRED,
                    by=None,
                    now=self._clock.now(),
                )
            except Exception as exc:
                logger.warning("could not withdraw proposal #%d (%s)", action.id, type(exc))

    async def confirm(self, workspace_id: int, action_id: int, member: Member) -> Decision:
        action = await self._open(workspace_id, action_id)
        if not may_confirm(action, member):
            who = "an admin" if action.bulk else "the requester or an admin"
            raise NotAllowed(f"only {who} can confirm this action")
        await self._claim(action, ActionState.APPLYING, member)
        results = await self._apply(action)
        try:
            await self._actions.transition(
                action.id,
                expected=ActionState.APPLYING,
                to=ActionState.APPLIED,
                by=member.id,
                now=self._clock.now(),
                results=results,
            )
            return Decision(action=await self._reload(action), applied=results)
        except Exception:
            # The change is made and can never be made again (the action stays APPLYING):
            # the person is told what happened, not that something went wrong.
            logger.exception("action #%d was applied; recording its results failed", action.id)
            applied = replace(
                action,
                state=ActionState.APPLIED,
                decided_by=member.id,
                decided_at=self._clock.now(),
                results=results,
            )
            return Decision(action=applied, applied=results)

    async def reject(self, workspace_id: int, action_id: int, member: Member) -> ProposedAction:
        action = await self._open(workspace_id, action_id)
        if member.role is not Role.ADMIN and member.id != action.requester_id:
            raise NotAllowed("only the requester or an admin can reject this action")
        state = ActionState.CANCELLED if member.id == action.requester_id else ActionState.REJECTED
        await self._claim(action, state, member)
        return await self._reload(action)

    async def _open(self, workspace_id: int, action_id: int) -> ProposedAction:
        action = await self._actions.get(workspace_id, action_id)
        if action is None:
            raise NotFound(f"no proposed action #{action_id} in this workspace")
        if action.state is not ActionState.PENDING:
            raise _closed(action_id, action.state)
        if self._clock.now() >= action.expires_at:
            await self._actions.transition(
                action.id,
                expected=ActionState.PENDING,
                to=ActionState.EXPIRED,
                by=None,
                now=self._clock.now(),
            )
            raise ActionExpired(f"action #{action_id} expired; ask again for a fresh proposal")
        return action

    async def _claim(self, action: ProposedAction, to: ActionState, member: Member) -> None:
        won = await self._actions.transition(
            action.id, expected=ActionState.PENDING, to=to, by=member.id, now=self._clock.now()
        )
        if not won:
            current = await self._reload(action)
            raise _closed(action.id, current.state)

    async def _apply(self, action: ProposedAction) -> tuple[ChangeResult, ...]:
        draft = action.draft
        if draft.new_item is not None:
            try:
                item = await self._work.create(action.workspace_id, draft.new_item)
            except SetGetError as exc:
                return (ChangeResult(key="(new item)", applied=False, reason=str(exc)),)
            return (ChangeResult(key=item.key, applied=True),)
        assert draft.change is not None
        return tuple(await self._work.update(action.workspace_id, draft.keys, draft.change))

    async def _reload(self, action: ProposedAction) -> ProposedAction:
        current = await self._actions.get(action.workspace_id, action.id)
        assert current is not None
        return current
