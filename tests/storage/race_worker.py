"""Racing a workspace's credit pool: shared by test_concurrency and its worker processes.

`drain` runs concurrent tasks that each ask AI questions (reserve, then settle at a random
price of 1 to 6 credits) until the pool refuses them with OutOfCredits. Every third question
of each task uses a key shared by all tasks (and, in the multi-process test, by all
processes), the way a platform retry or a second replica would send the same event again.

Run as `python -m tests.storage.race_worker URL WORKSPACE NAME TASKS SEED`: the process sets
up, prints `ready`, waits for a `go` line on stdin (so every process starts racing at the
same moment), drains the pool and prints its answers as one JSON line.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import sys
from dataclasses import asdict, dataclass

from bot.app import App, build_app
from bot.settings import Settings
from core.clock import SystemClock
from core.credits.pricing import InteractionType, TokenUsage
from core.errors import OutOfCredits, PoolBusy
from core.workspaces import Member, Platform, Workspace

HOLD_WAIT_SECONDS = 2.0
RACE_TIMEOUT_SECONDS = 60  # a hang is a failure, not a stuck test run
MAX_ROUNDS = 200  # per task: a bound so that a bug cannot make a worker loop forever
SHARED_EVERY = 3

ANSWERED = "answered"  # settled and charged by this call
DUPLICATE = "duplicate"  # settled before (same key): this call charged nothing
OUT = "out"  # OutOfCredits
BUSY = "busy"  # PoolBusy


def usage_for(credits: int) -> TokenUsage:
    """Token usage that the default pricing turns into exactly `credits` (1 to 6)."""
    return TokenUsage(input_tokens=4000 * credits - 1000, output_tokens=250)


@dataclass(frozen=True)
class Outcome:
    """One question asked: what the pool answered, in JSON-friendly fields."""

    worker: str
    key: str
    price: int
    kind: str
    hold_duplicate: bool = False
    interaction_id: int | None = None
    charged: int = 0
    written_off: int = 0
    remaining_after: int | None = None  # the balance the charge reported


def settings(url: str, *, hold_wait: float = HOLD_WAIT_SECONDS) -> Settings:
    return Settings(database_url=url, hold_wait_seconds=hold_wait)


async def ask(
    app: App, workspace: Workspace, *, worker: str, key: str, price: int, member: Member | None
) -> Outcome:
    """Reserve then settle one question, as the conversation service does."""
    try:
        hold = await app.pool.reserve(workspace, key=key, member=member)
    except OutOfCredits:
        return Outcome(worker, key, price, OUT)
    except PoolBusy:
        return Outcome(worker, key, price, BUSY)
    charge = await app.pool.settle(
        workspace, key=key, usage=usage_for(price), interaction_type=InteractionType.SIMPLE_QUESTION
    )
    return Outcome(
        worker,
        key,
        price,
        DUPLICATE if charge.duplicate else ANSWERED,
        hold_duplicate=hold.duplicate,
        interaction_id=charge.interaction.id,
        charged=charge.split.charged,
        written_off=charge.split.written_off,
        remaining_after=charge.balance.remaining if charge.balance else None,
    )


async def drain(
    app: App,
    workspace: Workspace,
    *,
    worker: str,
    tasks: int,
    seed: int,
    member: Member | None = None,
) -> list[Outcome]:
    """`tasks` concurrent askers, each until the pool says OutOfCredits."""

    async def asker(task: int) -> list[Outcome]:
        rng = random.Random(f"{seed}-{worker}-{task}")
        outcomes: list[Outcome] = []
        for i in itertools.count():
            if i >= MAX_ROUNDS:
                raise AssertionError(f"{worker}/{task}: the pool never ran out")
            key = f"shared-{i}" if i % SHARED_EVERY == 0 else f"{worker}-{task}-{i}"
            outcome = await ask(
                app, workspace, worker=worker, key=key, price=rng.randint(1, 6), member=member
            )
            outcomes.append(outcome)
            if outcome.kind == OUT:
                return outcomes
        raise AssertionError("unreachable")

    async with asyncio.timeout(RACE_TIMEOUT_SECONDS):
        results = await asyncio.gather(*(asker(t) for t in range(tasks)))
    return [o for outcomes in results for o in outcomes]


async def _main(url: str, workspace_name: str, worker: str, tasks: int, seed: int) -> None:
    from adapters.storage import open_database

    db = open_database(url, pool_size=tasks)
    try:
        app = build_app(settings(url), db=db, clock=SystemClock())
        workspace = await app.admin.get(workspace_name)
        member = await app.workspace_store.ensure_member(
            workspace.id, Platform.SLACK, f"U-{worker}", worker
        )
        print("ready", flush=True)
        if sys.stdin.readline().strip() != "go":  # blocking on purpose: nothing else runs
            raise SystemExit("no go signal")
        outcomes = await drain(app, workspace, worker=worker, tasks=tasks, seed=seed, member=member)
        print(json.dumps([asdict(o) for o in outcomes]), flush=True)
    finally:
        await db.dispose()


if __name__ == "__main__":
    url_arg, workspace_arg, worker_arg, tasks_arg, seed_arg = sys.argv[1:]
    asyncio.run(_main(url_arg, workspace_arg, worker_arg, int(tasks_arg), int(seed_arg)))
