"""The audit log of every AI interaction, with secrets redacted before anything is stored."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

_SECRETS = re.compile(
    r"(sk-[A-Za-z0-9_-]{12,}|sk-ant-[A-Za-z0-9_-]{12,}|xox[abprs]-[A-Za-z0-9-]{10,}"
    r"|xapp-[A-Za-z0-9-]{10,}|gh[pousr]_[A-Za-z0-9]{20,}|AKIA[0-9A-Z]{16}"
    r"|(?i:bearer)\s+[A-Za-z0-9._~+/-]{16,}=*)"
)
REDACTED = "[redacted]"


def redact(text: str, *, also: tuple[str, ...] = ()) -> str:
    """Hide API keys and tokens: known shapes, and the exact secrets the caller knows."""
    for secret in also:
        if secret:
            text = text.replace(secret, REDACTED)
    return _SECRETS.sub(REDACTED, text)


@dataclass(frozen=True)
class AuditRecord:
    workspace_id: int
    thread_id: int
    member_id: int
    event_id: str
    at: datetime
    prompt: str
    answer: str
    tools: tuple[str, ...]
    input_tokens: int
    output_tokens: int
    tokens_estimated: bool
    credits: int
    interaction_type: str
    model: str
    outcome: str  # answered, provider_error, ...
    proposals: tuple[int, ...] = ()


class AuditLog(Protocol):
    async def record(self, entry: AuditRecord) -> None: ...

    async def entries(self, workspace_id: int, *, since: datetime | None) -> list[AuditRecord]: ...
