"""Adapters: the outside world (databases, chat platforms, LLMs) translated for `core`."""
