"""A chat layer over the in-memory stores and the demo data, linked to Slack team T1."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from adapters.offline import OfflineModel
from core.channels import Channels
from core.chat import ChatLayer, ChatServices, People
from core.credits.dashboard import UsageDashboard
from core.llm import ChatModel
from core.workspaces import Platform
from tests.assistant.conftest import Team, team  # noqa: F401  (the `team` fixture)
from tests.chat_fakes import (
    FakeDirectory,
    InMemoryChannelSettings,
    InMemoryClaims,
    InMemorySurface,
    sessions_of,
)
from tests.llm_settings_fake import InMemoryLLMSettings

TEAM = "T1"
ALICE, BOB = "UALICE", "UBOB"  # alice administers the Slack team; bob is a member


@dataclass
class Chat:
    team: Team
    layer: ChatLayer
    surface: InMemorySurface
    directory: FakeDirectory
    settings: InMemoryChannelSettings
    claims: InMemoryClaims
    llm: InMemoryLLMSettings


@dataclass
class Layer:
    layer: ChatLayer
    settings: InMemoryChannelSettings
    claims: InMemoryClaims
    llm: InMemoryLLMSettings


def layer_for(team: Team, model: ChatModel | None = None) -> Layer:  # noqa: F811
    """The chat layer over the team's in-memory stores, answered by `model` (offline)."""
    settings = InMemoryChannelSettings(team.store.links)
    claims, llm = InMemoryClaims(), InMemoryLLMSettings()
    services = ChatServices(
        workspaces=team.store,
        admin=team.admin,
        pool=team.pool,
        dashboard=UsageDashboard(usage=team.store, credits=team.store, clock=team.clock),
        usage=team.store,
        work=team.work,
        channels=Channels(settings=settings, work=team.work),
        channel_settings=settings,
        claims=claims,
        audit=team.audit,
        threads=team.threads,
        llm_settings=llm,
        clock=team.clock,
        chat=sessions_of(team.assistant(model or OfflineModel()), team.desk),
        usage_chart=lambda _report: b"\x89PNG chart",
    )
    layer = ChatLayer(services=services, people=People(workspaces=team.store))
    return Layer(layer, settings, claims, llm)


@pytest.fixture
async def chat(team: Team) -> Chat:  # noqa: F811
    await team.store.link(team.workspace.id, Platform.SLACK, TEAM)
    built = layer_for(team)
    directory = FakeDirectory(names={ALICE: "alice", BOB: "bob"}, platform_admin_ids={ALICE})
    return Chat(
        team=team,
        layer=built.layer,
        surface=InMemorySurface(),
        directory=directory,
        settings=built.settings,
        claims=built.claims,
        llm=built.llm,
    )
