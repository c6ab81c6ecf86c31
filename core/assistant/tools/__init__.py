"""Tools the model may call: read-only questions, and proposals a person must confirm."""

from core.assistant.tools.runner import ProposalDraft, ToolContext, ToolOutcome, WorkTools

__all__ = ["ProposalDraft", "ToolContext", "ToolOutcome", "WorkTools"]
