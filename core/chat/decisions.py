"""Confirm and Reject on a proposed action, for every platform: who may decide, the decide
flow and what the person and the proposal's message then show. The state lives in the
store, so a decision works after a restart and on any replica, and is taken at most once."""

from __future__ import annotations

from dataclasses import dataclass

from core.assistant.actions import ActionClosed, ActionExpired, ProposedAction
from core.chat.people import Directory, People
from core.chat.replies import Reply, Tone
from core.chat.services import ChatServices
from core.chat.telling import tell
from core.chat.wording import decided_text, not_linked
from core.workspaces import Workspace


@dataclass(frozen=True)
class DecisionOutcome:
    """`private` goes to the person who clicked alone (a refusal); `decided` replaces the
    proposal's buttons; `closed` says why the buttons go without a decision: the proposal
    expired. A proposal already decided keeps its message as it is (it shows who decided
    and the outcome, or is being decided now): only the clicker is told."""

    private: Reply | None = None
    action: ProposedAction | None = None
    decided: Reply | None = None
    closed: str | None = None


@dataclass(frozen=True)
class Click:
    """A person's Confirm or Reject on the proposal that `action_ref` names."""

    team: str
    user: str
    action_ref: str
    confirm: bool


UNKNOWN_ACTION = Reply("This button carries no action I know.", Tone.REFUSAL)


class Decisions:
    def __init__(self, *, services: ChatServices, people: People) -> None:
        self._services = services
        self._people = people

    async def decide(
        self, click: Click, *, directory: Directory, by: str | None
    ) -> DecisionOutcome:
        """`by` names the decider where others read the outcome (a channel message)."""
        try:
            workspace = await self._people.workspace(directory.platform, click.team)
            if workspace is None:
                return DecisionOutcome(private=not_linked(directory.platform, click.team))
            if not click.action_ref.isdigit():
                return DecisionOutcome(private=UNKNOWN_ACTION)
            return await self._decide(workspace, click, directory=directory, by=by)
        except Exception as exc:
            return DecisionOutcome(private=tell(exc, doing="deciding on a proposed action"))

    async def _decide(
        self, workspace: Workspace, click: Click, *, directory: Directory, by: str | None
    ) -> DecisionOutcome:
        member = await self._people.member(workspace, click.team, click.user, directory)
        action_id = int(click.action_ref)
        try:
            async with self._services.chat(workspace) as chat:
                if click.confirm:
                    decision = await chat.desk.confirm(workspace.id, action_id, member)
                    action = decision.action
                    return DecisionOutcome(
                        action=action, decided=decided_text(action, decision, by=by)
                    )
                rejected = await chat.desk.reject(workspace.id, action_id, member)
                return DecisionOutcome(action=rejected, decided=decided_text(rejected, None, by=by))
        except ActionClosed as exc:
            refusal = Reply(f"{exc}.", Tone.REFUSAL)
            # expired undecided: its buttons go; decided by someone: its message says so
            expired = isinstance(exc, ActionExpired)
            return DecisionOutcome(private=refusal, closed=str(exc) if expired else None)
