"""The console platform: the reference adapter, everything Slack and Discord can do."""

from adapters.console.session import ConsoleSession

__all__ = ["ConsoleSession"]
