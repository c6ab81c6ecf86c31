"""The text of `/setget` replies in CommonMark: balance, plan, usage, the audit summary."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from core.assistant.audit import AuditRecord
from core.assistant.feedback import Feedback, FeedbackShare
from core.credits.dashboard import UsageReport
from core.credits.forecast import Forecast, forecast_sentence
from core.credits.interactions import interaction_label
from core.credits.pool import CreditStatus
from core.plans import PLAN_TERMS


def _count(n: int, thing: str) -> str:
    return f"{n:,} {thing}{'s' if n != 1 else ''}"


def _credits(n: int) -> str:
    return _count(n, "credit")


def balance_text(status: CreditStatus, *, forecast: Forecast | None = None) -> str:
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
    elif forecast is not None:
        lines.append(forecast_sentence(forecast))
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


def usage_text(
    report: UsageReport, *, feedback: FeedbackShare | None = None, chart_note: bool = True
) -> str:
    balance, figures = report.balance, report.figures
    lines = [
        f"**AI usage — {report.workspace.name}** ({report.since} to {report.until})",
        f"Remaining: **{_credits(balance.remaining)}** · used this cycle: {report.used:,}"
        f" · packs left: {balance.packs_remaining:,} · renews on {report.cycle.renewal}",
        *([forecast_sentence(report.forecast)] if report.forecast else []),
        *([feedback.sentence()] if feedback is not None else []),
        "**By member**",
        *[
            f"• {m.member}: {_credits(m.credits)}"
            f" in {_count(m.interactions, 'interaction')}"
            + (f" (cap {m.cap:,})" if m.cap is not None else "")
            for m in figures.by_member
        ],
        "**By type**",
        *[
            f"• {interaction_label(t.interaction_type)}: {_credits(t.credits)}"
            for t in figures.by_type
            if t.interactions
        ],
        *(["_The chart of this cycle's use is sent to you privately._"] if chart_note else []),
    ]
    if not figures.by_member:
        lines.insert(lines.index("**By member**") + 1, "• no AI use yet this cycle")
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
    records: Sequence[AuditRecord],
    *,
    members: Mapping[int, str],
    days: int,
    shown: int = 10,
    feedback: Sequence[Feedback] = (),
) -> str:
    if not records:
        return f"No AI interactions in the last {days} days."
    total = _count(len(records), "interaction")
    lines = [f"**AI audit log** — {total} in the last {days} days; latest:"]
    for r in list(records)[-shown:][::-1]:
        who = members.get(r.member_id, f"member {r.member_id}")
        tools = ", ".join(r.tools) or "no tools"
        lines.append(
            f"• {r.at:%Y-%m-%d %H:%M} {who}: {interaction_label(r.interaction_type)}, "
            f"{_credits(r.credits)}, {r.input_tokens + r.output_tokens:,} tokens, {tools}"
            f" ({r.outcome})" + _verdicts(r, feedback, members)
        )
    lines.append("_The whole log is sent to you privately as a JSON-lines file._")
    return "\n".join(lines)


def _verdicts(record: AuditRecord, feedback: Sequence[Feedback], members: Mapping[int, str]) -> str:
    """Who gave the answer a 👍 or a 👎, after its audit line."""
    given = [f for f in feedback if f.event_id == record.event_id]
    return "".join(
        f" · {'👍' if f.positive else '👎'} {members.get(f.member_id, f'member {f.member_id}')}"
        for f in given
    )
