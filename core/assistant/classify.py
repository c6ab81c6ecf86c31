"""The interaction type recorded with each charge, derived from what the interaction did."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.assistant.tools.runner import ToolOutcome
from core.credits.pricing import InteractionType

SUMMARY_TOOLS = frozenset({"sprint_progress", "project_summary"})
ANALYSIS_TOOLS = frozenset({"compare_velocity"})
LONG_THREAD_TURNS = 6  # earlier turns that make a follow-up "complex multi-turn"
SCAN_ITEMS = 10  # items listed beyond which a question is "data analysis"


@dataclass(frozen=True)
class InteractionFacts:
    outcomes: Sequence[ToolOutcome]
    earlier_turns: int
    output_tokens: int


def interaction_type(facts: InteractionFacts) -> InteractionType:
    """Actions first (what a person must confirm), then thread length, then the data read."""
    drafts = [o.proposal for o in facts.outcomes if o.proposal is not None]
    if drafts:
        bulk = any(d.bulk for d in drafts)
        return InteractionType.ACTION_BULK if bulk else InteractionType.ACTION_SINGLE
    if facts.earlier_turns >= LONG_THREAD_TURNS:
        return InteractionType.COMPLEX_MULTI_TURN
    return _reading_type(facts.outcomes)


def _reading_type(outcomes: Sequence[ToolOutcome]) -> InteractionType:
    names = {o.call.name for o in outcomes if not o.failed}
    first = outcomes[0].call.name if outcomes else ""
    if first in ANALYSIS_TOOLS:  # the first call says what was asked; later ones support it
        return InteractionType.DATA_ANALYSIS
    if names & SUMMARY_TOOLS:
        return InteractionType.SUMMARIZATION
    listed = sum(int(o.result.get("shown", 0)) for o in outcomes)
    if names & ANALYSIS_TOOLS or listed > SCAN_ITEMS or len(outcomes) > 2:
        return InteractionType.DATA_ANALYSIS
    return InteractionType.SIMPLE_QUESTION
