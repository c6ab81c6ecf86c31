"""A chat session in the terminal, on the chat layer like every platform: streamed answers,
usage footers, `/setget …` commands, and `y`/`n` on proposals and purchases.

Reads lines from an input stream (a person at a terminal, or piped lines for scripts); `/new`
starts a new thread (the model then no longer sees the earlier turns, as a new Slack thread).
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from adapters.console.surface import CHANNEL, ConsoleDirectory, ConsoleSurface, render
from core.assistant.actions import ProposedAction
from core.chat import ChatLayer, Click, Incoming, Reply
from core.chat.replies import BuyForm, ConfigForm, Tone
from core.chat.telling import tell
from core.workspaces import Member, Workspace

YES = {"y", "yes", "confirm"}
NO = {"n", "no", "reject", "cancel"}
QUIT = {"/quit", "/exit", "quit", "exit"}
NEW_THREAD = "/new"
COMMAND = "/setget"
HELP = (
    "  Ask a question about your work items, or:\n"
    "  /setget help      the /setget commands (balance, usage, plan, buy, …)\n"
    "  /new              start a new thread\n"
    "  y / n             confirm or reject the proposed action shown\n"
    "  /quit             leave (Ctrl-D too)"
)


@dataclass
class _Purchase:
    """A pack purchase waiting for its size, then for a yes."""

    size: str | None = None


@dataclass
class ConsoleSession:
    layer: ChatLayer
    workspace: Workspace
    member: Member
    project: str | None = None
    out: TextIO = field(default_factory=lambda: sys.stdout)
    files: Path = field(default_factory=Path.cwd)  # where `/setget usage` and `audit` write
    session_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    pending: list[ProposedAction] = field(default_factory=list)
    _purchase: _Purchase | None = None
    _count: int = 0

    def __post_init__(self) -> None:
        self._surface = ConsoleSurface(self.out, on_offer=self.pending.append)
        self._directory = ConsoleDirectory()

    async def run(
        self, lines: Iterator[str], *, prompt: Callable[[str], None] | None = None
    ) -> None:
        """Answer every line until the input ends or the person quits."""
        self._say(self._greeting())
        for raw in self._prompted(lines, prompt):
            line = raw.strip()
            if line.lower() in QUIT:
                break
            if line:
                await self.handle(line)

    def _prompted(
        self, lines: Iterator[str], prompt: Callable[[str], None] | None
    ) -> Iterator[str]:
        while True:
            if prompt:
                prompt(self.prompt_text())
            try:
                yield next(lines)
            except StopIteration:
                return

    def prompt_text(self) -> str:
        if self._purchase is not None:
            if self._purchase.size is None:
                return "Pack size? "
            return "Buy it? [y/n] "
        if self.pending:
            return f"Confirm action #{self.pending[0].id}? [y/n] "
        return f"{self.member.display_name}> "

    async def handle(self, line: str) -> None:
        """One line: a form's answer, a decision, a command, or a message to the assistant."""
        lowered = line.lower()
        if self._purchase is not None:
            await self._buy(line)
        elif self.pending and lowered in YES | NO:
            await self._decide(self.pending.pop(0), confirm=lowered in YES)
        elif lowered == NEW_THREAD:
            self.new_thread()
        elif lowered in {"/help", "/?"}:
            self._say(HELP)
        elif lowered == COMMAND or lowered.startswith(COMMAND + " "):
            await self._command(line[len(COMMAND) :])
        else:
            await self._ask(line)

    def new_thread(self) -> None:
        """Later messages go to a new thread; the earlier one stays readable in the store."""
        self.session_id = uuid.uuid4().hex[:12]
        self._count = 0
        self._say("  New thread: earlier messages are no longer part of the conversation.")

    async def _ask(self, text: str) -> None:
        self._count += 1
        message = Incoming(
            team=self.workspace.name,
            channel=CHANNEL,
            user=self.member.external_id,
            text=text,
            key=f"{self.session_id}:{self._count}",
            thread_key=self.session_id,
            project=self.project,
        )
        await self.layer.answering.answer(message, self._surface, self._directory)

    async def _command(self, text: str) -> None:
        reply = await self.layer.commands.run(
            team=self.workspace.name,
            channel=CHANNEL,
            user=self.member.external_id,
            text=text,
            directory=self._directory,
        )
        self._show(reply)
        for note in reply.notes:
            self._show(note)
        if isinstance(reply.form, BuyForm):
            sizes = ", ".join(f"{n:,}" for n in reply.form.sizes)
            self._say(f"  Pack sizes: {sizes} credits.")
            self._purchase = _Purchase()
        elif isinstance(reply.form, ConfigForm):
            self._say("  Set the model with `setget-bot llm set` (keys are not typed in chat).")
        for file in reply.files:
            try:
                path = self.files / file.filename
                path.write_bytes(file.data)
                self._say(f"  {file.title}: written to {path}")
            except OSError as exc:
                self._show(tell(exc, doing=f"writing {file.filename}"))

    async def _buy(self, line: str) -> None:
        purchase, forms = self._purchase, self.layer.forms
        assert purchase is not None
        ask = {"team": self.workspace.name, "user": self.member.external_id}
        if purchase.size is None:
            size = line.replace(",", "").strip()
            step = await forms.buy_size(**ask, size=size, directory=self._directory)
            if step.errors:
                self._purchase = None
                self._show(Reply(" ".join(step.errors.values()), Tone.REFUSAL))
                return
            purchase.size = size
            if step.confirm is not None:
                self._show(step.confirm)
            return
        self._purchase = None
        if line.lower() not in YES:
            self._say("  Nothing bought.")
            return
        size = purchase.size
        self._show(await forms.buy_confirm(**ask, size=size, directory=self._directory))

    async def _decide(self, action: ProposedAction, *, confirm: bool) -> None:
        click = Click(self.workspace.name, self.member.external_id, str(action.id), confirm)
        outcome = await self.layer.decisions.decide(click, directory=self._directory, by=None)
        for reply in (outcome.private, outcome.decided):
            if reply is not None:
                self._show(reply)

    def _show(self, reply: Reply) -> None:
        for line in render(reply).splitlines():
            self._say(f"  {line}")

    def _greeting(self) -> str:
        scope = f", channel bound to {self.project}" if self.project else ""
        return (
            f"SetGet AI — workspace {self.workspace.name}, you are "
            f"{self.member.display_name}{scope}. Ask about your work items; "
            "/help lists the commands, /new starts a new thread, /quit leaves."
        )

    def _say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()
