"""LLM providers (OpenAI, Azure, Anthropic, OpenAI-compatible) behind `core.llm.ChatModel`.

Import what you need from its modules (`adapters.llm.factory`, `.tokens`, ...): this package
imports nothing, so loading one part never loads a provider's SDK."""
