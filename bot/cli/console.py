"""`setget-bot console` and `setget-bot demo`: chat with the assistant in the terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Annotated

import typer

from adapters.console import ConsoleSession
from adapters.storage import upgrade_schema
from bot.app import App
from bot.chat import chat_layer
from bot.cli import render
from bot.cli.runner import run
from bot.conversation import ChatSessions
from core.errors import InvalidInput, WorkspaceNotFound
from core.plans import Plan
from core.work.demo_data import DEMO_ADMIN, DEMO_MEMBERS, demo_dataset
from core.work.model import check_project_key
from core.workspaces import Platform, Role, Workspace

DEMO_WORKSPACE = "demo"


def stdin_lines() -> Iterator[str]:
    """Lines a person types, or lines piped in; ends at end of input."""
    while True:
        try:
            line = sys.stdin.readline()
        except OSError:  # no readable input (e.g. captured by a test runner)
            return
        if not line:
            return
        yield line


def _prompt(text: str) -> None:
    if sys.stdin.isatty():
        print(text, end="", flush=True)


async def chat(app: App, workspace: Workspace, user: str, project: str | None) -> None:
    if project and project not in {p.key for p in await app.work_items.projects(workspace.id)}:
        raise InvalidInput(f"there is no project {project} in workspace {workspace.name!r}")
    member = await app.workspace_store.ensure_member(workspace.id, Platform.CONSOLE, user, user)
    sessions = ChatSessions(app)
    try:
        session = ConsoleSession(
            layer=chat_layer(app, sessions),
            workspace=workspace,
            member=member,
            project=project,
        )
        await session.run(stdin_lines(), prompt=_prompt)
    finally:
        await sessions.aclose()


def console(
    workspace: Annotated[str, typer.Option("--workspace", help="Workspace name.")],
    user: Annotated[str, typer.Option("--user", help="Your name; a member on first use.")],
    project: Annotated[str | None, typer.Option("--project", help="Bind to a project.")] = None,
) -> None:
    """Chat with the assistant: streamed answers, usage footer, y/n on proposals."""
    key = check_project_key(project.upper()) if project else None

    async def action(a: App) -> None:
        await chat(a, await a.admin.get(workspace), user.strip(), key)

    run(action)


async def _demo_workspace(a: App) -> Workspace:
    try:
        return await a.admin.get(DEMO_WORKSPACE)
    except WorkspaceNotFound:
        pass
    workspace = await a.admin.create(DEMO_WORKSPACE, plan=Plan.PRO)
    for name in DEMO_MEMBERS:
        member = await a.workspace_store.ensure_member(workspace.id, Platform.CONSOLE, name, name)
        if name == DEMO_ADMIN:
            await a.workspace_store.set_role(member.id, Role.ADMIN)
    await a.work_items.replace_all(workspace.id, demo_dataset(a.clock.now().date()))
    print(
        f"created workspace {DEMO_WORKSPACE!r} (pro plan) with projects WEB and API, "
        f"Sprints 9-12 and members {', '.join(DEMO_MEMBERS)} ({DEMO_ADMIN} is admin)"
    )
    return workspace


def demo() -> None:
    """A local demo: SQLite database, demo workspace and data, then the console as the admin."""

    async def action(a: App) -> None:
        await upgrade_schema(a.db)
        workspace = await _demo_workspace(a)
        render.show_status(await a.pool.status(workspace))
        await chat(a, workspace, DEMO_ADMIN, None)

    run(action, require_schema=False)
