"""How every fault test ends: the ledger explains every balance and no hold is left behind."""

from __future__ import annotations

from adapters.storage.ledger_check import workspace_snapshot
from bot.app import App
from core.credits.interactions import InteractionState
from core.credits.verify import verify


async def assert_ledger_clean(app: App) -> None:
    """`ledger verify --all` finds no difference, and nothing is held any more."""
    for workspace in await app.admin.list():
        snapshot = await workspace_snapshot(app.db, workspace.id, now=app.clock.now())
        found = verify(snapshot)
        assert found == [], f"ledger of {workspace.name}: {found}"
        held = [i.key for i in snapshot.interactions if i.state is InteractionState.HELD]
        assert held == [], f"holds left behind in {workspace.name}"
        assert snapshot.balance is None or snapshot.balance.reserved == 0


async def charges(app: App, name: str = "acme") -> list[tuple[str, int]]:
    """The settled interactions of `name`: (event key, credits), oldest first."""
    workspace = await app.workspace_store.get_workspace(name)
    snapshot = await workspace_snapshot(app.db, workspace.id, now=app.clock.now())
    return [
        (i.key, i.credits) for i in snapshot.interactions if i.state is InteractionState.SETTLED
    ]
