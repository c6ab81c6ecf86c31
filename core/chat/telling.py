"""The one error policy: any error a chat entry point meets becomes what a person is told
(a tone and a sentence); the cause goes to the log, with a reference for the unexpected."""

from __future__ import annotations

import logging
import uuid

from core.assistant.actions import ActionClosed
from core.chat.replies import Reply, Tone
from core.errors import (
    CreditsUnavailable,
    MemberCapReached,
    NotAllowed,
    NotFound,
    OutOfCredits,
    ProviderError,
    ServiceUnavailable,
    SetGetError,
)

logger = logging.getLogger(__name__)

UNAVAILABLE = "The service is unavailable, try again shortly."
NOT_CHARGED = "Nothing was charged."
SOMETHING_WRONG = "Sorry, something went wrong on our side{what}. Please try again (ref {ref})."


def sentence(exc: BaseException) -> str:
    """`workspace 'acme' is out of AI credits` -> `Workspace 'acme' is out of AI credits.`"""
    text = str(exc)
    end = "" if text.endswith((".", "?", "!")) else "."
    return f"{text[:1].upper()}{text[1:]}{end}"


def tell(exc: BaseException, *, doing: str = "") -> Reply:
    """What a person is told about `exc`; `doing` names the work ("while answering")."""
    if isinstance(exc, ServiceUnavailable):
        logger.warning("unavailable %s: %s", doing or "handling a request", exc)
        return Reply(UNAVAILABLE, Tone.WARNING)
    if isinstance(exc, OutOfCredits | MemberCapReached | NotAllowed):
        return Reply(sentence(exc), Tone.REFUSAL)
    if isinstance(exc, ActionClosed | NotFound):  # a decision on nothing that can change
        return Reply(sentence(exc), Tone.REFUSAL)
    if isinstance(exc, ProviderError):  # the answer failed, so its hold was released
        return Reply(f"{sentence(exc)} {NOT_CHARGED}", Tone.WARNING)
    if isinstance(exc, CreditsUnavailable | SetGetError):
        return Reply(sentence(exc), Tone.WARNING)
    ref = uuid.uuid4().hex[:8]
    logger.error("unexpected failure %s (ref %s)", doing or "handling a request", ref, exc_info=exc)
    what = f" {doing}" if doing else ""
    return Reply(SOMETHING_WRONG.format(what=what, ref=ref), Tone.WARNING)
