"""An answer stopped with Ctrl-C: its hold goes back, and nothing can be charged for it."""

from __future__ import annotations

from adapters.console.interrupts import close_interrupted_charge
from bot.app import App
from core.credits.pricing import InteractionType, TokenUsage
from core.plans import Plan

KEY = "console:abc:1"


async def test_a_hold_goes_back_uncharged(app: App) -> None:
    acme = await app.admin.create("acme", plan=Plan.PRO)
    await app.pool.reserve(acme, key=KEY, member=None)
    assert (await app.pool.status(acme)).balance.reserved > 0
    assert await close_interrupted_charge(app.pool, acme, KEY) == 0
    balance = (await app.pool.status(acme)).balance
    assert (balance.reserved, balance.monthly_used) == (0, 0)


async def test_an_answer_stopped_before_its_hold_can_never_be_charged(app: App) -> None:
    acme = await app.admin.create("acme", plan=Plan.PRO)
    assert await close_interrupted_charge(app.pool, acme, KEY) == 0
    late = await app.pool.reserve(acme, key=KEY, member=None)  # the key is closed
    assert late.duplicate
    balance = (await app.pool.status(acme)).balance
    assert (balance.reserved, balance.monthly_used) == (0, 0)


async def test_an_answer_charged_before_it_stopped_says_what_it_cost(app: App) -> None:
    acme = await app.admin.create("acme", plan=Plan.PRO)
    await app.pool.reserve(acme, key=KEY, member=None)
    usage = TokenUsage(input_tokens=9000, output_tokens=100)
    charge = await app.pool.settle(
        acme, key=KEY, usage=usage, interaction_type=InteractionType.SIMPLE_QUESTION
    )
    cost = charge.interaction.credits
    assert cost > 0
    assert await close_interrupted_charge(app.pool, acme, KEY) == cost
    assert (await app.pool.status(acme)).balance.monthly_used == cost
