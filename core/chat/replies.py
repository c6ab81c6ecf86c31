"""What the chat layer says: neutral replies (CommonMark text plus a tone) that each platform
renders in its own markup, and references to channels and people inside that text."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from core.assistant.llm_settings import WorkspaceLLM


class Tone(enum.StrEnum):
    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    REFUSAL = "refusal"


@dataclass(frozen=True)
class Attachment:
    """A file for the person who asked only (Slack: their DM; Discord: an ephemeral
    follow-up, or their DM when it is one to keep; the console: a file on disk)."""

    filename: str
    data: bytes
    title: str
    keep: bool = False  # a record to keep (the audit export), not a picture to glance at


@dataclass(frozen=True)
class BuyForm:
    """Pick a pack size (then confirm the purchase)."""

    sizes: tuple[int, ...]


@dataclass(frozen=True)
class ConfigForm:
    """A self-hosted workspace's model settings, pre-filled; the key is never echoed."""

    own: WorkspaceLLM | None


Form = BuyForm | ConfigForm


@dataclass(frozen=True)
class Reply:
    text: str  # CommonMark, with `channel_ref`/`user_ref` tokens for mentions
    tone: Tone = Tone.INFO
    files: tuple[Attachment, ...] = ()
    form: Form | None = None
    notes: tuple[Reply, ...] = field(default=())  # said after the form opened


# Mentions are tokens in private-use code points, which no markup escape touches and no
# person's text can contain (the layer cleans them out of what people and models write).
_OPEN, _CLOSE = "\ue000", "\ue001"
_REF = re.compile(f"{_OPEN}([cu]):([^{_CLOSE}]*){_CLOSE}")


def channel_ref(channel_id: str) -> str:
    return f"{_OPEN}c:{channel_id}{_CLOSE}"


def user_ref(user_id: str) -> str:
    return f"{_OPEN}u:{user_id}{_CLOSE}"


def resolve_refs(text: str, *, channel: Callable[[str], str], user: Callable[[str], str]) -> str:
    """Replace the tokens with the platform's own mention syntax."""
    return _REF.sub(lambda m: (channel if m.group(1) == "c" else user)(m.group(2)), text)


def without_refs(text: str) -> str:
    """Text from outside with any token characters removed (they cannot be forged)."""
    return text.replace(_OPEN, "").replace(_CLOSE, "")
