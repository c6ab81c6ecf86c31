"""`setget-bot ledger verify [NAME | --all]`: every stored figure recomputed from the ledger."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli import render
from bot.cli.arguments import Json
from bot.cli.runner import checked, run
from core.errors import InvalidInput

if TYPE_CHECKING:
    from bot.app import App
    from core.credits.verify import Difference

app = typer.Typer(help="The append-only credit ledger.", no_args_is_help=True)


def _one_or_all(name: str | None, every: bool) -> None:
    if (name is not None) != every:
        return
    if every:
        raise InvalidInput("give a workspace NAME or --all, not both")
    raise InvalidInput("give a workspace NAME, or --all for every workspace")


@app.command("verify")
def verify(
    name: Annotated[
        str | None,
        typer.Argument(
            metavar="[NAME]", help="The workspace's name (in any case).", show_default=False
        ),
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="Verify every workspace.")] = False,
    json: Json = False,
) -> None:
    """Recompute balances, usage rollups, holds and alerts from the ledger; list each
    difference and exit 1 if there is any."""
    checked(lambda: _one_or_all(name, every))

    async def action(a: App) -> tuple[list[str], list[Difference]]:
        from adapters.storage.ledger_check import workspace_snapshot
        from core.credits.verify import verify as differences_in

        chosen = [await a.admin.get(name)] if name is not None else await a.admin.list()
        found: list[Difference] = []
        for workspace in chosen:
            snapshot = await workspace_snapshot(a.db, workspace.id, now=a.clock.now())
            found += differences_in(snapshot)
        return [w.name for w in chosen], found

    names, found = run(action)
    if json:
        render.emit_json(
            {
                "ok": not found,
                "workspaces": names,
                "differences": [
                    {
                        "workspace": d.workspace,
                        "what": d.what,
                        "expected": d.expected,
                        "found": d.found,
                    }
                    for d in found
                ],
            }
        )
    else:
        for difference in found:
            print(difference.line())
        verdict = f"{len(found)} difference{'s' if len(found) != 1 else ''}" if found else "clean"
        print(f"ledger verify: {len(names)} workspace{'s' if len(names) != 1 else ''}, {verdict}")
    if found:
        raise typer.Exit(1)
