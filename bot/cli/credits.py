"""`setget-bot credits ...` and `setget-bot usage`."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.app import App
from bot.cli import render
from bot.cli.runner import checked, parse_count, run

app = typer.Typer(help="The workspace credit pool.", no_args_is_help=True)

Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]
# Let `-5` reach the command as a value, so it gets a clear message instead of "no such option".
NUMERIC = {"ignore_unknown_options": True}


@app.command("status")
def status(name: str, json: Json = False) -> None:
    """Remaining credits, this cycle's use, packs, holds in flight and the renewal date."""

    async def action(a: App) -> None:
        s = await a.pool.status(await a.admin.get(name))
        if json:
            render.emit_json(render.status_json(s))
        else:
            render.show_status(s)

    run(action)


@app.command("buy", context_settings=NUMERIC)
def buy(name: str, credits: str) -> None:
    """Buy a credit pack (Pro and Business): available at once, never expires."""
    amount = checked(lambda: parse_count(credits, what="credits"))

    async def action(a: App) -> None:
        balance = await a.admin.buy_pack(name, amount)
        print(
            f"bought a pack of {amount:,} credits for {name!r}: {balance.remaining:,} remaining "
            f"({balance.packs_remaining:,} in packs)"
        )

    run(action)


@app.command("grant", context_settings=NUMERIC)
def grant(
    name: str,
    credits: str,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the ledger).")],
) -> None:
    """Grant credits as the operator (like a pack: never expires)."""
    amount = checked(lambda: parse_count(credits, what="credits"))

    async def action(a: App) -> None:
        balance = await a.admin.grant(name, amount, reason=reason)
        print(f"granted {amount:,} credits to {name!r}: {balance.remaining:,} remaining")

    run(action)


def usage(
    name: str,
    days: Annotated[
        str | None, typer.Option("--days", help="Breakdowns over the last N days.")
    ] = None,
    json: Json = False,
) -> None:
    """The usage dashboard: used, remaining, by member, by day, by type, renewal date."""
    days_ = checked(lambda: None if days is None else parse_count(days, what="--days"))

    async def action(a: App) -> None:
        report = await a.dashboard.report(await a.admin.get(name), days=days_)
        if json:
            render.emit_json(render.usage_json(report))
        else:
            render.show_usage(report)

    run(action)
