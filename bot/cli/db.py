"""`setget-bot db upgrade` and the `demo` that a newcomer runs first."""

from __future__ import annotations

import typer

from adapters.storage import upgrade_schema
from adapters.storage.database import safe_url
from bot.app import App
from bot.cli import render
from bot.cli.runner import run
from core.errors import WorkspaceNotFound
from core.plans import Plan
from core.workspaces import Platform

app = typer.Typer(help="The database schema.", no_args_is_help=True)

DEMO_WORKSPACE = "demo"


@app.command("upgrade")
def upgrade() -> None:
    """Create the schema, or upgrade it to this version."""

    async def action(a: App) -> None:
        before, after = await upgrade_schema(a.db)
        where = safe_url(a.db.engine.url)
        if before == after:
            print(f"database at {where} is up to date ({', '.join(sorted(after))})")
        else:
            was = ", ".join(sorted(before)) or "empty"
            print(f"upgraded database at {where}: {was} -> {', '.join(sorted(after))}")

    run(action, require_schema=False)


def demo() -> None:
    """Set up a local demo workspace on the embedded SQLite database and show its credits."""

    async def action(a: App) -> None:
        await upgrade_schema(a.db)
        try:
            workspace = await a.admin.get(DEMO_WORKSPACE)
        except WorkspaceNotFound:
            workspace = await a.admin.create(DEMO_WORKSPACE, plan=Plan.PRO)
            await a.admin.add_admin(DEMO_WORKSPACE, Platform.CONSOLE, "alice")
            print(f"created workspace {DEMO_WORKSPACE!r} on the pro plan (admin: console:alice)")
        render.show_status(await a.pool.status(workspace))
        print(
            "Next: `setget-bot credits buy demo 100`, `setget-bot usage demo`, `setget-bot --help`"
        )

    run(action, require_schema=False)
