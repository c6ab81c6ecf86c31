"""Sentences every platform says the same way: not linked, out of credits, proposals and
their outcome. CommonMark; mentions as `replies` tokens."""

from __future__ import annotations

from core.assistant.actions import ActionState, Decision, ProposedAction
from core.assistant.tools.proposals import ProposalDraft
from core.chat.replies import Reply, Tone
from core.chat.telling import sentence
from core.errors import CreditsUnavailable, OutOfCredits, PacksNotAllowed
from core.plans import PLAN_TERMS, Plan
from core.workspaces import Platform

SHOWN_KEYS = 10
_PLACE = {
    Platform.SLACK: ("Slack workspace", "--slack-team"),
    Platform.DISCORD: ("Discord server", "--discord-guild"),
}


def place_of(platform: Platform) -> tuple[str, str]:
    """What a platform calls a team, and the `workspace link` option that links one."""
    return _PLACE.get(platform, (f"{platform.value} team", f"--{platform.value}"))


NOT_A_MEMBER = Reply(
    "This button belongs to a server you are not a member of: nothing was done.", Tone.REFUSAL
)


def not_linked(platform: Platform, team: str) -> Reply:
    place, option = place_of(platform)
    return Reply(
        f"This {place} is not linked to a SetGet workspace yet. An admin can link it "
        f"with `setget-bot workspace link NAME {option} {team}`."
    )


def cannot_answer(exc: CreditsUnavailable) -> Reply:
    """The notice a member gets instead of an answer (nothing was charged)."""
    text = sentence(exc)
    if isinstance(exc, OutOfCredits) and exc.can_buy_packs:
        text = text.rstrip(".") + " (`/setget buy`)."
    return Reply(f"{text} This thread stays readable.", Tone.REFUSAL)


def who_may_confirm(action: ProposedAction) -> str:
    return "Only an admin can confirm" if action.bulk else "The requester or an admin can confirm"


def summary_for_people(draft: ProposalDraft) -> str:
    """The proposal in people's words: a change reads `state → In Progress`, not the
    stored `in_progress` (the model's summary keeps the names its tools take)."""
    change = draft.change
    if change is None or not draft.keys:
        return draft.summary
    parts = [
        *([f"state → {change.state.label}"] if change.state else []),
        *([f"priority → {change.priority.value}"] if change.priority else []),
        *([f"assignee → {change.assignee}"] if change.assignee else []),
    ]
    if not parts:
        return draft.summary
    count = len(draft.keys)
    return f"Update {count} item{'s' if count != 1 else ''}: {', '.join(parts)}"


def proposal_text(action: ProposedAction) -> str:
    """What will change: the summary, and for several items the count and the first ones."""
    draft = action.draft
    lines = [f"**Proposed action #{action.id}:** {summary_for_people(draft)}"]
    if draft.keys:
        shown = ", ".join(draft.keys[:SHOWN_KEYS])
        more = len(draft.keys) - SHOWN_KEYS
        lines.append(
            f"{len(draft.keys)} item{'s' if len(draft.keys) != 1 else ''}: {shown}"
            + (f" and {more} more" if more > 0 else "")
        )
    return "\n".join(lines)


def decided_text(action: ProposedAction, decision: Decision | None, *, by: str | None) -> Reply:
    """The outcome of a decision; `by` names who decided where others read it (a channel),
    None where the decider reads it alone (the console)."""
    if decision is not None:
        verb = "created" if action.draft.new_item is not None else "changed"
        done = ", ".join(r.key for r in decision.applied if r.applied) or "nothing"
        head = f"Confirmed by {by}: " if by else f"Action #{action.id} applied: "
        failures = [f"{r.key} not {verb}: {r.reason}" for r in decision.failed]
        return Reply("\n".join([f"{head}{done} {verb}.", *failures]), Tone.SUCCESS)
    verb = "Cancelled" if action.state is ActionState.CANCELLED else "Rejected"
    if by:
        return Reply(f"{verb} by {by}; nothing changed.", Tone.INFO)
    return Reply(f"Action #{action.id} {verb.lower()}; nothing changed.", Tone.INFO)


def packs_refusal(plan: Plan) -> Reply | None:
    """Why this plan cannot buy packs, or None when it can."""
    if PLAN_TERMS[plan].can_buy_packs:
        return None
    return Reply(sentence(PacksNotAllowed(plan.value)), Tone.REFUSAL)
