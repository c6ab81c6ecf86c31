"""End to end over the console: a real database, the real SDK against a fake LLM server."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from adapters.storage import SqlAuditLog, open_database, upgrade_schema
from bot.app import App, build_app
from bot.cli.chatting import chat
from bot.settings import Settings
from core.plans import Plan
from core.work.demo_data import demo_dataset
from core.work.model import ItemFilter
from core.workspaces import Platform, Role, Workspace
from tests.adapters.llm.fake_servers import Failure, FakeOpenAI, Reply, Usage, chunks, tool_call
from tests.fakes import FakeClock

KEY = "sk-e2e-test-key-0123456789abcdef"


@dataclass
class World:
    app: App
    fake: FakeOpenAI
    workspace: Workspace


@pytest.fixture
async def world(database_url: str, clock: FakeClock) -> AsyncIterator[World]:
    async with FakeOpenAI() as fake:
        settings = Settings(
            database_url=database_url,
            llm_provider="openai",
            llm_base_url=fake.url,
            llm_model="gpt-4o-mini",
            llm_api_key=KEY,  # type: ignore[arg-type]
            hold_wait_seconds=0.5,
            rate_limit_free=1000,  # the drain test asks a dozen questions in one (fake) minute
        )
        db = open_database(database_url, pool_size=5)
        try:
            await upgrade_schema(db)
            app = build_app(settings, db=db, clock=clock)
            workspace = await app.admin.create("acme", plan=Plan.FREE)
            await app.work_items.replace_all(workspace.id, demo_dataset(clock.now().date()))
            alice = await app.workspace_store.ensure_member(
                workspace.id, Platform.CONSOLE, "alice", "alice"
            )
            await app.workspace_store.set_role(alice.id, Role.ADMIN)
            yield World(app, fake, workspace)
        finally:
            await db.dispose()


async def converse(world: World, monkeypatch: pytest.MonkeyPatch, *lines: str) -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(f"{line}\n" for line in lines)))
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    await chat(world.app, world.workspace, "alice", None, stream=False)
    return out.getvalue()


async def remaining(world: World) -> int:
    return (await world.app.pool.status(world.workspace)).balance.remaining


async def test_ask_answer_and_charge_exactly_per_the_pricing_rule(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.fake.script(
        Reply(
            tool_calls=[tool_call("count_work_items", {"project": "WEB", "open_only": True})],
            usage=Usage(3000, 40),
        ),
        Reply(text=chunks("WEB has 15 open items."), usage=Usage(3300, 30)),
    )
    text = await converse(world, monkeypatch, "How many open items are in WEB?")
    # (3000 + 3300) + 4 * (40 + 30) = 6,580 weighted tokens -> 2 credits
    assert "WEB has 15 open items." in text
    assert "simple question · 2 credits · 48 left" in text
    assert await remaining(world) == 48
    second = world.fake.requests[1].body["messages"]
    assert second[-1]["role"] == "tool"
    assert '"total": 15' in second[-1]["content"]


async def test_propose_then_confirm_applies_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.fake.script(
        Reply(
            tool_calls=[
                tool_call(
                    "propose_create_work_item", {"project": "WEB", "title": "Fix header layout"}
                )
            ],
            usage=Usage(2000, 30),
        ),
        Reply(text=chunks("Proposed."), usage=Usage(2100, 10)),
    )
    text = await converse(world, monkeypatch, "Create 'Fix header layout' in WEB", "y", "y")
    assert "Action #1 applied: WEB-" in text
    found = await world.app.work_items.find(
        world.workspace.id, ItemFilter(text="Fix header layout"), limit=5
    )
    assert found.total == 1
    assert await remaining(world) == 48  # the proposal's charge; confirming is free


async def test_reject_changes_nothing(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    world.fake.script(
        Reply(
            tool_calls=[
                tool_call(
                    "propose_update_work_items",
                    {"project": "API", "state": ["todo"], "set_state": "in_progress"},
                )
            ],
            usage=Usage(2000, 30),
        ),
        Reply(text=chunks("Proposed."), usage=Usage(2100, 10)),
    )
    before = await world.app.work_items.export(world.workspace.id)
    text = await converse(world, monkeypatch, "Move API todo items to in progress", "n")
    assert "nothing changed" in text
    assert await world.app.work_items.export(world.workspace.id) == before


@pytest.mark.parametrize("failure", [Failure(500), Failure(429, retry_after=0)])
async def test_provider_failure_charges_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch, failure: Failure
) -> None:
    world.fake.script(failure, failure, failure)
    text = await converse(world, monkeypatch, "How many items?")
    assert "⚠" in text
    assert await remaining(world) == 50
    assert (await world.app.pool.status(world.workspace)).balance.reserved == 0


async def test_draining_records_alerts_once_then_pauses_with_a_notice(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.fake.fallback = Reply(text=chunks("ok"), usage=Usage(15000, 300))  # 5 credits each
    text = await converse(world, monkeypatch, *(f"question {i}" for i in range(12)))
    assert "out of AI credits" in text
    alerts = await world.app.credit_store.alerts(world.workspace.id)
    assert sorted(a.percent for a in alerts if a.percent) == [75, 90, 100]
    assert [a.kind.value for a in alerts].count("paused") == 1
    assert await remaining(world) == 0


async def test_the_api_key_appears_only_in_the_auth_header(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    world.fake.script(Reply(text=chunks("Hello."), usage=Usage(100, 5)))
    text = await converse(world, monkeypatch, "Hello")
    request = world.fake.requests[0]
    assert KEY in request.headers["authorization"]
    assert KEY not in request.raw.decode()
    assert KEY not in text
    assert all(KEY not in r.getMessage() for r in caplog.records)
    audit = await SqlAuditLog(world.app.db).entries(world.workspace.id, since=None)
    assert audit
    assert all(KEY not in repr(entry) for entry in audit)
