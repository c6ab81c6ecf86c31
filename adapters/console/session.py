"""A chat session in the terminal, on the chat layer like every platform: streamed answers,
usage footers, `/setget …` commands, and `y`/`n` on proposals and purchases.

Reads lines from a `LineReader` (a person at a terminal, piped lines, a script); `/new`
starts a new thread (the model then no longer sees the earlier turns, as a new Slack thread).
Ctrl-C stops the answer in progress, nothing charged; at the prompt it leaves.
"""

from __future__ import annotations

import logging
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from adapters.console.interrupts import GRACE, Interrupts, close_interrupted_charge
from adapters.console.reading import LineReader, ScriptedLines, clean
from adapters.console.surface import CHANNEL, ConsoleDirectory, ConsoleSurface, render
from core.assistant.actions import ProposedAction
from core.chat import ChatLayer, Click, Incoming, Reply
from core.chat.replies import BuyForm, ConfigForm, Tone
from core.chat.telling import tell
from core.claims import attempt_charge_key
from core.workspaces import Member, Platform, Workspace

logger = logging.getLogger(__name__)

YES = {"y", "yes", "confirm"}
NO = {"n", "no", "reject", "cancel"}
QUIT = {"/quit", "/exit", "quit", "exit"}
NEW_THREAD = "/new"
COMMAND = "/setget"
HELP = (
    "  Ask a question about your work items in your own words, or type:\n"
    "  /new              start a new thread (earlier messages are left out of it)\n"
    "  y / n             confirm or reject the proposed action shown\n"
    "  /help             this list\n"
    "  /quit             leave (Ctrl-D, or Ctrl-C at the prompt, too)\n"
    "  Ctrl-C            while an answer prints: stop it (nothing is charged)\n"
    "  Up / Down         earlier lines, kept from one session to the next\n"
    "  /setget …         the chat commands, as in Slack and Discord:"
)
INTERRUPTED = "  Interrupted: nothing was charged."


def worth_recalling(line: str) -> bool:
    """Lines the up arrow brings back: questions and commands, not a `y` or an `n`."""
    text = line.strip().lower()
    return bool(text) and text not in YES | NO


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
    live: bool = True  # answers print as the model writes them; False: each at once
    grace: float = GRACE  # seconds a stopped answer has to reach its next words
    _purchase: _Purchase | None = None
    _count: int = 0
    _asking: str | None = None  # the key of the message being answered

    def __post_init__(self) -> None:
        self._surface = ConsoleSurface(self.out, on_offer=self.pending.append, live=self.live)
        self._directory = ConsoleDirectory()

    async def run(self, lines: Iterator[str]) -> None:
        """Answer lines given in advance until they end or one quits."""
        await self.converse(ScriptedLines(lines))

    async def converse(self, reader: LineReader) -> None:
        """Answer every line until the input ends or the person leaves."""
        self._say(self._greeting())
        with Interrupts(grace=self.grace) as interrupts:
            while not interrupts.leave:
                try:
                    with interrupts.reading():
                        raw = await reader.read(self.prompt_text())
                except KeyboardInterrupt:
                    raw = None
                if raw is None:
                    return
                line = clean(raw)
                if line.lower() in QUIT:
                    return
                if line:
                    await self._handle_stoppable(line, interrupts, reader)

    async def _handle_stoppable(
        self, line: str, interrupts: Interrupts, reader: LineReader
    ) -> None:
        with reader.answering():
            try:
                self._surface.go_on()
                _, stopped = await interrupts.run(self.handle(line), stop=self._surface.stop)
            except Exception as exc:  # the layer tells its own failures: this is a last resort
                logger.exception("the console failed on a line")
                self._show(tell(exc, doing="while answering"))
                return
        if stopped:
            await self._stopped()

    async def _stopped(self) -> None:
        """Ctrl-C stopped a line's work: an answer's hold goes back, uncharged."""
        key, self._asking = self._asking, None
        if key is None:
            self._surface.interrupted("  Interrupted.")
            return
        charge_key = attempt_charge_key(Platform.CONSOLE, key, 1)  # console claims are new
        try:
            cost = await close_interrupted_charge(
                self.layer.services.pool, self.workspace, charge_key
            )
        except Exception as exc:  # a hold left behind expires uncharged
            logger.warning("closing the interrupted answer %s failed: %r", charge_key, exc)
            cost = 0
        if cost:
            credits = "credit" if cost == 1 else "credits"
            self._surface.interrupted(
                f"  Interrupted after the answer was charged ({cost} {credits})."
            )
        else:
            self._surface.interrupted(INTERRUPTED)

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
            await self._help()
        elif lowered == COMMAND or lowered.startswith(COMMAND + " "):
            await self._command(line[len(COMMAND) :])
        else:
            await self._ask(line)

    async def _help(self) -> None:
        """The console's own commands, then the `/setget` table (its first line is about
        asking, said above)."""
        self._say(HELP)
        reply = await self.layer.commands.run(
            team=self.workspace.name,
            channel=CHANNEL,
            user=self.member.external_id,
            text="help",
            directory=self._directory,
        )
        for line in render(reply).splitlines()[1:]:
            self._say(f"    {line}")

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
        self._asking = message.key
        await self.layer.answering.answer(message, self._surface, self._directory)
        self._asking = None

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
