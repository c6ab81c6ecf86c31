"""Closed sets of names a person may type (plans, modes), parsed with a clear error."""

from __future__ import annotations

import enum
from typing import Self

from core.errors import InvalidInput


class Choice(enum.StrEnum):
    """A `StrEnum` whose `parse` names every valid choice when the text is not one."""

    @classmethod
    def parse(cls, text: str) -> Self:
        try:
            return cls(text.strip().lower())
        except ValueError:
            names = ", ".join(c.value for c in cls)
            label = cls.__name__.lower()
            raise InvalidInput(f"unknown {label} {text!r} (choose one of: {names})") from None
