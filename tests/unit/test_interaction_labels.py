"""One spelling for people of every interaction type, whether from the enum or a stored value."""

from __future__ import annotations

from core.credits.interactions import INTERACTION_LABELS, interaction_label
from core.credits.pricing import InteractionType


def test_every_type_has_a_label_without_underscores() -> None:
    assert set(INTERACTION_LABELS) == set(InteractionType)
    assert all("_" not in label for label in INTERACTION_LABELS.values())


def test_a_stored_value_reads_as_its_type() -> None:
    assert interaction_label("action_bulk") == interaction_label(InteractionType.ACTION_BULK)
    assert interaction_label(InteractionType.COMPLEX_MULTI_TURN) == "complex multi-turn"
    assert interaction_label("") == ""
