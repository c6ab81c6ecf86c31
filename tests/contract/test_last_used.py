"""Which workspace a person used last (a Discord DM across linked guilds is answered for it):
the latest AI interaction of their member rows, on every store."""

from __future__ import annotations

from core.credits.pricing import InteractionType, TokenUsage
from core.plans import Plan
from core.workspaces import Platform
from tests.contract.conftest import Core


async def test_the_workspace_of_the_latest_interaction_is_the_one_used_last(core: Core) -> None:
    acme = await core.admin.create("acme", plan=Plan.PRO)
    beta = await core.admin.create("beta", plan=Plan.PRO)
    gamma = await core.admin.create("gamma", plan=Plan.PRO)
    ids = [acme.id, beta.id, gamma.id]

    async def ask(workspace_id: int, user: str, key: str) -> None:
        workspace = next(w for w in (acme, beta, gamma) if w.id == workspace_id)
        member = await core.workspaces.ensure_member(workspace.id, Platform.DISCORD, user, user)
        core.clock.advance(minutes=1)
        await core.pool.reserve(workspace, key=key, member=member)
        await core.pool.settle(
            workspace,
            key=key,
            usage=TokenUsage(100, 10),
            interaction_type=InteractionType.SIMPLE_QUESTION,
        )

    assert await core.usage.last_used(Platform.DISCORD, "42", ids) is None
    await ask(acme.id, "42", "a1")
    await ask(beta.id, "42", "b1")
    await ask(acme.id, "7", "a2")  # someone else, later
    assert await core.usage.last_used(Platform.DISCORD, "42", ids) == beta.id
    assert await core.usage.last_used(Platform.DISCORD, "42", [acme.id, gamma.id]) == acme.id
    assert await core.usage.last_used(Platform.SLACK, "42", ids) is None  # another platform
    assert await core.usage.last_used(Platform.DISCORD, "42", []) is None
    await ask(acme.id, "42", "a3")
    assert await core.usage.last_used(Platform.DISCORD, "42", ids) == acme.id
