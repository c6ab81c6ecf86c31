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


PROVIDERS = ("openai", "azure", "anthropic", "openai-compatible")
FIELDS = ("model", "base_url", "azure_deployment", "api_version", "api_key")
REQUIRED: dict[str, tuple[str, ...]] = {
    "openai": ("model", "api_key"),
    "anthropic": ("model", "api_key"),
    "azure": ("api_key", "base_url", "azure_deployment", "api_version"),
    "openai-compatible": ("model", "base_url"),  # local servers (vLLM, Ollama) need no key
}


def problems(own: WorkspaceLLM) -> dict[str, str]:
    """What is wrong with `own`, by field (`provider` for the provider); empty when usable."""
    if own.provider not in PROVIDERS:
        return {"provider": f"provider must be one of {', '.join(PROVIDERS)}"}
    found = {
        name: f"{name} is required" for name in REQUIRED[own.provider] if not getattr(own, name)
    }
    if own.base_url and not own.base_url.startswith(("http://", "https://")):
        found.setdefault("base_url", "base_url must start with http:// or https://")
    return found


def submitted(values: dict[str, str], stored: WorkspaceLLM | None) -> WorkspaceLLM:
    """Settings from a form; an empty key field keeps the stored key, unless the provider
    changed (a key is never sent to another provider than the one it was given for)."""
    provider = values.get("provider", "")
    kept = stored.api_key if stored and stored.provider == provider else None
    return WorkspaceLLM(
        provider=provider,
        model=values.get("model", ""),
        base_url=values.get("base_url"),
        azure_deployment=values.get("azure_deployment"),
        api_version=values.get("api_version"),
        api_key=values.get("api_key") or kept,
    )


class LLMSettingsStore(Protocol):
    async def save(self, workspace_id: int, settings: WorkspaceLLM) -> None:
        """Replace the workspace's settings."""
        ...

    async def load(self, workspace_id: int) -> WorkspaceLLM | None: ...
