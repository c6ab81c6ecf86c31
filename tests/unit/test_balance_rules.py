"""The pure rules that move a balance: split, thresholds, renewal, upgrades, packs."""

from datetime import UTC, date, datetime

from core.credits.balance import (
    Balance,
    ChargeSplit,
    draw_packs,
    plan_change_topup,
    renew,
    split_charge,
    thresholds_crossed,
)
from core.credits.cycles import Cycle
from core.credits.ledger import Bucket, EntryKind

START = date(2026, 1, 31)
AT = datetime(2026, 2, 28, tzinfo=UTC)


def balance(allocation: int = 50, used: int = 0, packs: int = 0, reserved: int = 0) -> Balance:
    return Balance(START, allocation, used, packs, reserved)


def test_monthly_credits_are_spent_before_packs() -> None:
    assert split_charge(balance(used=48, packs=10, reserved=1), 4, held=1) == ChargeSplit(2, 2, 0)


def test_the_end_of_the_pool_is_written_off_never_owed() -> None:
    assert split_charge(balance(used=49, reserved=1), 5, held=1) == ChargeSplit(1, 0, 4)


def test_a_charge_never_takes_credits_other_answers_hold() -> None:
    # 3 left, 3 held: ours (1) and two others in flight; ours costs 3.
    assert split_charge(balance(used=47, reserved=3), 3, held=1) == ChargeSplit(1, 0, 2)


def test_an_expired_hold_charges_from_what_is_free() -> None:
    assert split_charge(balance(used=40, reserved=2), 3, held=0) == ChargeSplit(3, 0, 0)
    assert split_charge(balance(used=49, reserved=1), 3, held=0) == ChargeSplit(0, 0, 3)


def test_thresholds_fire_when_crossed_even_several_at_once() -> None:
    assert thresholds_crossed(100, 70, 76) == [75]
    assert thresholds_crossed(100, 74, 100) == [75, 90, 100]
    assert thresholds_crossed(100, 75, 89) == []
    assert thresholds_crossed(50, 37, 38) == [75]  # 37.5 is 75 % of 50
    assert thresholds_crossed(0, 0, 0) == []


def test_renewal_expires_unused_monthly_credits_and_keeps_packs_and_holds() -> None:
    renewed, entries = renew(
        balance(used=20, packs=7, reserved=2), Cycle(AT.date(), date(2026, 3, 31)), 500, at=AT
    )
    assert renewed == Balance(AT.date(), 500, 0, 7, 2)
    assert [(e.kind, e.bucket, e.delta, e.cycle_start) for e in entries] == [
        (EntryKind.MONTHLY_EXPIRY, Bucket.MONTHLY, -30, START),
        (EntryKind.MONTHLY_GRANT, Bucket.MONTHLY, 500, AT.date()),
    ]


def test_renewal_of_a_fully_used_cycle_expires_nothing() -> None:
    _, entries = renew(balance(used=50), Cycle(AT.date(), date(2026, 3, 31)), 50, at=AT)
    assert [e.kind for e in entries] == [EntryKind.MONTHLY_GRANT]


def test_an_upgrade_tops_up_and_a_downgrade_takes_nothing_back() -> None:
    assert plan_change_topup(500, 2000) == 1500
    assert plan_change_topup(2000, 500) == 0


def test_packs_are_drawn_oldest_first() -> None:
    assert draw_packs([(9, 5), (3, 2), (5, 10)], 8) == [(3, 2), (5, 6)]
    assert draw_packs([(1, 0), (2, 3)], 2) == [(2, 2)]
    assert draw_packs([(1, 3)], 0) == []


def test_available_and_paused_follow_remaining_and_holds() -> None:
    b = balance(used=45, packs=2, reserved=3)
    assert (b.remaining, b.available, b.paused) == (7, 4, False)
    assert balance(used=50).paused
    assert balance(used=50, reserved=0).available == 0
