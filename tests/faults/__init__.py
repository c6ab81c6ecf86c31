"""Defects found by trying the bot under faults and hostile input, each reproduced first."""
