"""Answering a chat message on any platform: claim it once, show progress at once, ask the
assistant, stream the answer, end with the usage footer and offer its proposals.

A message is answered once however often the platform delivers it (a retry, two events of
one message, a gateway resume, several replicas): its key is claimed in the store before
anything is posted. While the model works the surface shows what it is doing ("Counting open
items in WEB…"), cleared when the answer is out. The answer streams natively where the
platform can (its proposals in its last message), by edits where it cannot or refuses.
The claim is leased (`core.claims`): if this process dies before the
answer is out, a later delivery or the recovery job (`answer_unfinished`) answers it in the
same placeholder, charged at most once (`core.assistant.resume`). Every way an answer can
fail ends with the person told something.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from core.assistant.conversation import Answer, AskAI
from core.assistant.resume import ask_for_claim, release_attempts
from core.chat.observe import AnswerOutcome, outcome_of, request_scope
from core.chat.people import Directory, People
from core.chat.replies import Reply, Tone, without_refs
from core.chat.services import ChatServices
from core.chat.status import THINKING, StatusLine, doing
from core.chat.streaming import EditedStream, FallbackStream, finish_answer
from core.chat.surface import AnswerStream, Surface
from core.chat.telling import tell
from core.chat.wording import cannot_answer, not_linked
from core.claims import Claim, ClaimPolicy, ClaimState, lease_kept
from core.errors import MemberCapReached, OutOfCredits
from core.llm import ToolCall
from core.workspaces import Platform

logger = logging.getLogger(__name__)

GIVEN_UP = Reply(
    "Sorry, I could not answer this message after several tries. Please ask again.",
    Tone.WARNING,
)


@dataclass(frozen=True)
class Incoming:
    """One message for the bot, as any platform delivers it."""

    team: str  # the Slack team or Discord guild it came from
    channel: str
    user: str
    text: str  # plain text, the bot's own mention removed
    key: str  # unique per message on the platform: the claim's key
    thread_key: str  # the conversation it continues
    place: str | None = None  # where the platform answers (Slack: the thread's ts)
    project: str | None = None  # a scope the platform gives (else the channel's binding)
    # the channel the person is viewing as they ask (Slack's assistant panel): its bound
    # project scopes the conversation, else the channel's own binding does
    viewing: str | None = None

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Incoming:
        """The message a claim stored; ValueError or TypeError when it holds none."""
        return cls(**json.loads(text))


# Where to answer a message again after a crash: its surface and directory, or None when
# the platform can no longer reach its team (the app was uninstalled).
Reach = Callable[[Incoming], Awaitable[tuple[Surface, Directory] | None]]


class Answering:
    def __init__(
        self, *, services: ChatServices, people: People, policy: ClaimPolicy | None = None
    ) -> None:
        self._services = services
        self._people = people
        self._policy = policy or ClaimPolicy()

    async def continues_thread(self, platform: Platform, team: str, thread_key: str) -> bool:
        """Whether a message without a mention belongs to a thread the bot answers. When that
        cannot be read (the database down) the thread may be one among people, so the bot
        stays out of it."""
        try:
            workspace = await self._people.workspace(platform, team)
            if workspace is None:
                return False
            threads = self._services.threads
            return await threads.find_thread(workspace.id, platform, thread_key) is not None
        except Exception as exc:
            logger.warning("a thread reply was not read: %s", type(exc).__name__)
            return False

    async def answer(self, message: Incoming, surface: Surface, directory: Directory) -> None:
        """Claim the message, then answer it; a message someone else claimed is theirs.
        While this process shuts down the message is claimed for a moment only: the recovery
        job of another process (or of this one, restarted) answers it."""
        services = self._services
        with request_scope(), services.in_flight.tracked():
            closing = services.in_flight.closing
            try:
                claim = await services.claims.claim(
                    directory.platform,
                    message.key,
                    services.clock.now(),
                    message=message.to_json(),
                    lease=timedelta(0) if closing else self._policy.lease,
                )
            except Exception as exc:  # the database down at the claim: say so, never silence
                self._observe(exc)
                await _tell_anew(surface, tell(exc, doing="while answering"))
                return
            if claim is None:
                self._observe(AnswerOutcome.DUPLICATE)
            elif closing:
                logger.info("shutting down: claim %s is left to the recovery job", claim.key)
                self._observe(AnswerOutcome.HANDED_OVER)
            else:
                await self.answer_claimed(claim, message, surface, directory)

    async def answer_unfinished(self, platform: Platform, reach: Reach, *, limit: int = 20) -> int:
        """Answer again the messages whose claimant crashed (the recovery job): each is taken
        over by one replica, the others find it taken. Returns how many this one took."""
        claims, clock = self._services.claims, self._services.clock
        if self._services.in_flight.closing:
            return 0
        stale = await claims.unfinished(platform, now=clock.now(), limit=limit)

        async def take_over(found: Claim) -> bool:
            with request_scope(fresh=True), self._services.in_flight.tracked():
                return await answer_again(found)

        async def answer_again(found: Claim) -> bool:
            claim = await claims.claim(platform, found.key, clock.now(), lease=self._policy.lease)
            if claim is None:
                return False  # another replica got there first
            try:
                message = Incoming.from_json(claim.message)
            except (ValueError, TypeError):
                logger.error("claim %s holds no message to answer from", claim.key)
                await claims.finish(claim, ClaimState.GIVEN_UP)
                return True
            reached = await reach(message)
            if reached is None:  # the bot left the team: nobody to tell
                await claims.finish(claim, ClaimState.GIVEN_UP)
                self._observe(AnswerOutcome.GIVEN_UP)
                return True
            await self.answer_claimed(claim, message, *reached)
            return True

        outcomes = await asyncio.gather(*map(take_over, stale), return_exceptions=True)
        for found, outcome in zip(stale, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                logger.error("answering claim %s again failed", found.key, exc_info=outcome)
        return sum(outcome is True for outcome in outcomes)

    async def answer_claimed(
        self, claim: Claim, message: Incoming, surface: Surface, directory: Directory
    ) -> None:
        """Answer a message this process holds the claim of, then close the claim. If the
        platform fails before the person saw an answer or a notice, the claim stays open: a
        later attempt answers it (in the same placeholder) without charging twice."""
        stream = _stream_for(surface, claim.reply)
        status = StatusLine(surface)
        services = self._services
        try:
            async with lease_kept(
                services.claims, claim, clock=services.clock, policy=self._policy
            ):
                state = await self._respond(
                    claim, message, surface, directory, stream=stream, status=status
                )
        except Exception:
            logger.exception("answering claim %s failed; it is tried again", claim.key)
            self._observe(AnswerOutcome.FAILED)
            return
        except asyncio.CancelledError:
            self._observe(AnswerOutcome.CANCELLED)
            raise
        finally:
            await status.clear()
        try:
            await services.claims.finish(claim, state)
        except Exception as exc:  # the answer is out; a later attempt shows it again at most
            logger.warning("closing claim %s failed: %s", claim.key, type(exc).__name__)

    async def _respond(
        self,
        claim: Claim,
        message: Incoming,
        surface: Surface,
        directory: Directory,
        *,
        stream: AnswerStream,
        status: StatusLine,
    ) -> ClaimState:
        if claim.attempt > self._policy.attempts:
            await self._give_up(claim, message, directory, stream)
            self._observe(AnswerOutcome.GIVEN_UP)
            return ClaimState.GIVEN_UP
        try:
            answer = await self._ask(claim, message, directory, stream=stream, status=status)
        except (OutOfCredits, MemberCapReached) as exc:
            await stream.remove()
            await surface.tell(message.user, cannot_answer(exc))
            self._observe(exc)
            return ClaimState.ANSWERED
        except Exception as exc:
            await stream.fail(tell(exc, doing="while answering"))
            self._observe(exc)
            return ClaimState.ANSWERED
        if answer is None:
            await stream.fail(not_linked(directory.platform, message.team))
            self._observe(AnswerOutcome.NOT_LINKED)
        elif answer.duplicate:
            await stream.remove()
            self._observe(AnswerOutcome.DUPLICATE)
        else:
            await finish_answer(
                stream,
                surface,
                answer.text,
                footer=answer.footer,
                proposals=answer.proposals,
                requester=message.user,
            )
            self._observe(AnswerOutcome.ANSWERED)
        return ClaimState.ANSWERED

    def _observe(self, what: AnswerOutcome | Exception) -> None:
        """Tell the observer how a message ended; its failure never touches the answer."""
        outcome, refusal = (what, None) if isinstance(what, AnswerOutcome) else outcome_of(what)
        try:
            self._services.observer.answer_finished(outcome, refusal)
        except Exception as exc:
            logger.warning("the answer observer failed: %s", type(exc).__name__)

    async def _ask(
        self,
        claim: Claim,
        message: Incoming,
        directory: Directory,
        *,
        stream: AnswerStream,
        status: StatusLine,
    ) -> Answer | None:
        """The answer for this attempt; None when the team is linked to no workspace."""
        services, platform = self._services, directory.platform
        # Show progress while the workspace and the channel's project are read.
        shown = asyncio.create_task(self._show_progress(claim, stream, status))
        try:
            workspace, bound = await asyncio.gather(
                self._people.workspace(platform, message.team),
                self._bound_project(platform, message),
            )
        finally:
            await shown
        if workspace is None:
            return None
        if bound is None and platform is Platform.CONSOLE:  # its "team" is no platform link
            bound = await services.channels.project_for(workspace.id, platform, message.channel)
        member = await self._people.member(workspace, message.team, message.user, directory)
        request = AskAI(
            workspace=workspace,
            member=member,
            platform=platform,
            thread_key=message.thread_key,
            event_id=claim.charge_key,
            text=without_refs(message.text),
            project=message.project or bound,
        )

        async def on_tool(call: ToolCall) -> None:
            await status.show(doing(call.name, call.arguments, project=request.project))

        async with services.chat(workspace) as chat:
            return await ask_for_claim(
                chat.assistant,
                request,
                claim=claim,
                pool=services.pool,
                audit=services.audit,
                on_text=stream.on_text,
                on_tool=on_tool,
            )

    async def _bound_project(self, platform: Platform, message: Incoming) -> str | None:
        """The project of the channel the person is viewing, else of the channel itself."""
        channels = self._services.channels
        if message.viewing and message.viewing != message.channel:
            viewed = await channels.team_project(platform, message.team, message.viewing)
            if viewed is not None:
                return viewed
        return await channels.team_project(platform, message.team, message.channel)

    async def _give_up(
        self, claim: Claim, message: Incoming, directory: Directory, stream: AnswerStream
    ) -> None:
        try:
            workspace = await self._people.workspace(directory.platform, message.team)
            if workspace is not None:
                await release_attempts(workspace, claim, pool=self._services.pool)
        except Exception as exc:  # what they hold expires with the holds; tell the person
            logger.warning("releasing claim %s failed: %s", claim.key, type(exc).__name__)
        await self._show_progress(claim, stream)
        await stream.fail(GIVEN_UP)

    async def _show_progress(
        self, claim: Claim, stream: AnswerStream, status: StatusLine | None = None
    ) -> None:
        """The placeholder, posted and remembered once; a later attempt edits the same one."""
        if status is not None:
            await status.show(THINKING)
        if stream.message is None:
            await stream.start()
            if stream.message is not None:
                await self._services.claims.note_reply(claim, stream.message)


def _stream_for(surface: Surface, resume: str | None) -> AnswerStream:
    """The platform's own stream falling back to edits, or the edits alone; `resume` is the
    message an earlier attempt posted (its answer goes there)."""
    edited = EditedStream(surface, message=resume)
    native = surface.native_stream(resume)
    return edited if native is None else FallbackStream(surface, native, edited=edited)


async def _tell_anew(surface: Surface, reply: Reply) -> None:
    try:
        await surface.post(surface.render(reply))
    except Exception as exc:
        logger.warning("could not tell a person of a failure: %s", type(exc).__name__)
