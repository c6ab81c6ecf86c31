"""The text of `/setget` replies in CommonMark: balance, plan, usage, the audit summary."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from core.assistant.audit import AuditRecord
from core.credits.dashboard import UsageReport
from core.credits.pool import CreditStatus
from core.plans import PLAN_TERMS


def _count(n: int, thing: str) -> str:
    return f"{n:,} {thing}{'s' if n != 1 else ''}"


def _credits(n: int) -> str:
    return _count(n, "credit")


def balance_text(status: CreditStatus) -> str:
    workspace, balance, cycle = status.workspace, status.balance, status.cycle
    if not workspace.metered:
        return f"**{workspace.name}** is self-hosted: AI use is not limited by credits."
    lines = [
        f"**AI credits — {workspace.name}** ({workspace.plan.value})",
        f"Remaining: **{_credits(balance.remaining)}**"
        f" (monthly {balance.monthly_remaining:,} of {balance.monthly_allocation:,},"
        f" packs {balance.packs_remaining:,})",
        f"Used this month: {_count(balance.monthly_used, 'monthly credit')}",
        f"Renews on {cycle.renewal.isoformat()}",
    ]
    if status.paused:
        lines.append("AI is paused until the renewal or a pack purchase.")
    return "\n".join(lines)


def plan_text(status: CreditStatus) -> str:
    workspace = status.workspace
    terms = PLAN_TERMS[workspace.plan]
    if not workspace.metered:
        return f"**{workspace.name}** is self-hosted: no credit limits, your own model and key."
    packs = "can buy credit packs" if terms.can_buy_packs else "cannot buy credit packs"
    priority = "; priority processing" if terms.priority else ""
    return (
        f"**{workspace.name}** is on the **{workspace.plan.value}** plan: "
        f"{workspace.allocation:,} credits a month, {packs}{priority}. "
        f"The month renews on {status.cycle.renewal.isoformat()}."
    )


def usage_text(report: UsageReport) -> str:
    balance, figures = report.balance, report.figures
    lines = [
        f"**AI usage — {report.workspace.name}** ({report.since} to {report.until})",
        f"Remaining: **{_credits(balance.remaining)}** · used this cycle: {report.used:,}"
        f" · packs left: {balance.packs_remaining:,} · renews on {report.cycle.renewal}",
        "**By member**",
        *[
            f"• {m.member}: {_credits(m.credits)}"
            f" in {_count(m.interactions, 'interaction')}"
            + (f" (cap {m.cap:,})" if m.cap is not None else "")
            for m in figures.by_member
        ],
        "**By type**",
        *[
            f"• {t.interaction_type.value.replace('_', ' ')}: {_credits(t.credits)}"
            for t in figures.by_type
            if t.interactions
        ],
        "_Credits by day: the chart is sent to you privately._",
    ]
    if not figures.by_member:
        lines.insert(3, "• no AI use yet this cycle")
    return "\n".join(lines)


def own_usage_text(report: UsageReport, *, member_id: int) -> str:
    mine = next((m for m in report.figures.by_member if m.member_id == member_id), None)
    used = mine.credits if mine else 0
    count = mine.interactions if mine else 0
    cap = f" Your monthly cap is {mine.cap:,}." if mine and mine.cap is not None else ""
    interactions = _count(count, "AI interaction")
    return (
        f"You used {_credits(used)} in {interactions} since {report.since}.{cap} "
        f"The workspace has {_credits(report.balance.remaining)} left; "
        f"it renews on {report.cycle.renewal}."
    )


def audit_text(
    records: Sequence[AuditRecord], *, members: Mapping[int, str], days: int, shown: int = 10
) -> str:
    if not records:
        return f"No AI interactions in the last {days} days."
    total = _count(len(records), "interaction")
    lines = [f"**AI audit log** — {total} in the last {days} days; latest:"]
    for r in list(records)[-shown:][::-1]:
        who = members.get(r.member_id, f"member {r.member_id}")
        tools = ", ".join(r.tools) or "no tools"
        lines.append(
            f"• {r.at:%Y-%m-%d %H:%M} {who}: {r.interaction_type.replace('_', ' ')}, "
            f"{_credits(r.credits)}, {r.input_tokens + r.output_tokens:,} tokens, {tools}"
            f" ({r.outcome})"
        )
    lines.append("_The whole log is sent to you privately as a JSON-lines file._")
    return "\n".join(lines)
