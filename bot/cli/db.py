"""`setget-bot db upgrade`: create or upgrade the schema."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from bot.cli.runner import run

if TYPE_CHECKING:
    from bot.app import App

app = typer.Typer(help="The database schema.", no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """Create the schema, or upgrade it to this version."""

    from adapters.storage import upgrade_schema

    async def action(a: App) -> None:
        before, after = await upgrade_schema(a.db)
        where = a.db.location
        if before == after:
            print(f"database at {where} is up to date ({', '.join(sorted(after))})")
        else:
            was = ", ".join(sorted(before)) or "empty"
            print(f"upgraded database at {where}: {was} -> {', '.join(sorted(after))}")

    run(action, require_schema=False)
