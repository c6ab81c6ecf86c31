"""Tenant isolation in Slack's other surfaces: the assistant panel (its greeting, prompts and
questions, scoped by the channel the person views) and the Home tab. From acme's team, a
panel viewing a channel that beta bound to its own project, and acme's Home tab, show and
change nothing of beta's."""

from __future__ import annotations

from typing import Any

from adapters.storage.channels import SqlChannelSettings
from core.workspaces import Platform
from tests.hostile.slack_pair import (
    ADMIN_A,
    CHANNEL_B,
    MEMBER_A,
    TEAM_A,
    TEAM_B,
    SlackPair,
)
from tests.hostile.tenants import BETA_MARKS, rows_of, shown_text

DM, THREAD = "D0BOBPANEL", "1700000300.000100"


def started(*, viewing: str) -> dict[str, Any]:
    return {
        "type": "assistant_thread_started",
        "assistant_thread": {
            "user_id": MEMBER_A,
            "context": {"team_id": TEAM_A, "enterprise_id": None, "channel_id": viewing},
            "channel_id": DM,
            "thread_ts": THREAD,
        },
        "event_ts": "1700000300.000200",
    }


def assert_nothing_of_beta(pair: SlackPair, since: int) -> None:
    shown = shown_text(pair.sent_since(since))
    for mark in (*BETA_MARKS, "OPS"):
        assert mark not in shown, mark


async def test_a_panel_viewing_a_channel_beta_bound_uses_acmes_own_binding(
    pair: SlackPair,
) -> None:
    """CHANNEL_B shared into acme's organisation (Slack Connect): beta bound it to OPS."""
    await pair.beta_activity()
    (bound,) = await pair.command("project OPS", team=TEAM_B, user="U0BETTY", channel=CHANNEL_B)
    assert "OPS" in bound
    before, since = await rows_of(pair.app, pair.beta), len(pair.slack.calls)

    assert await pair.post_event(started(viewing=CHANNEL_B), team=TEAM_A) == 200
    question = {
        "type": "message",
        "user": MEMBER_A,
        "text": "How many open items are in this channel's project?",
        "ts": "1700000301.000100",
        "thread_ts": THREAD,
        "team": TEAM_A,
        "channel": DM,
        "event_ts": "1700000301.000100",
        "channel_type": "im",
    }
    assert await pair.post_event(question, team=TEAM_A) == 200

    assert await rows_of(pair.app, pair.beta) == before
    assert_nothing_of_beta(pair, since)
    thread = await pair.bot.threads.find_thread(pair.acme.id, Platform.SLACK, f"{DM}:{THREAD}")
    assert thread is not None
    assert thread.project is None  # acme never bound CHANNEL_B
    settings = SqlChannelSettings(pair.app.db)
    assert await settings.project_for(pair.beta.id, Platform.SLACK, CHANNEL_B) == "OPS"


async def test_acmes_home_tab_shows_acmes_pool_and_people_only(pair: SlackPair) -> None:
    await pair.beta_activity()
    before, since = await rows_of(pair.app, pair.beta), len(pair.slack.calls)
    for user in (ADMIN_A, MEMBER_A):
        home = {"type": "app_home_opened", "user": user, "channel": f"D{user}", "tab": "home"}
        assert await pair.post_event(home, team=TEAM_A) == 200
    published = pair.slack.calls_to("views.publish")[-2:]
    assert len(published) == 2
    text = shown_text([p.args for p in published])
    assert "500" in text  # acme's untouched pool
    assert "bruno" not in text  # beta's member, who spent beta's credit
    assert await rows_of(pair.app, pair.beta) == before
    assert_nothing_of_beta(pair, since)
