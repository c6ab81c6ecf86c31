"""Two workspaces for hostile tests: acme (the attacker's side) and beta (the target), and a
fingerprint of everything beta's rows hold, to assert an attack changed none of it.

Both hold a project WEB whose items have the same keys (WEB-1, WEB-2), so an id copied from
beta names an item of acme too; beta's own titles carry `BETA_MARK`, so anything of beta's
shown to acme is recognisable, and beta alone has project OPS.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from adapters.storage.tables import metadata, threads, turns
from bot.app import App
from core.plans import Plan
from core.work.dataset import parse_dataset
from core.work.demo_data import demo_dataset
from core.workspaces import Workspace

BETA_MARK = "ZEBRA-PRIVATE"  # in every title and question of beta's
BETA_MARKS = (BETA_MARK, "Beta Web", "Beta Ops", "beta's", "OPS-1")  # never shown to acme
BETA_QUESTION = f"What is the status of {BETA_MARK} launch?"
# recognisable fake secrets: none of them may ever reach a reply, a log or the model
FAKE_KEYS = {
    "SETGET_LLM_API_KEY": "sk-hostile-LLMKEY-0123456789abcdef",
    "SLACK_BOT_TOKEN": "xoxb-hostile-BOTTOKEN-0123456789",
    "SLACK_SIGNING_SECRET": "hostile-SIGNING-SECRET-0123456789",
    "DISCORD_BOT_TOKEN": "hostile-DISCORD-TOKEN-0123456789",
    "SETGET_SECRET_KEY": "hostile-SECRET-KEY-0123456789abcdef0123456789",
}


def beta_dataset(now: datetime) -> Any:
    raw = {
        "projects": [{"key": "WEB", "name": "Beta Web"}, {"key": "OPS", "name": "Beta Ops"}],
        "items": [
            {"id": "WEB-1", "title": f"{BETA_MARK} launch plan", "state": "todo"},
            {"id": "WEB-2", "title": f"{BETA_MARK} pricing page", "state": "todo"},
            {"id": "OPS-1", "title": f"{BETA_MARK} infra", "state": "in_progress"},
        ],
    }
    return parse_dataset(raw, now=now)


async def two_workspaces(app: App) -> tuple[Workspace, Workspace]:
    """acme (Pro, the demo data) and beta (Pro, its own WEB and OPS)."""
    acme = await app.admin.create("acme", plan=Plan.PRO)
    await app.work_items.replace_all(acme.id, demo_dataset(app.clock.now().date()))
    beta = await app.admin.create("beta", plan=Plan.PRO)
    await app.work_items.replace_all(beta.id, beta_dataset(app.clock.now()))
    return acme, beta


async def rows_of(app: App, workspace: Workspace) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table that belongs to `workspace` (turns through its threads), as
    text, sorted: equal fingerprints mean nothing of the workspace changed."""
    found: dict[str, list[tuple[str, ...]]] = {}
    async with app.db.engine.connect() as conn:
        for table in metadata.sorted_tables:
            if "workspace_id" in table.c:
                query = select(table).where(table.c.workspace_id == workspace.id)
            elif table.name == "workspaces":
                query = select(table).where(table.c.id == workspace.id)
            elif table is turns:
                ids = select(threads.c.id).where(threads.c.workspace_id == workspace.id)
                query = select(table).where(table.c.thread_id.in_(ids))
            else:
                continue
            result = await conn.execute(query)
            found[table.name] = sorted(tuple(str(v) for v in row) for row in result)
    return found


def shown_text(values: list[Any]) -> str:
    """Everything a platform was sent, as one text to search for beta's marks."""
    return "\n".join(repr(v) for v in values)
