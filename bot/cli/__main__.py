"""`python -m bot.cli`: the same as the `setget-bot` command."""

from bot.cli.main import entry

entry()
