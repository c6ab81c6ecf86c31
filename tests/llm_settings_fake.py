"""An in-memory fake of the workspace model settings store."""

from __future__ import annotations

from core.assistant.llm_settings import WorkspaceLLM


class InMemoryLLMSettings:
    def __init__(self) -> None:
        self.settings: dict[int, WorkspaceLLM] = {}

    async def save(self, workspace_id: int, settings: WorkspaceLLM) -> None:
        self.settings[workspace_id] = settings

    async def load(self, workspace_id: int) -> WorkspaceLLM | None:
        return self.settings.get(workspace_id)
