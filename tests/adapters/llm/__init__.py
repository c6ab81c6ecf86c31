"""LLM adapter tests against local fake OpenAI and Anthropic servers."""
