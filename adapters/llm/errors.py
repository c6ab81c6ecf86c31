"""Classify OpenAI/Anthropic SDK failures and turn them into `core.errors.ProviderError`s."""

from __future__ import annotations

import enum
import json
import re
import socket
import ssl
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from core.errors import (
    ProviderError,
    ProviderRateLimited,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
)

if TYPE_CHECKING:
    import anthropic
    import httpx2
    import openai

_SDKS = ("openai", "anthropic")
# Anything that looks like a credential in a provider's error text (OpenAI echoes part of a
# bad key in its 401 message; Azure keys are 32 hex characters).
_SECRET_LIKE = re.compile(r"\b(?:sk|key)-[\w-]{4,}|\b[\w-]{32,}\b")
_MAX_DETAIL = 200
MALFORMED = "malformed answer"  # the server's stream was not the JSON its API speaks
_PEOPLES_NAMES = {  # how a provider is named in a sentence a person reads
    "openai": "OpenAI",
    "azure": "Azure OpenAI",
    "anthropic": "Anthropic",
    "openai-compatible": "the OpenAI-compatible server",
}


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
        if self.status:
            return f"HTTP {self.status}"
        return self.detail or self.kind.value.replace("_", " ")


def _errors(name: str, *, http: str | None = None) -> tuple[type[BaseException], ...]:
    """The exception class `name` of each provider SDK that is loaded, and httpx2's `http`
    one. This module imports no SDK (a command that calls no model never loads one), and
    an SDK that is not loaded raised nothing."""
    found = [getattr(sys.modules[sdk], name) for sdk in _SDKS if sdk in sys.modules]
    if http is not None and "httpx2" in sys.modules:
        found.append(getattr(sys.modules["httpx2"], http))
    return tuple(found)


def classify(exc: BaseException) -> Failure | None:
    """What went wrong in one attempt, or None when `exc` is not a provider failure."""
    local = (TimeoutError, json.JSONDecodeError)
    if isinstance(exc, (*local, *_errors("APITimeoutError", http="TimeoutException"))):
        return _local_failure(exc)
    if isinstance(exc, _errors("APIConnectionError", http="TransportError")):
        return Failure(FailureKind.UNAVAILABLE, detail=connection_cause(exc))
    if isinstance(exc, _errors("APIStatusError")):
        status: openai.APIStatusError | anthropic.APIStatusError = exc  # type: ignore[assignment]
        return _from_status(status.status_code, status.response.headers, _api_message(status))
    if isinstance(exc, _errors("APIError")):  # an error event in the middle of a stream
        return Failure(FailureKind.UNAVAILABLE, detail=_redact(str(getattr(exc, "message", ""))))
    if isinstance(exc, tuple(getattr(sys.modules[m], c) for m, c in _BASES if m in sys.modules)):
        return Failure(FailureKind.REJECTED, detail=type(exc).__name__)
    return None


_BASES = (("openai", "OpenAIError"), ("anthropic", "AnthropicError"))


def _local_failure(exc: BaseException) -> Failure:
    """A timeout (the client's, or the answer's deadline: it streamed on for too long), or
    an SDK's stream decoder meeting what was not JSON."""
    if isinstance(exc, json.JSONDecodeError):
        return Failure(FailureKind.UNAVAILABLE, detail=MALFORMED)
    return Failure(FailureKind.TIMEOUT)


def connection_cause(exc: BaseException) -> str:
    """Why a connection failed, from the socket error under the SDK's `Connection error.`"""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        if isinstance(seen, socket.gaierror):
            return "unknown host"
        if isinstance(seen, ssl.SSLError):
            return "TLS handshake failed"
        if isinstance(seen, ConnectionResetError):
            return "connection reset"
        if isinstance(seen, TimeoutError):
            return "no answer in time"
        seen = seen.__cause__ or seen.__context__
    return "connection failed"


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
    failure: Failure, *, provider: str, subject: str, attempts: int, server: str = ""
) -> ProviderError:
    """The error a person sees: which server failed and why, never a key or a header."""
    tries = f" after {attempts} attempts" if attempts > 1 else ""
    name = _PEOPLES_NAMES.get(provider, provider)
    who = f"{name} at {server}" if server else name
    if failure.kind is FailureKind.REJECTED:
        message = _rejection(failure, provider=who, subject=subject)
    elif failure.kind is FailureKind.TIMEOUT:
        status = f" (HTTP {failure.status})" if failure.status else ""
        message = f"{who} did not answer in time{status}{tries}"
    elif failure.kind is FailureKind.RATE_LIMITED:
        message = f"{who} is rate limiting requests (HTTP 429){tries}; try again shortly"
    elif failure.detail == MALFORMED:
        message = f"{who} sent an answer that could not be read{tries}"
    elif failure.status is None and failure.detail:
        message = f"{who} could not be reached ({failure.reason}){tries}"
    else:
        message = f"{who} is unavailable ({failure.reason}){tries}"
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
