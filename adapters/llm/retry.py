"""Bounded retries with exponential backoff and jitter for LLM calls (the SDKs' own are off)."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from adapters.llm.errors import Failure, classify, provider_error
from core.errors import InvalidInput

logger = logging.getLogger(__name__)

T = TypeVar("T")
DEFAULT_ANSWER_DEADLINE = 300.0  # seconds one attempt may stream, however steadily it trickles


@dataclass(frozen=True)
class RetryPolicy:
    """At most `attempts` tries; waits `base_delay * 2**n` (jittered, capped) between them.

    A `retry-after` from the server replaces the backoff when longer, up to
    `retry_after_cap` seconds. `sleep` and `jitter` are injectable so tests need not wait.
    """

    attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    retry_after_cap: float = 30.0
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, repr=False)
    jitter: Callable[[], float] = field(default=random.random, repr=False)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise InvalidInput("an LLM call needs at least one attempt")
        if self.base_delay < 0 or self.max_delay < 0 or self.retry_after_cap < 0:
            raise InvalidInput("retry delays cannot be negative")

    def delay(self, attempt: int, failure: Failure) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        backoff = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        jittered = backoff * (0.5 + self.jitter() / 2)
        if failure.retry_after is None:
            return jittered
        return max(jittered, min(failure.retry_after, self.retry_after_cap))

    async def run(
        self,
        call: Callable[[], Awaitable[T]],
        *,
        provider: str,
        subject: str,
        server: str = "",
        may_retry: Callable[[], bool] = lambda: True,
    ) -> T:
        """Run `call` until it succeeds, a failure is final, or the attempts run out.

        `may_retry` turns False once output reached the person: retrying then would repeat it.
        `server` (host and port) is named in the error, so a person knows which one failed.
        """
        attempt = 1
        while True:
            try:
                return await call()
            except Exception as exc:
                failure = classify(exc)
                if failure is None:
                    raise
                if not failure.retryable or attempt >= self.attempts or not may_retry():
                    self._log(provider, subject, failure, attempt, wait=None)
                    raise provider_error(
                        failure,
                        provider=provider,
                        subject=subject,
                        attempts=attempt,
                        server=server,
                    ) from None  # the SDK error may quote the key or headers
                wait = self.delay(attempt, failure)
                self._log(provider, subject, failure, attempt, wait=wait)
            await self.sleep(wait)
            attempt += 1

    def _log(
        self, provider: str, subject: str, failure: Failure, attempt: int, *, wait: float | None
    ) -> None:
        outcome = "giving up" if wait is None else f"retrying in {wait:.2f} s"
        logger.warning(
            "%s call for %s failed (%s) on attempt %d of %d; %s",
            provider,
            subject,
            failure.reason,
            attempt,
            self.attempts,
            outcome,
        )
