"""LLM providers (OpenAI, Azure, Anthropic, OpenAI-compatible) behind `core.llm.ChatModel`."""

from adapters.llm.anthropic_chat import AnthropicChatModel
from adapters.llm.factory import ClosableChatModel, LLMConfig, build_chat_model
from adapters.llm.openai_chat import OpenAIChatModel
from adapters.llm.retry import RetryPolicy
from adapters.llm.tokens import estimate_usage

__all__ = [
    "AnthropicChatModel",
    "ClosableChatModel",
    "LLMConfig",
    "OpenAIChatModel",
    "RetryPolicy",
    "build_chat_model",
    "estimate_usage",
]
