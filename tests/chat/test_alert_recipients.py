"""To whom a usage alert goes on a chat platform: the alerts channel, else each admin by DM;
a retry after a partial failure tells only those not yet told."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from core.chat.alerts import ChatNotifier, Unreachable
from core.chat.people import Directory, People
from core.credits.alerts import AlertKind
from core.credits.notices import Notice
from core.credits.outbox import DeliveryFailed, NoRecipient
from core.plans import Plan
from core.workspaces import Platform, Role
from tests.chat_fakes import FakeDirectory, InMemoryChannelSettings
from tests.fakes import FakeClock, InMemoryStore

NOTICE = Notice(AlertKind.THRESHOLD, "acme: 75% used", "Credits renew soon.", False, ref="a1")


@dataclass
class FakeSender:
    directory_of: dict[str, FakeDirectory]
    sent: list[tuple[str, str]] = field(default_factory=list)
    unreachable: set[str] = field(default_factory=set)
    failing: set[str] = field(default_factory=set)

    @property
    def platform(self) -> Platform:
        return Platform.SLACK

    async def directory(self, team: str) -> Directory | None:
        return self.directory_of.get(team)

    async def _send(self, team: str, to: str) -> None:
        if to in self.unreachable:
            raise Unreachable(f"{to} is gone")
        if to in self.failing:
            self.failing.discard(to)
            raise DeliveryFailed("platform down", retry_after=2.0)
        self.sent.append((team, to))

    async def to_channel(self, team: str, channel: str, notice: Notice) -> None:
        await self._send(team, channel)

    async def to_user(self, team: str, user: str, notice: Notice) -> None:
        await self._send(team, user)


@pytest.fixture
async def world(clock: FakeClock) -> tuple[InMemoryStore, int]:
    from core.admin import WorkspaceAdmin

    store = InMemoryStore()
    workspace = await WorkspaceAdmin(workspaces=store, credits=store, clock=clock).create(
        "acme", plan=Plan.PRO
    )
    await store.link(workspace.id, Platform.SLACK, "T1")
    made = await store.ensure_member(workspace.id, Platform.SLACK, "UMADE", "made")
    await store.set_role(made.id, Role.ADMIN)
    return store, workspace.id


def notifier(
    store: InMemoryStore, sender: FakeSender
) -> tuple[ChatNotifier, InMemoryChannelSettings]:
    settings = InMemoryChannelSettings(store.links)
    return ChatNotifier(sender=sender, settings=settings, people=People(workspaces=store)), settings


async def test_an_alert_goes_to_the_alerts_channel_when_one_is_set(world) -> None:  # type: ignore[no-untyped-def]
    store, wid = world
    sender = FakeSender({"T1": FakeDirectory(platform_admin_ids={"UOWNER"})})
    chat, settings = notifier(store, sender)
    await settings.set_alerts_channel(Platform.SLACK, "T1", "CALERTS")
    await chat.deliver(store.workspaces[wid], NOTICE)
    assert sender.sent == [("T1", "CALERTS")]


async def test_a_gone_channel_falls_back_to_every_admin_and_unreachable_admins_are_skipped(
    world,  # type: ignore[no-untyped-def]
) -> None:
    store, wid = world
    sender = FakeSender(
        {"T1": FakeDirectory(platform_admin_ids={"UOWNER", "UGONE"})},
        unreachable={"CALERTS", "UGONE"},
    )
    chat, settings = notifier(store, sender)
    await settings.set_alerts_channel(Platform.SLACK, "T1", "CALERTS")
    await chat.deliver(store.workspaces[wid], NOTICE)
    assert sender.sent == [("T1", "UMADE"), ("T1", "UOWNER")]


async def test_a_retry_after_a_partial_failure_tells_only_those_not_yet_told(world) -> None:  # type: ignore[no-untyped-def]
    store, wid = world
    sender = FakeSender({"T1": FakeDirectory(platform_admin_ids={"UOWNER"})}, failing={"UOWNER"})
    chat, _ = notifier(store, sender)
    with pytest.raises(DeliveryFailed) as failed:
        await chat.deliver(store.workspaces[wid], NOTICE)
    assert failed.value.retry_after == 2.0
    await chat.deliver(store.workspaces[wid], NOTICE)
    assert sender.sent == [("T1", "UMADE"), ("T1", "UOWNER")]  # UMADE told once


async def test_nobody_to_tell_is_no_recipient_and_an_uninstalled_team_is_skipped(world) -> None:  # type: ignore[no-untyped-def]
    store, wid = world
    chat, _ = notifier(store, FakeSender({}))
    with pytest.raises(NoRecipient):
        await chat.deliver(store.workspaces[wid], NOTICE)
