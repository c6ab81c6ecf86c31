"""The configured `ChatModel`, built from an `LLMConfig`: the one place SDK clients are made.
Only the configured provider's SDK is imported, when its model is built (each SDK takes
hundreds of milliseconds to import; a command that asks no model loads none)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from adapters.llm.retry import DEFAULT_ANSWER_DEADLINE, RetryPolicy
from core.assistant.llm_settings import WorkspaceLLM
from core.assistant.llm_settings import problems as settings_problems
from core.errors import InvalidInput
from core.llm import ChatModel

if TYPE_CHECKING:
    import httpx2
    import openai

OPENAI_URL = "https://api.openai.com/v1"
ANTHROPIC_URL = "https://api.anthropic.com"
# Sent as the key to OpenAI-compatible servers that need none (vLLM, Ollama ignore it). An
# explicit value also stops the SDK from picking up OPENAI_API_KEY for a third-party server.
NO_KEY = "no-key"


class ClosableChatModel(ChatModel, Protocol):
    """A `ChatModel` that owns an HTTP client; the composition root closes it at shutdown."""

    async def aclose(self) -> None: ...


@dataclass(frozen=True, repr=False)
class LLMConfig:
    """Which provider and model answer, and how patiently.

    `base_url` is the server for `openai-compatible` (e.g. `http://localhost:11434/v1`), the
    resource endpoint for `azure` (`https://NAME.openai.azure.com`), and optional otherwise.
    `max_retries` counts retries after the first attempt (2 means at most 3 attempts).
    """

    provider: str
    model: str = ""
    api_key: str | None = None
    base_url: str | None = None
    azure_deployment: str | None = None
    api_version: str | None = None
    timeout: float = 60.0
    max_retries: int = 2
    retry_base_delay: float = 0.5
    max_output_tokens: int = 4096  # read at most, when a call names no limit of its own
    answer_deadline: float = DEFAULT_ANSWER_DEADLINE  # seconds one attempt may stream

    def __post_init__(self) -> None:
        problems = self._problems()
        if problems:
            raise InvalidInput(f"LLM settings for {self.provider!r}: " + "; ".join(problems))

    def _problems(self) -> list[str]:
        own = WorkspaceLLM(
            provider=self.provider,
            model=self.model,
            base_url=self.base_url,
            azure_deployment=self.azure_deployment,
            api_version=self.api_version,
            api_key=self.api_key,
        )
        problems = list(settings_problems(own).values())
        if self.timeout <= 0:
            problems.append("timeout must be a positive number of seconds")
        if self.max_retries < 0:
            problems.append("max_retries cannot be negative")
        if self.retry_base_delay < 0:
            problems.append("retry_base_delay cannot be negative")
        if self.max_output_tokens < 1 or self.answer_deadline <= 0:
            problems.append("max_output_tokens and answer_deadline must be positive")
        return problems

    def __repr__(self) -> str:
        key = "'***'" if self.api_key else "None"
        return (
            f"LLMConfig(provider={self.provider!r}, model={self.model!r}, api_key={key}, "
            f"base_url={self.base_url!r}, azure_deployment={self.azure_deployment!r}, "
            f"api_version={self.api_version!r}, timeout={self.timeout!r}, "
            f"max_retries={self.max_retries!r}, retry_base_delay={self.retry_base_delay!r})"
        )

    @property
    def label(self) -> str:
        """What replies may say about the model; never the key or the URL."""
        if self.provider == "azure":
            return f"azure deployment {self.azure_deployment}"
        return f"{self.provider} {self.model}"

    @property
    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(attempts=self.max_retries + 1, base_delay=self.retry_base_delay)


def config_for(own: WorkspaceLLM, *, timeout: float = 60.0) -> LLMConfig:
    """The config of a workspace's (or the deployment's) model settings; a missing or bad
    field is named in one `InvalidInput` message."""
    return LLMConfig(
        provider=own.provider,
        model=own.model,
        api_key=own.api_key,
        base_url=own.base_url,
        azure_deployment=own.azure_deployment,
        api_version=own.api_version,
        timeout=timeout,
    )


def build_chat_model(
    config: LLMConfig, *, http_client: httpx2.AsyncClient | None = None
) -> ClosableChatModel:
    """The model `config` names; SDK retries are off so `config.retry_policy` alone applies."""
    if config.provider == "anthropic":
        import anthropic

        from adapters.llm.anthropic_chat import AnthropicChatModel

        client = anthropic.AsyncAnthropic(
            api_key=config.api_key,
            base_url=config.base_url or ANTHROPIC_URL,
            timeout=config.timeout,
            max_retries=0,
            http_client=http_client,
        )
        return AnthropicChatModel(
            client,
            model=config.model,
            label=config.label,
            retry=config.retry_policy,
            default_max_output_tokens=config.max_output_tokens,
            answer_deadline=config.answer_deadline,
        )
    from adapters.llm.openai_chat import OpenAIChatModel

    return OpenAIChatModel(
        _openai_client(config, http_client),
        model=(config.azure_deployment or "") if config.provider == "azure" else config.model,
        provider=config.provider,
        label=config.label,
        retry=config.retry_policy,
        output_bound=config.max_output_tokens,
        answer_deadline=config.answer_deadline,
    )


def _openai_client(config: LLMConfig, http_client: httpx2.AsyncClient | None) -> openai.AsyncOpenAI:
    import openai

    if config.provider == "azure":
        return openai.AsyncAzureOpenAI(
            azure_endpoint=config.base_url or "",
            azure_deployment=config.azure_deployment,
            api_version=config.api_version,
            api_key=config.api_key,
            timeout=config.timeout,
            max_retries=0,
            http_client=http_client,
        )
    return openai.AsyncOpenAI(
        api_key=config.api_key or NO_KEY,
        base_url=config.base_url or OPENAI_URL,
        timeout=config.timeout,
        max_retries=0,
        http_client=http_client,
    )
