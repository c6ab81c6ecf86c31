"""A chat session in the terminal: streamed answers, usage footers, confirm/reject prompts.

Reads lines from an input stream (a person at a terminal, or piped lines for scripts); a
line `y` or `n` answers the proposal waiting for a decision; `/new` starts a new thread (the
model then no longer sees the earlier turns, as a new Slack thread).
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import TextIO

from core.assistant.actions import ActionDesk, ProposedAction
from core.assistant.conversation import Answer, AskAI, Assistant
from core.errors import SetGetError
from core.workspaces import Member, Platform, Workspace

YES = {"y", "yes", "confirm"}
NO = {"n", "no", "reject", "cancel"}
QUIT = {"/quit", "/exit", "quit", "exit"}
NEW_THREAD = "/new"


@dataclass
class ConsoleSession:
    assistant: Assistant
    desk: ActionDesk
    workspace: Workspace
    member: Member
    project: str | None = None
    out: TextIO = field(default_factory=lambda: sys.stdout)
    session_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    pending: list[ProposedAction] = field(default_factory=list)
    _count: int = 0

    async def run(
        self, lines: Iterator[str], *, prompt: Callable[[str], None] | None = None
    ) -> None:
        """Answer every line until the input ends or the person quits."""
        self._say(self._greeting())
        for raw in self._prompted(lines, prompt):
            line = raw.strip()
            if line.lower() in QUIT:
                break
            if line.lower() == NEW_THREAD:
                self.new_thread()
            elif line:
                await self.handle(line)

    def _prompted(
        self, lines: Iterator[str], prompt: Callable[[str], None] | None
    ) -> Iterator[str]:
        while True:
            if prompt:
                prompt(self._prompt_text())
            try:
                yield next(lines)
            except StopIteration:
                return

    def _prompt_text(self) -> str:
        if self.pending:
            return f"Confirm action #{self.pending[0].id}? [y/n] "
        return f"{self.member.display_name}> "

    async def handle(self, line: str) -> None:
        """One line: a decision on the waiting proposal, or a message to the assistant."""
        if self.pending and line.lower() in YES | NO:
            await self._decide(self.pending.pop(0), confirm=line.lower() in YES)
            return
        await self._guarded(self._ask(line))

    def new_thread(self) -> None:
        """Later messages go to a new thread; the earlier one stays readable in the store."""
        self.session_id = uuid.uuid4().hex[:12]
        self._count = 0
        self._say("  New thread: earlier messages are no longer part of the conversation.")

    async def _ask(self, text: str) -> None:
        self._count += 1
        request = AskAI(
            workspace=self.workspace,
            member=self.member,
            platform=Platform.CONSOLE,
            thread_key=self.session_id,
            event_id=f"console:{self.session_id}:{self._count}",
            text=text,
            project=self.project,
        )
        answer = await self.assistant.ask(request, on_text=self._stream)
        self._show(answer)

    async def _stream(self, delta: str) -> None:
        self.out.write(delta)
        self.out.flush()

    def _show(self, answer: Answer) -> None:
        if not answer.text.endswith("\n"):
            self.out.write("\n")
        self._say(f"  — {answer.footer}")
        for action in answer.proposals:
            self.pending.append(action)
            scope = "an admin" if action.bulk else "you or an admin"
            self._say(f"  Proposed action #{action.id}: {action.draft.summary}")
            if action.draft.keys:
                shown = ", ".join(action.draft.keys[:10])
                more = (
                    f" and {len(action.draft.keys) - 10} more"
                    if len(action.draft.keys) > 10
                    else ""
                )
                self._say(f"  Items: {shown}{more}")
            self._say(f"  Reply y to confirm or n to reject ({scope} may confirm).")

    async def _decide(self, action: ProposedAction, *, confirm: bool) -> None:
        async def go() -> None:
            if not confirm:
                decided = await self.desk.reject(self.workspace.id, action.id, self.member)
                self._say(f"  Action #{action.id} {decided.state.value}; nothing changed.")
                return
            decision = await self.desk.confirm(self.workspace.id, action.id, self.member)
            done = [r.key for r in decision.applied if r.applied]
            self._say(f"  Action #{action.id} applied: {', '.join(done) or 'nothing'} changed.")
            for failure in decision.failed:
                self._say(f"  {failure.key} not changed: {failure.reason}")

        await self._guarded(go())

    async def _guarded(self, work: Awaitable[None]) -> None:
        """A refusal or failure is shown as one clear line; the session goes on."""
        try:
            await work
        except SetGetError as exc:
            self._say(f"  ⚠ {exc}")

    def _greeting(self) -> str:
        scope = f", channel bound to {self.project}" if self.project else ""
        return (
            f"SetGet AI — workspace {self.workspace.name}, you are "
            f"{self.member.display_name}{scope}. Ask about your work items; "
            "/new starts a new thread, /quit leaves."
        )

    def _say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()
