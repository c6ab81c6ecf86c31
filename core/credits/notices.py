"""What each usage alert tells a workspace's admins, in words that belong to no platform."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from core.credits.alerts import AlertKind, UsageAlert
from core.credits.balance import Balance
from core.credits.forecast import ALERT_MARGIN_DAYS, Forecast, Outlook, day_label, forecast_sentence
from core.plans import remedy
from core.workspaces import Workspace


@dataclass(frozen=True)
class Notice:
    """One alert as admins read it; a notifier only lays it out for its platform."""

    kind: AlertKind
    title: str
    text: str
    urgent: bool  # AI is paused: someone has to act for members to get answers
    ref: str = ""  # which alert: a notifier that reached some admins skips them on a retry


def notice_for(
    workspace: Workspace,
    alert: UsageAlert,
    balance: Balance | None,
    *,
    renews_on: date,
    forecast: Forecast | None = None,
) -> Notice:
    """The notice of `alert`; `balance` is the pool now (None: unknown, or another cycle),
    `forecast` the pace now (for a forecast alert; None: unknown).

    Figures come from the balance at delivery, so a late notice shows what is left now.
    """
    if balance is not None and balance.cycle_start != alert.cycle_start:
        balance = None  # the cycle moved on since: its figures would describe another month
    if forecast is not None and forecast.cycle.start != alert.cycle_start:
        forecast = None
    match alert.kind:
        case AlertKind.THRESHOLD:
            notice = _threshold(workspace, alert, balance, renews_on)
        case AlertKind.PAUSED:
            notice = _paused(workspace, alert, balance, renews_on)
        case AlertKind.PACK_PURCHASED:
            notice = _pack(workspace, balance)
        case AlertKind.RENEWED:
            notice = _renewed(workspace, balance, renews_on)
        case AlertKind.FORECAST:
            notice = _forecast(workspace, forecast, renews_on)
    return replace(notice, ref=f"{alert.workspace_id}:{alert.dedupe_key}")


def _threshold(
    workspace: Workspace, alert: UsageAlert, balance: Balance | None, renews_on: date
) -> Notice:
    name, renews = workspace.name, renews_on.isoformat()
    percent = alert.percent if alert.percent is not None else 100
    monthly = _credits(balance.monthly_allocation if balance else workspace.allocation)
    if percent < 100:
        left = f" ({_left(balance)})" if balance else ""
        return Notice(
            kind=alert.kind,
            title=f"{name}: {percent}% of monthly AI credits used",
            text=f"SetGet AI has used {percent}% of {name}'s {monthly} monthly credits{left}. "
            f"Credits renew on {renews}.",
            urgent=False,
        )
    used_all = f"SetGet AI has used all of {name}'s {monthly} monthly credits."
    if balance is not None and balance.paused:
        then = (
            f"AI is paused until credits renew on {renews}; to resume sooner, {_remedy(workspace)}."
        )
    elif balance is not None:
        then = (
            f"AI goes on with credit packs ({_credits(balance.remaining)} left). "
            f"Monthly credits renew on {renews}."
        )
    else:
        then = f"AI goes on only with credit packs until credits renew on {renews}."
    return Notice(
        kind=alert.kind,
        title=f"{name}: monthly AI credits used up",
        text=f"{used_all} {then}",
        urgent=balance is not None and balance.paused,
    )


def _paused(
    workspace: Workspace, alert: UsageAlert, balance: Balance | None, renews_on: date
) -> Notice:
    name = workspace.name
    if balance is not None and not balance.paused:
        ran_out = alert.created_at.strftime("%Y-%m-%d %H:%M UTC")
        return Notice(
            kind=alert.kind,
            title=f"{name}: AI credits available again",
            text=f"{name} ran out of AI credits at {ran_out} and AI was paused; credits have "
            f"been added since, so SetGet AI answers again ({_credits(balance.remaining)} left).",
            urgent=False,
        )
    return Notice(
        kind=alert.kind,
        title=f"{name}: AI paused, no credits left",
        text=f"{name} has used all its AI credits, so SetGet AI is paused until credits renew "
        f"on {renews_on.isoformat()}; to resume sooner, {_remedy(workspace)}. Members can "
        "still read their threads.",
        urgent=True,
    )


def _pack(workspace: Workspace, balance: Balance | None) -> Notice:
    # The outbox keeps no pack size, only the pack's key: the notice says what is left now.
    now = (
        f" {_credits(balance.remaining)} credits are available now "
        f"({_credits(balance.monthly_remaining)} monthly, "
        f"{_credits(balance.packs_remaining)} in packs)."
        if balance
        else ""
    )
    return Notice(
        kind=AlertKind.PACK_PURCHASED,
        title=f"{workspace.name}: credit pack added",
        text=f"A credit pack was added to {workspace.name}'s AI credits.{now} Pack credits "
        "never expire and are used once the monthly credits run out.",
        urgent=False,
    )


def _renewed(workspace: Workspace, balance: Balance | None, renews_on: date) -> Notice:
    monthly = _credits(balance.monthly_allocation if balance else workspace.allocation)
    packs = (
        f" {_credits(balance.packs_remaining)} credits in packs carry over."
        if balance and balance.packs_remaining
        else ""
    )
    return Notice(
        kind=AlertKind.RENEWED,
        title=f"{workspace.name}: AI credits renewed",
        text=f"Credits renewed: {monthly} monthly credits available to {workspace.name} until "
        f"the next renewal on {renews_on.isoformat()}.{packs}",
        urgent=False,
    )


def _forecast(workspace: Workspace, forecast: Forecast | None, renews_on: date) -> Notice:
    name, kind = workspace.name, AlertKind.FORECAST
    act = f"To keep AI answering until then, {_remedy(workspace)}."
    if forecast is None:  # the pace is unknown now (another cycle, or no dashboard)
        return Notice(
            kind=kind,
            title=f"{name}: AI credits on course to run out before renewal",
            text=f"At the recent pace of AI use, {name}'s credits were on course to run out "
            f"more than {ALERT_MARGIN_DAYS} days before they renew on {renews_on.isoformat()}. "
            f"{act}",
            urgent=False,
        )
    pace = forecast_sentence(forecast)
    if forecast.outlook is Outlook.RUNS_OUT and forecast.runs_out is not None:
        return Notice(
            kind=kind,
            title=f"{name}: AI credits on course to run out on {day_label(forecast.runs_out)}",
            text=f"{pace} {act}",
            urgent=False,
        )
    # The pace slowed, or credits were added (or used up) since the alert was recorded.
    return Notice(
        kind=kind,
        title=f"{name}: AI credits forecast",
        text=f"The pace of AI use had {name}'s credits running out more than "
        f"{ALERT_MARGIN_DAYS} days before renewal. Now: {pace[0].lower()}{pace[1:]}",
        urgent=False,
    )


def _left(balance: Balance) -> str:
    left = f"{_credits(max(0, balance.monthly_remaining))} left"
    if balance.packs_remaining:
        left += f", plus {_credits(balance.packs_remaining)} in credit packs"
    return left


def _remedy(workspace: Workspace) -> str:
    return remedy(workspace.plan)


def _credits(n: int) -> str:
    return f"{n:,}"
