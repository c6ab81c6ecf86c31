"""What `setget-bot console` and `setget-bot demo` run (imported when they run: the commands
themselves are in `bot.cli.console`): chat with the assistant in the terminal.

At a terminal (input and output both one) lines are edited with prompt_toolkit, with a
history kept in the user data folder, and answers print as the model writes them; piped
input, or `--no-stream`, prints each answer at once. While the console runs, log records go
to `console.log` in the user data folder, and only errors (one line each) to stderr.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from adapters.console import ConsoleSession
from adapters.console.reading import LineReader, StreamLines
from adapters.console.session import worth_recalling
from adapters.offline import OfflineModel
from bot import paths
from bot.app import App
from bot.chat import chat_layer
from bot.conversation import (
    ChatSessions,
    Conversations,
    conversations_with,
    deployment_llm,
    own_llm,
)
from core.chat.services import SessionFor
from core.errors import InvalidInput, WorkspaceNotFound
from core.plans import Plan
from core.work.demo_data import DEMO_ADMIN, DEMO_MEMBERS, demo_dataset
from core.workspaces import Platform, Role, Workspace

DEMO_WORKSPACE = "demo"
LOG_FILE = "console.log"


def console_log_path() -> Path:
    return paths.data_dir() / LOG_FILE


def at_terminal() -> bool:
    """A person types and reads here: both ends are a terminal."""
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):  # replaced or closed streams
        return False


def line_reader() -> LineReader:
    if at_terminal():
        from adapters.console.terminal import TerminalLines  # prompt_toolkit: only here

        return TerminalLines(paths.console_history_path(), keep=worth_recalling)
    try:
        typed = sys.stdin.isatty()  # a person types, the answers go elsewhere (`| tee`)
    except (AttributeError, ValueError):
        typed = False
    return StreamLines(sys.stdin, prompt_to=sys.stdout if typed else None)


def paced(app: App, sessions: ChatSessions, *, pace: float) -> SessionFor:
    """Who answers at the console: as everywhere, except that the offline model writes its
    answers at `pace` seconds a word, so that they can be seen arriving."""
    offline: Conversations | None = None

    @contextlib.asynccontextmanager
    async def chat(workspace: Workspace) -> AsyncIterator[Conversations]:
        nonlocal offline
        if deployment_llm(app.settings) or await own_llm(app, workspace):
            async with sessions(workspace) as conversations:
                yield conversations
            return
        offline = offline or conversations_with(app, OfflineModel(pace=pace))
        yield offline

    return chat


@contextlib.contextmanager
def logs_out_of_the_chat() -> Iterator[None]:
    """Log records would land in the middle of an answer: they go to a file, and errors to
    stderr as one line, while the console runs."""
    root = logging.getLogger()
    terminal = [h for h in root.handlers if type(h) is logging.StreamHandler]  # basicConfig's
    saved = [(h, h.level, h.formatter) for h in terminal]
    for handler in terminal:
        handler.setLevel(logging.ERROR)
        handler.setFormatter(_OneLine())
    log_file: logging.Handler | None = None
    try:
        path = console_log_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        log_file = logging.FileHandler(path, encoding="utf-8", delay=True)
    except OSError:
        pass  # errors still reach stderr
    if log_file is not None:
        log_file.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(log_file)
    try:
        yield
    finally:
        if log_file is not None:
            root.removeHandler(log_file)
            log_file.close()
        for handler, level, formatter in saved:
            handler.setLevel(level)
            handler.setFormatter(formatter)


class _OneLine(logging.Formatter):
    """`ERROR logger: message`, without the traceback (the log file has it)."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        record.message = record.getMessage()
        return self.formatMessage(record)


def leave_quietly() -> None:
    """Once a person at a terminal has left, the program only closes the database and ends:
    a Ctrl-C then (a second one, pressed quickly) ends it at once, with nothing printed, not
    with a KeyboardInterrupt in the middle of closing."""
    if at_terminal() and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, lambda signum, frame: _end())


def end_at_terminal() -> None:
    """The person has left and the database is closed: end now. The interpreter's own
    shutdown takes seconds once the tokenizer is loaded, and a Ctrl-C during it would end
    the program by a signal; scripts (piped input) end the ordinary way."""
    if at_terminal():
        _end()


def _end() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(0)


async def chat(
    app: App,
    workspace: Workspace,
    user: str,
    project: str | None,
    *,
    stream: bool,
) -> None:
    if project and project not in {p.key for p in await app.work_items.projects(workspace.id)}:
        raise InvalidInput(f"there is no project {project} in workspace {workspace.name!r}")
    member = await app.workspace_store.ensure_member(workspace.id, Platform.CONSOLE, user, user)
    live = stream and at_terminal()
    sessions = ChatSessions(app)
    pace = app.settings.offline_pace_ms / 1000 if live else 0.0
    try:
        session = ConsoleSession(
            layer=chat_layer(app, sessions, chat=paced(app, sessions, pace=pace)),
            workspace=workspace,
            member=member,
            project=project,
            live=live,
        )
        with logs_out_of_the_chat():
            await session.converse(line_reader())
        leave_quietly()
    finally:
        await sessions.aclose()


async def demo_workspace(a: App) -> Workspace:
    try:
        workspace = await a.admin.get(DEMO_WORKSPACE)
    except WorkspaceNotFound:
        pass
    else:
        print(f"using the existing demo workspace in {a.db.location}")
        return workspace
    workspace = await a.admin.create(DEMO_WORKSPACE, plan=Plan.PRO)
    for name in DEMO_MEMBERS:
        member = await a.workspace_store.ensure_member(workspace.id, Platform.CONSOLE, name, name)
        if name == DEMO_ADMIN:
            await a.workspace_store.set_role(member.id, Role.ADMIN)
    await a.work_items.replace_all(workspace.id, demo_dataset(a.clock.now().date()))
    print(
        f"created workspace {DEMO_WORKSPACE!r} (pro plan) with projects WEB and API, "
        f"Sprints 9-12 and members {', '.join(DEMO_MEMBERS)} ({DEMO_ADMIN} is admin) "
        f"in {a.db.location}"
    )
    return workspace
