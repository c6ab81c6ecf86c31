"""The Discord platform on discord.py: mentions and threads, streamed answers, persistent
Confirm/Reject buttons, `/setget` application commands and usage alerts, all through the
chat layer."""
