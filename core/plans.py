"""Plans and what each gives a workspace: monthly credits, packs, priority."""

from __future__ import annotations

from dataclasses import dataclass

from core.choices import Choice
from core.errors import InvalidInput


class Plan(Choice):
    FREE = "free"
    PRO = "pro"
    BUSINESS = "business"
    ENTERPRISE = "enterprise"


@dataclass(frozen=True)
class PlanTerms:
    """What a plan gives: a default monthly allocation, whether packs can be bought."""

    monthly_credits: int | None  # None: custom, set per workspace (enterprise)
    can_buy_packs: bool
    priority: bool


PLAN_TERMS: dict[Plan, PlanTerms] = {
    Plan.FREE: PlanTerms(monthly_credits=50, can_buy_packs=False, priority=False),
    Plan.PRO: PlanTerms(monthly_credits=500, can_buy_packs=True, priority=False),
    Plan.BUSINESS: PlanTerms(monthly_credits=2000, can_buy_packs=True, priority=True),
    Plan.ENTERPRISE: PlanTerms(monthly_credits=None, can_buy_packs=False, priority=True),
}


def monthly_allocation(plan: Plan, custom: int | None) -> int:
    """The monthly allocation of `plan`; enterprise needs `custom`, others may override it."""
    if custom is not None:
        if custom < 0:
            raise InvalidInput(f"allocation must be zero or more, not {custom}")
        return custom
    default = PLAN_TERMS[plan].monthly_credits
    if default is None:
        raise InvalidInput("the enterprise plan needs --allocation N (its custom monthly credits)")
    return default


def remedy(plan: Plan) -> str:
    """What gets a paused workspace answers again before renewal, on `plan`."""
    if PLAN_TERMS[plan].can_buy_packs:
        return "an admin can buy a credit pack"
    if plan is Plan.ENTERPRISE:
        return "ask the operator for more credits"
    return "an admin can upgrade the plan"
