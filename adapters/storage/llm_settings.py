"""Each workspace's own model settings in SQL, with the API key stored only encrypted."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from sqlalchemy import select

from adapters.secrets import SecretBox, SecretUnreadable
from adapters.storage.database import Database
from adapters.storage.tables import workspace_llm
from core.assistant.llm_settings import WorkspaceLLM
from core.clock import Clock, SystemClock
from core.errors import InvalidInput


class SqlLLMSettingsStore:
    """Without a `SecretBox` (no SETGET_SECRET_KEY) settings without an API key still work."""

    def __init__(self, db: Database, box: SecretBox | None, *, clock: Clock | None = None) -> None:
        self._db = db
        self._box = box
        self._clock = clock or SystemClock()

    async def save(self, workspace_id: int, settings: WorkspaceLLM) -> None:
        """Replace the workspace's settings."""
        values = {
            "provider": settings.provider,
            "model": settings.model,
            "base_url": settings.base_url,
            "azure_deployment": settings.azure_deployment,
            "api_version": settings.api_version,
            "api_key_encrypted": self._seal(settings.api_key),
            "updated_at": self._clock.now().astimezone(UTC),
        }
        insert = self._db.insert(workspace_llm).values(workspace_id=workspace_id, **values)
        async with self._db.write() as conn:
            await conn.execute(
                insert.on_conflict_do_update(index_elements=["workspace_id"], set_=values)
            )

    async def load(self, workspace_id: int) -> WorkspaceLLM | None:
        async with self._db.read() as conn:
            row = (
                await conn.execute(
                    select(workspace_llm).where(workspace_llm.c.workspace_id == workspace_id)
                )
            ).one_or_none()
        return None if row is None else self._settings(row)

    def _seal(self, api_key: str | None) -> str | None:
        if api_key is None:
            return None
        if self._box is None:
            raise InvalidInput("set SETGET_SECRET_KEY to store an API key")
        return self._box.seal(api_key)

    def _settings(self, row: Any) -> WorkspaceLLM:
        token: str | None = row.api_key_encrypted
        if token is not None and self._box is None:
            raise SecretUnreadable(
                "the stored API key cannot be decrypted: SETGET_SECRET_KEY is not set"
            )
        return WorkspaceLLM(
            provider=row.provider,
            model=row.model,
            base_url=row.base_url,
            azure_deployment=row.azure_deployment,
            api_version=row.api_version,
            api_key=None if token is None or self._box is None else self._box.open(token),
        )
