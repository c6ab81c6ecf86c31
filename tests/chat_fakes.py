"""In-memory fakes for the chat layer: a surface that records what a person would see, a
directory of people, channel settings and event claims."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from core.assistant.actions import ActionDesk, ProposedAction
from core.assistant.audit import AuditRecord
from core.assistant.conversation import Assistant
from core.assistant.feedback import Feedback
from core.chat.people import Profile
from core.chat.replies import Reply, resolve_refs
from core.chat.surface import AnswerStream, SurfaceRefused
from core.claims import Claim, ClaimPolicy, ClaimState
from core.workspaces import Platform, Workspace


@dataclass
class Shown:
    """One message on the in-memory surface, as it stands now."""

    id: str
    text: str
    footer: str | None = None
    edits: int = 0
    offer: ProposedAction | None = None


class InMemorySurface:
    """A conversation that keeps what a person would see; `refuse` makes calls fail."""

    def __init__(self, *, text_limit: int = 100, edit_interval: float = 0.0) -> None:
        self.text_limit = text_limit
        self.edit_interval = edit_interval
        self.placeholder = "…"
        self.messages: dict[str, Shown] = {}
        self.private: list[tuple[str, Reply]] = []
        self.statuses: list[str | None] = []
        self.refuse: set[str] = set()  # "post", "edit", "delete"
        self._ids = 0

    def render(self, reply: Reply) -> str:
        text = resolve_refs(reply.text, channel=lambda c: f"#{c}", user=lambda u: f"@{u}")
        return f"[{reply.tone.value}] {text}" if reply.tone.value != "info" else text

    def _check(self, what: str) -> None:
        if what in self.refuse:
            raise SurfaceRefused(f"{what} refused", code="refused")

    async def post(self, text: str, *, footer: str | None = None) -> str:
        self._check("post")
        self._ids += 1
        ref = str(self._ids)
        self.messages[ref] = Shown(ref, text, footer)
        return ref

    async def edit(self, message: str, text: str, *, footer: str | None = None) -> None:
        self._check("edit")
        shown = self.messages[message]
        self.messages[message] = replace(shown, text=text, footer=footer, edits=shown.edits + 1)

    async def delete(self, message: str) -> None:
        self._check("delete")
        del self.messages[message]

    async def tell(self, user: str, reply: Reply) -> None:
        self.private.append((user, reply))

    async def offer(self, action: ProposedAction, *, requester: str) -> str:
        ref = await self.post(f"proposal #{action.id}")
        self.messages[ref].offer = action
        return ref

    async def status(self, text: str | None) -> None:
        self.statuses.append(text)

    def native_stream(self, resume: str | None) -> AnswerStream | None:
        return None

    @property
    def texts(self) -> list[str]:
        return [m.text for m in self.messages.values()]


@dataclass
class FakeDirectory:
    platform: Platform = Platform.SLACK
    names: dict[str, str] = field(default_factory=dict)
    platform_admin_ids: set[str] = field(default_factory=set)
    calls: list[str] = field(default_factory=list)
    down: bool = False

    async def profile(self, team: str, user: str) -> Profile | None:
        self.calls.append(f"profile:{user}")
        if self.down:
            return None
        return Profile(self.names.get(user, user), user in self.platform_admin_ids)

    async def platform_admins(self, team: str) -> list[str]:
        self.calls.append(f"admins:{team}")
        return sorted(self.platform_admin_ids)


class InMemoryChannelSettings:
    def __init__(self, links: dict[tuple[Platform, str], int]) -> None:
        self._links = links  # the workspace store's links: (platform, team) -> workspace id
        self.bindings: dict[tuple[int, Platform, str], str] = {}
        self.alerts: dict[tuple[Platform, str], str | None] = {}

    async def bind_project(
        self, workspace_id: int, platform: Platform, channel_id: str, project: str
    ) -> None:
        self.bindings[(workspace_id, platform, channel_id)] = project

    async def project_for(
        self, workspace_id: int, platform: Platform, channel_id: str
    ) -> str | None:
        return self.bindings.get((workspace_id, platform, channel_id))

    async def team_project(
        self, platform: Platform, external_id: str, channel_id: str
    ) -> str | None:
        workspace_id = self._links.get((platform, external_id))
        if workspace_id is None:
            return None
        return self.bindings.get((workspace_id, platform, channel_id))

    async def set_alerts_channel(
        self, platform: Platform, external_id: str, channel_id: str | None
    ) -> None:
        self.alerts[(platform, external_id)] = channel_id

    async def alerts_channel(self, platform: Platform, external_id: str) -> str | None:
        return self.alerts.get((platform, external_id))

    async def linked(self, workspace_id: int, platform: Platform) -> list[str]:
        return [t for (p, t), w in self._links.items() if p is platform and w == workspace_id]


class InMemoryClaims:
    def __init__(self) -> None:
        self.claims: dict[tuple[Platform, str], tuple[Claim, ClaimState]] = {}

    async def claim(
        self,
        platform: Platform,
        key: str,
        now: datetime,
        *,
        message: str = "",
        lease: timedelta = ClaimPolicy.lease,
    ) -> Claim | None:
        found = self.claims.get((platform, key))
        if found is None:
            claim = Claim(platform, key, 1, message, None, now, now + lease)
        else:
            earlier, state = found
            if state is not ClaimState.CLAIMED or earlier.claimed_until > now:
                return None
            claim = replace(earlier, attempt=earlier.attempt + 1, claimed_until=now + lease)
        self.claims[(platform, key)] = (claim, ClaimState.CLAIMED)
        return claim

    def _current(self, claim: Claim) -> bool:
        found = self.claims.get((claim.platform, claim.key))
        return found is not None and found[0].attempt == claim.attempt

    async def note_reply(self, claim: Claim, reply: str) -> None:
        if self._current(claim):
            current, state = self.claims[(claim.platform, claim.key)]
            self.claims[(claim.platform, claim.key)] = (replace(current, reply=reply), state)

    async def renew(self, claim: Claim, *, now: datetime, lease: timedelta) -> bool:
        if not self._current(claim):
            return False
        current, state = self.claims[(claim.platform, claim.key)]
        self.claims[(claim.platform, claim.key)] = (
            replace(current, claimed_until=now + lease),
            state,
        )
        return state is ClaimState.CLAIMED

    async def finish(self, claim: Claim, state: ClaimState = ClaimState.ANSWERED) -> bool:
        if not self._current(claim):
            return False
        current, _ = self.claims[(claim.platform, claim.key)]
        self.claims[(claim.platform, claim.key)] = (current, state)
        return True

    async def unfinished(self, platform: Platform, *, now: datetime, limit: int) -> list[Claim]:
        due = [
            c
            for (p, _), (c, s) in self.claims.items()
            if p is platform and s is ClaimState.CLAIMED and c.claimed_until <= now
        ]
        return sorted(due, key=lambda c: c.claimed_until)[:limit]

    async def forget_before(self, cutoff: datetime) -> int:
        old = [k for k, (c, _) in self.claims.items() if c.received_at < cutoff]
        for k in old:
            del self.claims[k]
        return len(old)


@dataclass(frozen=True)
class Session:
    assistant: Assistant
    desk: ActionDesk


def sessions_of(assistant: Assistant, desk: ActionDesk):  # type: ignore[no-untyped-def]
    """`services.chat` for tests: every workspace answered by `assistant`."""

    @asynccontextmanager
    async def chat(_workspace: Workspace) -> AsyncIterator[Session]:
        yield Session(assistant, desk)

    return chat


class InMemoryFeedback:
    """Feedback on answers beside an in-memory audit log (its `records`)."""

    def __init__(self, audit: list[AuditRecord]) -> None:
        self._audit = audit
        self.kept: dict[tuple[int, str, int], Feedback] = {}

    async def answered(self, workspace_id: int, base_key: str) -> str | None:
        found = [
            r.event_id
            for r in self._audit
            if r.workspace_id == workspace_id
            and r.outcome == "answered"
            and (r.event_id == base_key or r.event_id.startswith(f"{base_key}#"))
        ]
        return found[-1] if found else None

    async def give(self, feedback: Feedback) -> bool:
        key = (feedback.workspace_id, feedback.event_id, feedback.member_id)
        kept = self.kept.get(key)
        if kept is not None and kept.positive == feedback.positive:
            return False
        self.kept[key] = feedback
        return True

    async def entries(self, workspace_id: int, *, since: datetime | None) -> list[Feedback]:
        found = [
            f
            for f in self.kept.values()
            if f.workspace_id == workspace_id and (since is None or f.at >= since)
        ]
        return sorted(found, key=lambda f: f.at)
