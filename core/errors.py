"""Errors the domain raises; adapters turn each into a clear message for a person.

SetGetError
 ├── InvalidInput            bad value from a person or operator (zero credits, bad date, ...)
 ├── NotFound
 │    └── WorkspaceNotFound
 ├── Conflict                the request clashes with what exists (name taken, team linked)
 ├── NotAllowed              the plan or the person's role does not allow it
 │    └── PacksNotAllowed
 ├── CreditsUnavailable      no AI answer can be paid for right now
 │    ├── OutOfCredits       the workspace pool is exhausted (AI paused)
 │    ├── MemberCapReached   this member used their monthly cap; the team goes on
 │    ├── PoolBusy           credits remain but answers in flight hold them all
 │    └── RateLimited        the workspace asked more than its plan's requests a minute
 ├── ReservationClosed       settle/release of an interaction that can no longer change
 ├── ServiceUnavailable      a service the bot needs (the database) cannot be reached now
 └── ProviderError           the LLM provider failed; nothing is charged
      ├── ProviderTimeout
      ├── ProviderUnavailable  5xx or unreachable, after retries
      ├── ProviderRateLimited  429, after retries
      └── ProviderRejected     4xx: bad key, unknown model or deployment, bad request
"""

from __future__ import annotations

from datetime import date


class SetGetError(Exception):
    """Root of every error the domain raises on purpose."""


class InvalidInput(SetGetError):
    """A value given by a person or the operator is not acceptable."""


class NotFound(SetGetError):
    """Something named does not exist."""


class WorkspaceNotFound(NotFound):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown workspace {name!r}")
        self.name = name


class Conflict(SetGetError):
    """The request clashes with data that already exists."""


class NotAllowed(SetGetError):
    """The plan or the person's role does not allow this."""


class PacksNotAllowed(NotAllowed):
    def __init__(self, plan: str) -> None:
        hint = (
            "upgrade to Pro or Business to buy credit packs"
            if plan == "free"
            else "enterprise credits come by agreement: ask the operator for a grant"
        )
        super().__init__(f"the {plan} plan cannot buy credit packs; {hint}")
        self.plan = plan


class CreditsUnavailable(SetGetError):
    """No AI answer can be paid for right now."""


class OutOfCredits(CreditsUnavailable):
    def __init__(
        self, *, workspace: str, renewal_date: date, can_buy_packs: bool, remedy: str
    ) -> None:
        super().__init__(
            f"workspace {workspace!r} is out of AI credits: AI is paused until "
            f"{renewal_date.isoformat()}, or {remedy}"
        )
        self.workspace = workspace
        self.renewal_date = renewal_date
        self.can_buy_packs = can_buy_packs


class MemberCapReached(CreditsUnavailable):
    def __init__(self, *, member: str, cap: int, renewal_date: date) -> None:
        super().__init__(
            f"{member} has used their monthly cap of {cap} AI credits; it resets on "
            f"{renewal_date.isoformat()} (an admin can raise it)"
        )
        self.member = member
        self.cap = cap
        self.renewal_date = renewal_date


class PoolBusy(CreditsUnavailable):
    def __init__(self, *, workspace: str) -> None:
        super().__init__(
            f"workspace {workspace!r} has credits left, but answers in progress hold them; "
            "try again in a moment"
        )
        self.workspace = workspace


class RateLimited(CreditsUnavailable):
    def __init__(self, *, workspace: str, per_minute: int, member: str | None = None) -> None:
        reached = (
            f"workspace {workspace!r} reached its limit of {per_minute} AI requests a minute"
            if member is None
            else f"{member} reached the limit of {per_minute} AI requests a minute for one "
            f"member of workspace {workspace!r}"
        )
        super().__init__(f"{reached}; try again in a moment")
        self.per_minute = per_minute


class ReservationClosed(SetGetError):
    """A settle or release arrived for an interaction that was already closed."""


class ServiceUnavailable(SetGetError):
    """A service the bot depends on cannot be reached; people are told to try again shortly
    and the details (which server, why) go to the log only."""


class ProviderError(SetGetError):
    """The LLM provider failed; the interaction is not charged."""

    def __init__(self, message: str, *, provider: str = "") -> None:
        super().__init__(message)
        self.provider = provider


class ProviderTimeout(ProviderError):
    pass


class ProviderUnavailable(ProviderError):
    pass


class ProviderRateLimited(ProviderError):
    pass


class ProviderRejected(ProviderError):
    pass
