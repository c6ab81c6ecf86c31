"""`setget-bot workspace ...`: create, list, plans, links, admins, member caps."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.app import App
from bot.cli import render
from bot.cli.runner import checked, parse_count, parse_date, run
from core.errors import InvalidInput
from core.plans import Plan
from core.workspaces import Mode, Platform

app = typer.Typer(help="Workspaces: plans, linked Slack teams and Discord guilds, admins.")
admin_app = typer.Typer(help="Workspace admins.", no_args_is_help=True)
app.add_typer(admin_app, name="admin")

Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]
Allocation = Annotated[
    str | None, typer.Option("--allocation", help="Monthly credits (required for enterprise).")
]


def _allocation(text: str | None) -> int | None:
    return None if text is None else parse_count(text, what="--allocation")


@app.command("create")
def create(
    name: str,
    plan: Annotated[str, typer.Option("--plan", help="free | pro | business | enterprise")],
    allocation: Allocation = None,
    anchor: Annotated[str | None, typer.Option(help="Billing anchor date YYYY-MM-DD.")] = None,
    mode: Annotated[str | None, typer.Option(help="cloud | self-hosted")] = None,
) -> None:
    """Create a workspace with its credit pool."""
    plan_, allocation_, anchor_ = checked(
        lambda: (Plan.parse(plan), _allocation(allocation), parse_date(anchor, option="--anchor"))
    )
    mode_ = checked(lambda: Mode.parse(mode) if mode else None)

    async def action(a: App) -> None:
        w = await a.admin.create(
            name, plan=plan_, allocation=allocation_, anchor=anchor_, mode=mode_ or a.settings.mode
        )
        print(
            f"created workspace {w.name!r}: {w.plan.value}, {w.allocation:,} credits a month, "
            f"anchor {w.anchor.isoformat()}, {w.mode.value}"
        )

    run(action)


@app.command("list")
def list_(json: Json = False) -> None:
    """List workspaces."""

    async def action(a: App) -> None:
        items = await a.admin.list()
        if json:
            render.emit_json([render.workspace_json(w) for w in items])
        else:
            render.show_workspaces(items)

    run(action)


@app.command("set-plan")
def set_plan(name: str, plan: str, allocation: Allocation = None) -> None:
    """Change plan. An upgrade tops up the current cycle; a downgrade starts at renewal."""
    plan_, allocation_ = checked(lambda: (Plan.parse(plan), _allocation(allocation)))

    async def action(a: App) -> None:
        change = await a.admin.set_plan(name, plan_, allocation=allocation_)
        w = change.workspace
        extra = (
            f"; {change.topup:,} credits added to this cycle"
            if change.topup
            else "; the new allocation starts at the next renewal"
        )
        print(f"{w.name!r} is now on {w.plan.value} ({w.allocation:,} credits a month){extra}")

    run(action)


def _one_id(
    slack: str | None, discord: str | None, *, options: tuple[str, str]
) -> tuple[Platform, str]:
    if (slack is None) == (discord is None):
        raise InvalidInput(f"give exactly one of {options[0]} or {options[1]}")
    return (Platform.SLACK, slack) if slack is not None else (Platform.DISCORD, str(discord))


@app.command("link")
def link(
    name: str,
    slack_team: Annotated[str | None, typer.Option("--slack-team")] = None,
    discord_guild: Annotated[str | None, typer.Option("--discord-guild")] = None,
) -> None:
    """Link a Slack team or Discord guild to a workspace (each belongs to one workspace)."""
    platform, external = checked(
        lambda: _one_id(slack_team, discord_guild, options=("--slack-team", "--discord-guild"))
    )

    async def action(a: App) -> None:
        await a.admin.link(name, platform, external)
        print(f"linked {platform.value} {external} to workspace {name!r}")

    run(action)


@admin_app.command("add")
def admin_add(
    name: str,
    slack_user: Annotated[str | None, typer.Option("--slack-user")] = None,
    discord_user: Annotated[str | None, typer.Option("--discord-user")] = None,
) -> None:
    """Make a Slack or Discord user an admin of the workspace."""
    platform, external = checked(
        lambda: _one_id(slack_user, discord_user, options=("--slack-user", "--discord-user"))
    )

    async def action(a: App) -> None:
        member = await a.admin.add_admin(name, platform, external)
        print(f"{platform.value} user {member.external_id} is an admin of {name!r}")

    run(action)


@app.command("member-cap")
def member_cap(name: str, member: str, cap: str) -> None:
    """Cap a member's monthly credits (N or `none`); name them slack:U…, discord:… or a name."""

    def parse() -> int | None:
        if cap.strip().lower() == "none":
            return None
        value = parse_count(cap, what="the cap")
        if value < 0:
            raise InvalidInput(f"the cap must be zero or more, or `none`, not {value}")
        return value

    cap_ = checked(parse)

    async def action(a: App) -> None:
        m = await a.admin.set_member_cap(name, member, cap_)
        what = "no cap" if m.monthly_cap is None else f"a cap of {m.monthly_cap:,} credits a month"
        print(f"{m.display_name} ({m.platform.value}:{m.external_id}) in {name!r} now has {what}")

    run(action)
