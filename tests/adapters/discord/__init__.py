"""Tests of the Discord side: real discord.py objects against a local fake Discord."""
