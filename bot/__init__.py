"""Wiring: settings, the composition root and the `setget-bot` command line."""
