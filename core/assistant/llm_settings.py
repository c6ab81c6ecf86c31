"""Each workspace's own model settings (its provider, model and API key), and their store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class WorkspaceLLM:
    """The model a workspace brings; the key never shows in a repr, a log line or a message."""

    provider: str
    model: str
    base_url: str | None = None
    azure_deployment: str | None = None
    api_version: str | None = None
    api_key: str | None = None

    def __repr__(self) -> str:
        key = "None" if self.api_key is None else "'***'"
        return (
            f"WorkspaceLLM(provider={self.provider!r}, model={self.model!r}, "
            f"base_url={self.base_url!r}, azure_deployment={self.azure_deployment!r}, "
            f"api_version={self.api_version!r}, api_key={key})"
        )


class LLMSettingsStore(Protocol):
    async def save(self, workspace_id: int, settings: WorkspaceLLM) -> None:
        """Replace the workspace's settings."""
        ...

    async def load(self, workspace_id: int) -> WorkspaceLLM | None: ...
