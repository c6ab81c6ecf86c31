"""Where a sprint stands today: finished, in progress or not started (by its dates)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from core.work.model import Sprint

FINISHED, IN_PROGRESS, NOT_STARTED = "finished", "in_progress", "not_started"


def status_of(sprints: Sequence[Sprint], today: date) -> str:
    """A sprint (of one or more projects, by name) is finished once every one has ended."""
    if all(s.end < today for s in sprints):
        return FINISHED
    if all(s.start > today for s in sprints):
        return NOT_STARTED
    return IN_PROGRESS


def current_sprint(sprints: Sequence[Sprint], today: date) -> str | None:
    """The name of the sprint running `today` (the latest started, if several), or None."""
    running = [s for s in sprints if s.start <= today <= s.end]
    return max(running, key=lambda s: s.start).name if running else None


def running_note(name: str, ends: date) -> str:
    return (
        f"{name} is still in progress (ends {ends}): its figures are the work done so far, "
        "not a finished sprint's velocity"
    )
