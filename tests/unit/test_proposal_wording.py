"""Proposals and their outcome in people's words: states by their tracker names, a created
item reported as created."""

from __future__ import annotations

from datetime import UTC, datetime

from core.assistant.actions import ActionState, Decision, ProposedAction
from core.assistant.tools.proposals import ProposalDraft
from core.chat.wording import decided_text, proposal_text
from core.work.model import ItemState
from core.work.ports import ChangeResult, ItemChange, NewItem

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def action(draft: ProposalDraft) -> ProposedAction:
    return ProposedAction(
        id=7,
        workspace_id=1,
        thread_id=1,
        requester_id=1,
        draft=draft,
        state=ActionState.PENDING,
        created_at=NOW,
        expires_at=NOW,
    )


UPDATE = ProposalDraft(
    summary="Update 2 items: state → in_progress",  # as the proposal tool stores it
    keys=("API-1", "API-2"),
    change=ItemChange(state=ItemState.IN_PROGRESS),
)
CREATE = ProposalDraft(
    summary="Create task “Fix header layout” in WEB",
    new_item=NewItem(project="WEB", title="Fix header layout"),
)


def test_a_state_change_shows_the_state_as_people_know_it() -> None:
    text = proposal_text(action(UPDATE))
    assert "Update 2 items: state → In Progress" in text
    assert "in_progress" not in text


def test_a_confirmed_create_reports_the_item_created() -> None:
    done = Decision(action(CREATE), (ChangeResult("WEB-38", applied=True),))
    assert decided_text(done.action, done, by="@bob").text == "Confirmed by @bob: WEB-38 created."
    assert decided_text(done.action, done, by=None).text == "Action #7 applied: WEB-38 created."


def test_a_confirmed_update_reports_the_items_changed() -> None:
    done = Decision(action(UPDATE), tuple(ChangeResult(k, applied=True) for k in UPDATE.keys))
    assert decided_text(done.action, done, by=None).text == (
        "Action #7 applied: API-1, API-2 changed."
    )
