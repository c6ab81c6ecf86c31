"""What admins read for each usage alert: specific figures, the renewal date, what to do."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.credits.alerts import (
    AlertKind,
    UsageAlert,
    forecast_key,
    pack_key,
    paused_key,
    renewal_key,
    threshold_key,
)
from core.credits.balance import Balance
from core.credits.notices import notice_for
from core.plans import Plan
from core.workspaces import Mode, Workspace

START = date(2026, 1, 31)
RENEWS = date(2026, 2, 28)
AT = datetime(2026, 2, 10, 14, 5, tzinfo=UTC)


def workspace(plan: Plan = Plan.PRO, allocation: int = 500) -> Workspace:
    return Workspace(1, "acme", plan, allocation, START, Mode.CLOUD, AT)


def alert(kind: AlertKind, key: str, percent: int | None = None, start: date = START) -> UsageAlert:
    return UsageAlert(1, kind, start, key, percent, AT, None)


def balance(used: int, packs: int = 0, allocation: int = 500, start: date = START) -> Balance:
    return Balance(start, allocation, used, packs, reserved=0)


def threshold(percent: int) -> UsageAlert:
    return alert(AlertKind.THRESHOLD, threshold_key(START, percent), percent)


def test_a_threshold_notice_names_the_share_used_what_is_left_and_the_renewal() -> None:
    notice = notice_for(workspace(), threshold(90), balance(450), renews_on=RENEWS)
    assert notice.kind is AlertKind.THRESHOLD
    assert notice.title == "acme: 90% of monthly AI credits used"
    assert notice.text == (
        "SetGet AI has used 90% of acme's 500 monthly credits (50 left). "
        "Credits renew on 2026-02-28."
    )
    assert not notice.urgent


def test_a_threshold_notice_counts_packs_and_large_numbers_readably() -> None:
    notice = notice_for(
        workspace(Plan.BUSINESS, 2000),
        threshold(75),
        balance(1500, packs=1200, allocation=2000),
        renews_on=RENEWS,
    )
    assert notice.text == (
        "SetGet AI has used 75% of acme's 2,000 monthly credits (500 left, plus 1,200 in "
        "credit packs). Credits renew on 2026-02-28."
    )


def test_a_late_threshold_notice_leaves_out_figures_of_another_cycle() -> None:
    next_cycle = balance(10, start=RENEWS)
    notice = notice_for(workspace(), threshold(75), next_cycle, renews_on=RENEWS)
    assert notice.text == (
        "SetGet AI has used 75% of acme's 500 monthly credits. Credits renew on 2026-02-28."
    )


def test_all_monthly_credits_used_with_no_packs_says_ai_is_paused_and_how_to_resume() -> None:
    notice = notice_for(workspace(), threshold(100), balance(500), renews_on=RENEWS)
    assert notice.title == "acme: monthly AI credits used up"
    assert notice.text == (
        "SetGet AI has used all of acme's 500 monthly credits. AI is paused until credits "
        "renew on 2026-02-28; to resume sooner, an admin can buy a credit pack."
    )
    assert notice.urgent


def test_all_monthly_credits_used_with_packs_left_says_ai_goes_on() -> None:
    notice = notice_for(workspace(), threshold(100), balance(500, packs=200), renews_on=RENEWS)
    assert notice.text == (
        "SetGet AI has used all of acme's 500 monthly credits. AI goes on with credit packs "
        "(200 left). Monthly credits renew on 2026-02-28."
    )
    assert not notice.urgent


@pytest.mark.parametrize(
    ("plan", "remedy"),
    [
        (Plan.FREE, "an admin can upgrade the plan"),
        (Plan.PRO, "an admin can buy a credit pack"),
        (Plan.BUSINESS, "an admin can buy a credit pack"),
        (Plan.ENTERPRISE, "ask the operator for more credits"),
    ],
)
def test_a_paused_notice_is_urgent_and_offers_what_the_plan_allows(plan: Plan, remedy: str) -> None:
    paused = alert(AlertKind.PAUSED, paused_key(START, 0))
    notice = notice_for(workspace(plan), paused, balance(500), renews_on=RENEWS)
    assert notice.kind is AlertKind.PAUSED
    assert notice.title == "acme: AI paused, no credits left"
    assert notice.text == (
        "acme has used all its AI credits, so SetGet AI is paused until credits renew on "
        f"2026-02-28; to resume sooner, {remedy}. Members can still read their threads."
    )
    assert notice.urgent
    assert "/setget" not in notice.text  # no platform's command in platform-free words


def test_a_paused_notice_delivered_after_a_refill_says_ai_answers_again() -> None:
    paused = alert(AlertKind.PAUSED, paused_key(START, 0))
    notice = notice_for(workspace(), paused, balance(500, packs=300), renews_on=RENEWS)
    assert notice.title == "acme: AI credits available again"
    assert notice.text == (
        "acme ran out of AI credits at 2026-02-10 14:05 UTC and AI was paused; credits have "
        "been added since, so SetGet AI answers again (300 left)."
    )
    assert not notice.urgent


def test_a_pack_notice_shows_the_credits_available_now() -> None:
    pack = alert(AlertKind.PACK_PURCHASED, pack_key(7))
    notice = notice_for(workspace(), pack, balance(480, packs=500), renews_on=RENEWS)
    assert notice.title == "acme: credit pack added"
    assert notice.text == (
        "A credit pack was added to acme's AI credits. 520 credits are available now "
        "(20 monthly, 500 in packs). Pack credits never expire and are used once the monthly "
        "credits run out."
    )
    assert not notice.urgent


def test_a_pack_notice_without_a_balance_still_reads_well() -> None:
    pack = alert(AlertKind.PACK_PURCHASED, pack_key(7))
    notice = notice_for(workspace(), pack, None, renews_on=RENEWS)
    assert notice.text == (
        "A credit pack was added to acme's AI credits. Pack credits never expire and are "
        "used once the monthly credits run out."
    )


def test_a_renewal_notice_gives_the_new_allocation_and_the_next_renewal() -> None:
    renewed = alert(AlertKind.RENEWED, renewal_key(RENEWS), start=RENEWS)
    fresh = balance(0, packs=40, start=RENEWS)
    notice = notice_for(workspace(), renewed, fresh, renews_on=date(2026, 3, 31))
    assert notice.kind is AlertKind.RENEWED
    assert notice.title == "acme: AI credits renewed"
    assert notice.text == (
        "Credits renewed: 500 monthly credits available to acme until the next renewal on "
        "2026-03-31. 40 credits in packs carry over."
    )
    assert not notice.urgent


def test_a_renewal_notice_without_a_balance_uses_the_workspace_allocation() -> None:
    renewed = alert(AlertKind.RENEWED, renewal_key(RENEWS), start=RENEWS)
    notice = notice_for(workspace(Plan.FREE, 50), renewed, None, renews_on=date(2026, 3, 31))
    assert notice.text == (
        "Credits renewed: 50 monthly credits available to acme until the next renewal on "
        "2026-03-31."
    )


def test_every_alert_kind_has_a_notice() -> None:
    keys = {
        AlertKind.THRESHOLD: threshold_key(START, 75),
        AlertKind.PAUSED: paused_key(START, 0),
        AlertKind.PACK_PURCHASED: pack_key(1),
        AlertKind.RENEWED: renewal_key(START),
        AlertKind.FORECAST: forecast_key(START),
    }
    for kind in AlertKind:
        notice = notice_for(workspace(), alert(kind, keys[kind], 75), None, renews_on=RENEWS)
        assert notice.kind is kind
        assert notice.title.startswith("acme: ")
        assert notice.text
