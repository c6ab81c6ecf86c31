"""`setget-bot serve slack|discord`: the Slack app over HTTP or Socket Mode, the Discord bot.

Each logs as `SETGET_LOG_FORMAT` and `SETGET_LOG_LEVEL` say, and on SIGTERM stops taking new
messages, lets the answers in flight finish (`SETGET_SHUTDOWN_GRACE_SECONDS`) and exits 0.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.runner import fail, run

if TYPE_CHECKING:
    from bot.app import App

app = typer.Typer(help="Run the bot on a chat platform.", no_args_is_help=True)


@app.command("slack")
def slack(
    http: Annotated[
        bool, typer.Option("--http", help="Serve Slack's Events API over HTTP.")
    ] = False,
    socket: Annotated[
        bool, typer.Option("--socket", help="Connect over Socket Mode (SLACK_APP_TOKEN).")
    ] = False,
    port: Annotated[int, typer.Option("--port", help="HTTP port.")] = 3000,
    host: Annotated[str, typer.Option("--host", help="HTTP address to listen on.")] = "0.0.0.0",
) -> None:
    """Answer Slack: `--http --port N` (several replicas may share one PostgreSQL database)
    or `--socket` (no public endpoint needed)."""
    if http == socket:
        fail("choose one of --http or --socket")
    if not 0 < port < 65536:
        fail(f"--port must be between 1 and 65535, not {port}")

    def ready(where: str) -> None:
        print(f"SetGet AI is answering Slack on {where} (Ctrl-C stops)", flush=True)

    from bot.slack import serve_http, serve_socket  # Slack is imported only when served

    async def action(a: App) -> None:
        _log_as_configured(a)
        if socket:
            await serve_socket(a, on_ready=ready, on_stop=_stopping)
        else:
            await serve_http(a, host=host, port=port, on_ready=ready, on_stop=_stopping)

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C stops the server quietly
        run(action)


@app.command("discord")
def discord() -> None:
    """Answer Discord (DISCORD_BOT_TOKEN; SETGET_DISCORD_SHARDS=auto|N for large bots)."""
    from bot.discord import serve_discord  # discord.py is imported only when served

    def ready(where: str) -> None:
        print(f"SetGet AI is answering Discord in {where} (Ctrl-C stops)", flush=True)

    async def action(a: App) -> None:
        _log_as_configured(a)
        await serve_discord(a, on_ready=ready, on_stop=_stopping)

    with contextlib.suppress(KeyboardInterrupt):
        run(action)


def _stopping(what: str) -> None:
    print(f"SetGet AI is {what}", flush=True)


def _log_as_configured(a: App) -> None:
    from bot.logs import setup_from

    setup_from(a.settings)
