"""Classify OpenAI/Anthropic SDK failures and turn them into `core.errors.ProviderError`s."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import anthropic
import httpx2
import openai

from core.errors import (
    ProviderError,
    ProviderRateLimited,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
)

_SDK_ERRORS = (openai.OpenAIError, anthropic.AnthropicError)
_TIMEOUTS = (openai.APITimeoutError, anthropic.APITimeoutError, httpx2.TimeoutException)
_CONNECTION = (openai.APIConnectionError, anthropic.APIConnectionError, httpx2.TransportError)
_STATUS = (openai.APIStatusError, anthropic.APIStatusError)
_API = (openai.APIError, anthropic.APIError)
# Anything that looks like a credential in a provider's error text (OpenAI echoes part of a
# bad key in its 401 message; Azure keys are 32 hex characters).
_SECRET_LIKE = re.compile(r"\b(?:sk|key)-[\w-]{4,}|\b[\w-]{32,}\b")
_MAX_DETAIL = 200


class FailureKind(enum.Enum):
    TIMEOUT = "timeout"
    UNAVAILABLE = "unavailable"
    RATE_LIMITED = "rate_limited"
    REJECTED = "rejected"


_ERROR_CLASS: dict[FailureKind, type[ProviderError]] = {
    FailureKind.TIMEOUT: ProviderTimeout,
    FailureKind.UNAVAILABLE: ProviderUnavailable,
    FailureKind.RATE_LIMITED: ProviderRateLimited,
    FailureKind.REJECTED: ProviderRejected,
}


@dataclass(frozen=True)
class Failure:
    """One failed attempt: what kind, the HTTP status if any, and how long the server asked."""

    kind: FailureKind
    status: int | None = None
    retry_after: float | None = None
    detail: str = ""

    @property
    def retryable(self) -> bool:
        return self.kind is not FailureKind.REJECTED

    @property
    def reason(self) -> str:
        """A short, secret-free description for logs and messages."""
        return f"HTTP {self.status}" if self.status else self.kind.value.replace("_", " ")


def classify(exc: BaseException) -> Failure | None:
    """What went wrong in one attempt, or None when `exc` is not a provider failure."""
    if isinstance(exc, _TIMEOUTS):
        return Failure(FailureKind.TIMEOUT)
    if isinstance(exc, _CONNECTION):
        return Failure(FailureKind.UNAVAILABLE)
    if isinstance(exc, _STATUS):
        return _from_status(exc.status_code, exc.response.headers, _api_message(exc))
    if isinstance(exc, _API):  # an error event in the middle of a stream
        return Failure(FailureKind.UNAVAILABLE, detail=_redact(exc.message))
    if isinstance(exc, _SDK_ERRORS):
        return Failure(FailureKind.REJECTED, detail=type(exc).__name__)
    return None


def _from_status(status: int, headers: httpx2.Headers, detail: str) -> Failure:
    if status == 429:
        return Failure(FailureKind.RATE_LIMITED, status, retry_after(headers))
    if status == 408:
        return Failure(FailureKind.TIMEOUT, status)
    if 400 <= status < 500:
        return Failure(FailureKind.REJECTED, status, detail=detail)
    # 5xx, Anthropic's 529 "overloaded", or an error event inside a 200 stream
    return Failure(FailureKind.UNAVAILABLE, status, retry_after(headers))


def _api_message(exc: openai.APIStatusError | anthropic.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return _redact(error["message"])
    return ""


def _redact(text: str) -> str:
    cleaned = _SECRET_LIKE.sub("[redacted]", text)
    return cleaned if len(cleaned) <= _MAX_DETAIL else cleaned[: _MAX_DETAIL - 1] + "…"


def retry_after(headers: httpx2.Headers) -> float | None:
    """Seconds the server asked us to wait (`retry-after-ms`, `retry-after` seconds or date)."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def provider_error(
    failure: Failure, *, provider: str, subject: str, attempts: int
) -> ProviderError:
    """The error a person sees: what failed, in their words, never a key or a header."""
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    if failure.kind is FailureKind.REJECTED:
        message = _rejection(failure, provider=provider, subject=subject)
    elif failure.kind is FailureKind.TIMEOUT:
        message = f"{provider} did not answer in time{tries}"
    elif failure.kind is FailureKind.RATE_LIMITED:
        message = f"{provider} is rate limiting requests (HTTP 429){tries}; try again shortly"
    else:
        message = f"{provider} is unavailable ({failure.reason}){tries}"
    return _ERROR_CLASS[failure.kind](message, provider=provider)


def _rejection(failure: Failure, *, provider: str, subject: str) -> str:
    if failure.status == 401:
        return f"{provider} rejected the API key (HTTP 401): check the configured key"
    if failure.status == 403:
        return f"{provider} refused access to {subject} (HTTP 403): check the key's permissions"
    if failure.status == 404:
        return f"{provider}: {subject} was not found (HTTP 404): check the configured name"
    if failure.status is None:
        return f"{provider} client failed ({failure.detail})"
    detail = f": {failure.detail}" if failure.detail else ""
    return f"{provider} rejected the request (HTTP {failure.status}){detail}"
