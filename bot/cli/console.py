"""`setget-bot console` and `setget-bot demo`: chat with the assistant in the terminal.

The commands only; what they run (the chat layer, the line editor, the app) is in
`bot.cli.chatting`, imported when they run, so `--help` answers at once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.runner import run
from core.work.model import check_project_key

if TYPE_CHECKING:
    from bot.app import App

NoStream = Annotated[
    bool, typer.Option("--no-stream", help="Print each answer at once, not as it is written.")
]


def console(
    workspace: Annotated[str, typer.Option("--workspace", help="Workspace name.")],
    user: Annotated[str, typer.Option("--user", help="Your name; a member on first use.")],
    project: Annotated[str | None, typer.Option("--project", help="Bind to a project.")] = None,
    no_stream: NoStream = False,
) -> None:
    """Chat with the assistant: streamed answers, usage footer, y/n on proposals."""
    key = check_project_key(project.upper()) if project else None
    from bot.cli.chatting import chat, end_at_terminal

    async def action(a: App) -> None:
        await chat(a, await a.admin.get(workspace), user.strip(), key, stream=not no_stream)

    run(action)
    end_at_terminal()


def demo(no_stream: NoStream = False) -> None:
    """A local demo: SQLite database, demo workspace and data, then the console as the admin."""
    from adapters.storage import upgrade_schema
    from bot.cli import render
    from bot.cli.chatting import chat, demo_workspace, end_at_terminal
    from core.work.demo_data import DEMO_ADMIN

    async def action(a: App) -> None:
        await upgrade_schema(a.db)
        workspace = await demo_workspace(a)
        render.show_status(await a.pool.status(workspace))
        await chat(a, workspace, DEMO_ADMIN, None, stream=not no_stream)

    run(action, require_schema=False)
    end_at_terminal()
