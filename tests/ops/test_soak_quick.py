"""The soak, short (`bench.soak` for ~16 s on a few workspaces): two Slack replicas and two
Discord shards on one fresh PostgreSQL database answer every turn exactly once, Slack's
retries to the other replica included, tell the members of a drained workspace that it is
out of credits without charging them, and leave a ledger that `ledger verify --all` finds
clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.soak import soak
from bench.soak_load import Pace
from bench.soak_world import Shape
from tests.databases import fresh_database

pytestmark = pytest.mark.postgres

SHAPE = Shape(
    workspaces=8,  # 0-3 on Slack, 4-7 on Discord, 0 on both
    conversations=2,
    drained_every=4,  # 1 (Slack) and 5 (Discord) have 2 credits
    drained_allocation=2,
    flooded=1,  # 7: a pro plan limited to 20 requests a minute, asked faster
    both_every=10,
)
PACE = Pace(turns=(2, 4), think=(0.3, 1.5), retry_share=0.2)


async def test_a_short_soak_answers_every_turn_once_and_leaves_a_clean_ledger(
    tmp_path: Path,
) -> None:
    async with fresh_database("postgres", tmp_path) as url:
        result = await soak(url, seconds=16, shape=SHAPE, pace=PACE, grace=2.0)

    seen = result.replies
    assert result.exited == []
    assert seen.missing == 0, seen
    assert seen.duplicates == 0, seen
    assert seen.turns > 40
    assert result.sent.retries > 0  # Slack delivered some events to both replicas
    assert not result.sent.bad_acks
    assert not result.sent.undelivered  # each Discord event reached one shard
    assert result.verify.ok, result.verify.printed
    assert result.verify.printed.endswith("ledger verify: 8 workspaces, clean")
    assert result.charges.problems == []
    assert {"soak-01", "soak-05"} <= set(result.charges.drained)
    assert seen.refused["out_of_credits"] > 0
    assert seen.refused["rate_limited"] > 0
    assert result.clean
