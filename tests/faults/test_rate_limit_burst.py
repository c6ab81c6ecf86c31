"""A burst of questions from one workspace admits exactly its plan's rate limit.

Issue 8, item 4: the limit was a count read before the hold was inserted, so 30 mentions sent
together by a free workspace (10 a minute) were all answered. The hold now counts the last
minute's interactions under the workspace's balance lock. Real concurrency: the system
clock, many tasks on pooled connections, and two replicas on one PostgreSQL database.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from adapters.storage import open_database, upgrade_schema
from bot.app import App, build_app
from bot.conversation import conversations_with
from bot.settings import Settings
from core.assistant.admission import RateLimited
from core.assistant.conversation import AskAI
from core.clock import SystemClock
from core.plans import Plan
from core.workspaces import Mode, Platform, Workspace
from tests.assistant_fakes import ScriptedModel, text_reply
from tests.databases import fresh_database

BURST = 30
FREE_LIMIT = 10  # the default for the free plan
MEMBER_SHARE = 5  # half of it (SETGET_RATE_LIMIT_MEMBER_SHARE)
ANSWERED, LIMITED, MEMBER_LIMITED = "answered", "rate limited", "member rate limited"
REFUSAL = (  # the words people have always been told
    f"workspace {{name!r}} reached its limit of {FREE_LIMIT} AI requests a minute; "
    "try again in a moment"
)
MEMBER_REFUSAL = (
    f"{{member}} reached the limit of {MEMBER_SHARE} AI requests a minute for one member of "
    "workspace {name!r}; try again in a moment"
)


@asynccontextmanager
async def replica(url: str, *, migrate: bool = False) -> AsyncIterator[App]:
    """One replica of the bot with the real clock and several pooled connections."""
    db = open_database(url, pool_size=4 if url.startswith("sqlite") else 15)
    try:
        if migrate:
            await upgrade_schema(db)
        yield build_app(Settings(database_url=url), db=db, clock=SystemClock())
    finally:
        await db.dispose()


async def burst(
    app: App, workspace: Workspace, *, name: str, count: int, members: int = 3
) -> list[str]:
    """`count` questions at once from `members` members in turn, as mentions arriving
    together would."""
    people = [
        await app.workspace_store.ensure_member(workspace.id, Platform.SLACK, f"U{n}", f"m{n}")
        for n in range(members)
    ]
    assistant = conversations_with(
        app, ScriptedModel([text_reply("ok", tokens=(10, 1)) for _ in range(count)])
    ).assistant

    async def question(i: int) -> str:
        member = people[i % members]
        request = AskAI(
            workspace=workspace,
            member=member,
            platform=Platform.SLACK,
            thread_key=f"C1:{name}{i}",
            event_id=f"{name}-{i}",
            text=f"question {i}",
        )
        try:
            await assistant.ask(request)
        except RateLimited as exc:
            told = {
                REFUSAL.format(name=workspace.name): LIMITED,
                MEMBER_REFUSAL.format(member=member.display_name, name=workspace.name): (
                    MEMBER_LIMITED
                ),
            }
            return told.get(str(exc), str(exc))
        return ANSWERED

    async with asyncio.timeout(60):
        return list(await asyncio.gather(*(question(i) for i in range(count))))


@pytest.mark.parametrize("mode", [Mode.CLOUD, Mode.SELF_HOSTED])
async def test_a_burst_from_a_free_workspace_admits_exactly_its_limit(
    database_url: str, mode: Mode
) -> None:
    async with replica(database_url, migrate=True) as app:
        workspace = await app.admin.create("acme", plan=Plan.FREE, mode=mode)

        outcomes = await burst(app, workspace, name="m", count=BURST)

        told = Counter(outcomes)
        assert told[ANSWERED] == FREE_LIMIT  # three members: the workspace's limit binds
        assert told[LIMITED] + told[MEMBER_LIMITED] == BURST - FREE_LIMIT
        balance = (await app.pool.status(workspace)).balance
        charged = FREE_LIMIT if mode is Mode.CLOUD else 0
        assert (balance.monthly_used, balance.reserved) == (charged, 0)
        usage = await app.dashboard.report(workspace)
        assert sum(t.interactions for t in usage.figures.by_type) == FREE_LIMIT


@pytest.fixture
async def postgres_url(tmp_path: Path) -> AsyncIterator[str]:
    async with fresh_database("postgres", tmp_path) as url:  # skips without PostgreSQL
        yield url


async def test_two_replicas_bursting_together_admit_exactly_the_limit(postgres_url: str) -> None:
    async with replica(postgres_url, migrate=True) as a, replica(postgres_url) as b:
        workspace = await a.admin.create("acme", plan=Plan.FREE)

        first, second = await asyncio.gather(
            burst(a, workspace, name="a", count=BURST // 2),
            burst(b, workspace, name="b", count=BURST // 2),
        )

        told = Counter(first + second)
        assert told[ANSWERED] == FREE_LIMIT
        assert told[LIMITED] + told[MEMBER_LIMITED] == BURST - FREE_LIMIT
        balance = (await a.pool.status(workspace)).balance
        assert (balance.monthly_used, balance.reserved) == (FREE_LIMIT, 0)


async def test_one_members_burst_admits_their_share_and_leaves_room_for_the_others(
    database_url: str,
) -> None:
    async with replica(database_url, migrate=True) as app:
        workspace = await app.admin.create("acme", plan=Plan.FREE)

        flood = await burst(app, workspace, name="f", count=BURST, members=1)

        assert Counter(flood) == {ANSWERED: MEMBER_SHARE, MEMBER_LIMITED: BURST - MEMBER_SHARE}
        others = await burst(app, workspace, name="o", count=4, members=4)
        assert others[1:] == [ANSWERED] * 3  # m1..m3 (m0 flooded) are answered meanwhile
        balance = (await app.pool.status(workspace)).balance
        assert (balance.monthly_used, balance.reserved) == (MEMBER_SHARE + 3, 0)


async def test_one_member_bursting_on_two_replicas_gets_exactly_their_share(
    postgres_url: str,
) -> None:
    async with replica(postgres_url, migrate=True) as a, replica(postgres_url) as b:
        workspace = await a.admin.create("acme", plan=Plan.FREE)

        first, second = await asyncio.gather(
            burst(a, workspace, name="a", count=BURST // 2, members=1),
            burst(b, workspace, name="b", count=BURST // 2, members=1),
        )

        told = Counter(first + second)
        assert told == {ANSWERED: MEMBER_SHARE, MEMBER_LIMITED: BURST - MEMBER_SHARE}
        balance = (await a.pool.status(workspace)).balance
        assert (balance.monthly_used, balance.reserved) == (MEMBER_SHARE, 0)
