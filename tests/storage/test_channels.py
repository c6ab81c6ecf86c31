"""Channel settings and event claims on SQLite and PostgreSQL, claims raced by many tasks."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from adapters.storage.channels import SqlChannelSettings
from adapters.storage.claims import SqlEventClaims
from bot.app import App
from core.channels import Channels
from core.errors import InvalidInput, NotAllowed, NotFound
from core.plans import Plan
from core.work.demo_data import demo_dataset
from core.workspaces import Platform


async def test_a_channel_binds_to_a_known_project_and_rebinding_replaces_it(app: App) -> None:
    workspace = await app.admin.create("acme", plan=Plan.PRO)
    await app.work_items.replace_all(workspace.id, demo_dataset(app.clock.now().date()))
    await app.admin.link("acme", Platform.SLACK, "T1")
    admin = await app.admin.add_admin("acme", Platform.SLACK, "U1")
    channels = Channels(settings=SqlChannelSettings(app.db), work=app.work_items)

    assert await channels.bind(workspace, Platform.SLACK, "C1", " web ", by=admin) == "WEB"
    assert await channels.project_for(workspace.id, Platform.SLACK, "C1") == "WEB"
    await channels.bind(workspace, Platform.SLACK, "C1", "API", by=admin)
    assert await channels.project_for(workspace.id, Platform.SLACK, "C1") == "API"
    assert await channels.team_project(Platform.SLACK, "T1", "C1") == "API"
    assert await channels.team_project(Platform.SLACK, "T9", "C1") is None  # not linked
    assert await channels.project_for(workspace.id, Platform.DISCORD, "C1") is None
    with pytest.raises(
        InvalidInput, match=r"no project NOPE in workspace acme \(projects: API, WEB\)"
    ):
        await channels.bind(workspace, Platform.SLACK, "C2", "nope", by=admin)
    assert await channels.project_for(workspace.id, Platform.SLACK, "C2") is None


async def test_only_an_admin_of_the_workspace_binds_a_channel(app: App) -> None:
    acme = await app.admin.create("acme", plan=Plan.PRO)
    beta = await app.admin.create("beta", plan=Plan.PRO)
    await app.work_items.replace_all(acme.id, demo_dataset(app.clock.now().date()))
    member = await app.workspace_store.ensure_member(acme.id, Platform.SLACK, "U2", "bob")
    outsider = await app.admin.add_admin("beta", Platform.SLACK, "U3")
    channels = Channels(settings=SqlChannelSettings(app.db), work=app.work_items)

    for who in (member, outsider):  # a member of acme; an admin, of another workspace
        with pytest.raises(NotAllowed, match="only workspace admins can bind a channel"):
            await channels.bind(acme, Platform.SLACK, "C1", "WEB", by=who)
    assert await channels.project_for(acme.id, Platform.SLACK, "C1") is None
    assert await channels.project_for(beta.id, Platform.SLACK, "C1") is None


async def test_the_alerts_channel_belongs_to_a_linked_team(app: App) -> None:
    workspace = await app.admin.create("acme", plan=Plan.PRO)
    await app.admin.link("acme", Platform.SLACK, "T1")
    await app.admin.link("acme", Platform.SLACK, "T2")
    settings = SqlChannelSettings(app.db)

    assert await settings.alerts_channel(Platform.SLACK, "T1") is None
    await settings.set_alerts_channel(Platform.SLACK, "T1", "C-admins")
    assert await settings.alerts_channel(Platform.SLACK, "T1") == "C-admins"
    assert await settings.alerts_channel(Platform.SLACK, "T2") is None
    assert await settings.linked(workspace.id, Platform.SLACK) == ["T1", "T2"]
    assert await settings.linked(workspace.id, Platform.DISCORD) == []
    with pytest.raises(NotFound, match="slack T9 is not linked"):
        await settings.set_alerts_channel(Platform.SLACK, "T9", "C")


async def test_exactly_one_of_many_concurrent_claims_of_a_message_wins(app: App) -> None:
    claims = SqlEventClaims(app.db)
    now = app.clock.now()
    won = await asyncio.gather(
        *(claims.claim(Platform.SLACK, "T1:C1:1700000000.000100", now) for _ in range(30))
    )
    assert sum(claim is not None for claim in won) == 1
    assert await claims.claim(Platform.DISCORD, "T1:C1:1700000000.000100", now)
    assert await claims.claim(Platform.SLACK, "T1:C1:1700000000.000200", now)
    assert await claims.forget_before(now + timedelta(seconds=1)) == 3
    assert await claims.claim(Platform.SLACK, "T1:C1:1700000000.000100", now)
