"""What the chat layer tells about each answer (outcome, refusal reason) and the request id
that every log line of one answer carries.

`AnswerObserver` is the port: the wiring implements it (Prometheus counters) and the layer
calls it once per message, whatever became of it. The request id lives in a context
variable: an entry point (an HTTP request, a gateway event, the recovery job) opens a
`request_scope`, and every task started inside it (Bolt's listeners, discord.py's handlers)
inherits the id, so the log lines of one answer can be found together.
"""

from __future__ import annotations

import contextlib
import enum
import secrets
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Protocol

from core.errors import (
    InvalidInput,
    MemberCapReached,
    NotAllowed,
    OutOfCredits,
    PoolBusy,
    ProviderError,
    RateLimited,
    ServiceUnavailable,
)

NO_REQUEST = "-"
_request_id: ContextVar[str] = ContextVar("setget_request_id", default=NO_REQUEST)


class AnswerOutcome(enum.StrEnum):
    ANSWERED = "answered"  # the answer reached the person (or a charged one was shown again)
    DUPLICATE = "duplicate"  # another attempt of the same message answered it
    REFUSED = "refused"  # not answered on purpose: see `Refusal`
    PROVIDER_ERROR = "provider_error"  # the LLM failed; nothing charged
    FAILED = "failed"  # anything else went wrong; the person was told
    NOT_LINKED = "not_linked"  # the team is linked to no workspace
    GIVEN_UP = "given_up"  # every attempt failed
    HANDED_OVER = "handed_over"  # claimed while shutting down: another process answers it
    CANCELLED = "cancelled"  # still running when the shutdown's grace period ran out


class Refusal(enum.StrEnum):
    OUT_OF_CREDITS = "out_of_credits"
    MEMBER_CAP = "member_cap"
    RATE_LIMITED = "rate_limited"
    POOL_BUSY = "pool_busy"
    INVALID_INPUT = "invalid_input"  # empty, too long
    NOT_ALLOWED = "not_allowed"
    UNAVAILABLE = "unavailable"  # the database could not be reached


_REFUSALS: tuple[tuple[type[Exception], Refusal], ...] = (
    (OutOfCredits, Refusal.OUT_OF_CREDITS),
    (MemberCapReached, Refusal.MEMBER_CAP),
    (RateLimited, Refusal.RATE_LIMITED),
    (PoolBusy, Refusal.POOL_BUSY),
    (InvalidInput, Refusal.INVALID_INPUT),
    (NotAllowed, Refusal.NOT_ALLOWED),
    (ServiceUnavailable, Refusal.UNAVAILABLE),
)


def outcome_of(error: Exception) -> tuple[AnswerOutcome, Refusal | None]:
    """How an answer that ended with `error` is counted."""
    for kind, refusal in _REFUSALS:
        if isinstance(error, kind):
            return AnswerOutcome.REFUSED, refusal
    if isinstance(error, ProviderError):
        return AnswerOutcome.PROVIDER_ERROR, None
    return AnswerOutcome.FAILED, None


class AnswerObserver(Protocol):
    def answer_finished(self, outcome: AnswerOutcome, refusal: Refusal | None = None) -> None:
        """One message's end; `refusal` says why when the outcome is `REFUSED`."""
        ...


class NoObserver:
    def answer_finished(self, outcome: AnswerOutcome, refusal: Refusal | None = None) -> None:
        return None


def request_id() -> str:
    """The id of the request this code runs for (`-` outside any)."""
    return _request_id.get()


def new_request_id() -> str:
    return secrets.token_hex(6)


@contextlib.contextmanager
def request_scope(*, fresh: bool = False) -> Iterator[str]:
    """A request id for the block (and the tasks it starts): the one already set by the entry
    point, else (or with `fresh`) a new one; the previous value comes back after."""
    current = _request_id.get()
    if current != NO_REQUEST and not fresh:
        yield current
        return
    token = _request_id.set(new_request_id())
    try:
        yield _request_id.get()
    finally:
        _request_id.reset(token)
