"""The credit dashboard a platform shows on its own page (Slack's App Home): the replies of
`/setget balance` and `/setget usage` for one person, an admin's with the whole dashboard."""

from __future__ import annotations

from dataclasses import dataclass

from core.chat.replies import Attachment, Reply
from core.workspaces import Workspace


@dataclass(frozen=True)
class HomeView:
    """What one person's page shows; an admin's has the dashboard and the admin actions.
    With no workspace (the team is linked to none, or the figures failed) only `pool` says
    why."""

    pool: Reply  # the pool's remaining credits and renewal date (`/setget balance`)
    workspace: Workspace | None = None
    mine: Reply | None = None  # the person's own use this cycle
    admin: bool = False
    dashboard: Reply | None = None  # `/setget usage`: by member, by type, feedback share
    chart: Attachment | None = None  # usage by day, this cycle
    alerts_channel: str | None = None  # where usage alerts go; None: admins' DMs
    can_buy: bool = False  # the plan sells credit packs
