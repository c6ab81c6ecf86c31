"""Text from outside made storable the same way on every database engine.

PostgreSQL refuses a NUL byte in a text column and no engine can encode a lone surrogate, while
SQLite stores both: so text that a person, a model or a provider wrote is cleaned once in core,
before anything is held or charged, and every engine stores (and refuses) the same text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# C0 controls but tab and newline, DEL, C1 controls, and UTF-16 surrogates (never valid on
# their own; a JSON escape such as "\ud800" still produces one).
_UNSTORABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_CARRIAGE_RETURN = re.compile("\r\n?")


def storable(text: str) -> str:
    """`text` without control characters (tab and newline stay; a carriage return becomes a
    newline) and without lone surrogates."""
    return _UNSTORABLE.sub("", _CARRIAGE_RETURN.sub("\n", text))


def storable_values(value: Any) -> Any:
    """Every string in a JSON-like value (tool arguments) made storable, keys included."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, Mapping):
        return {storable_values(k): storable_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable_values(v) for v in value]
    if isinstance(value, tuple):
        return tuple(storable_values(v) for v in value)
    return value
