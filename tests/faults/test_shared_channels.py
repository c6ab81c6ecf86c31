"""Two Slack organisations in one channel see and change only their own workspace's records.

Issue 8, item 3: a Slack Connect channel has one id in every organisation that shares it.
Bindings were keyed by (platform, channel) alone, so a member of team A read team B's binding
and could rebind the channel for B. Here two teams linked to two workspaces share C0SHARED,
through the real slack-bolt app over signed HTTP, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from adapters.slack.blocks import CONFIRM, REJECT
from adapters.storage import SqlActionStore, SqlThreadStore
from adapters.storage.channels import SqlChannelSettings
from bot.app import App
from core.assistant.actions import ActionState
from core.plans import Plan
from core.work.dataset import parse_dataset
from core.work.demo_data import demo_dataset
from core.work.model import ItemFilter
from core.workspaces import Platform, Workspace
from tests.adapters.slack.conftest import SlackBot, serve
from tests.adapters.slack.fake_slack import FakeSlack, SlackCall
from tests.adapters.slack.signing import event_body, mention_event

TEAM_A, TEAM_B = "T0001", "T0002"  # acme's Slack organisation, and beta's
SHARED = "C0SHARED"  # a Slack Connect channel: the same id in both organisations
CREATE = "Create a work item titled 'Fix header layout' in the BRV project"


@dataclass
class Shared:
    """Two workspaces, each linked to its own Slack team, and the one served app."""

    bot: SlackBot
    acme: Workspace
    beta: Workspace

    async def reply(self, team: str, text: str, *, user: str) -> str:
        """`/setget text` in the shared channel from `team`; its one ephemeral reply."""
        before = len(self.bot.slack.calls_to("response_url"))
        assert await self.bot.command(text, user=user, team_id=team, channel=SHARED) == 200
        replies = self.bot.slack.calls_to("response_url")[before:]
        assert len(replies) == 1, [r.args for r in replies]
        assert replies[0].args["response_type"] == "ephemeral"
        return str(replies[0].args["text"])

    async def mention(self, team: str, text: str, *, user: str, ts: str) -> None:
        event = {**mention_event(text, user=user, channel=SHARED, ts=ts), "team": team}
        self.bot.events += 1
        body = event_body(event, team_id=team, event_id=f"Ev{team}{self.bot.events:04d}")
        assert (await self.bot.post(body)).status == 200

    async def bound(self, workspace: Workspace) -> str | None:
        return await SqlChannelSettings(self.bot.app.db).project_for(
            workspace.id, Platform.SLACK, SHARED
        )


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(team_id=TEAM_A) as fake:
        fake.add_user("U0ALICE", "alice", admin=True)  # administers acme's organisation
        fake.add_user("U0BETTY", "betty", admin=True)  # administers beta's
        fake.add_user("U0BOB", "bob")
        fake.add_user("U0BRUNO", "bruno")
        yield fake


@pytest.fixture
async def shared(app: App, slack: FakeSlack) -> AsyncIterator[Shared]:
    today = app.clock.now().date()
    acme = await app.admin.create("acme", plan=Plan.PRO)
    await app.work_items.replace_all(acme.id, demo_dataset(today))  # projects API and WEB
    beta = await app.admin.create("beta", plan=Plan.PRO)
    own = {"projects": [{"key": "BRV", "name": "Brava"}, {"key": "API", "name": "Beta API"}]}
    await app.work_items.replace_all(beta.id, parse_dataset(own, now=app.clock.now()))
    await app.admin.link("acme", Platform.SLACK, TEAM_A)
    await app.admin.link("beta", Platform.SLACK, TEAM_B)
    async with serve(app, slack) as url, aiohttp.ClientSession() as http:
        bot = SlackBot(app=app, slack=slack, url=url, http=http, workspace=acme)
        yield Shared(bot=bot, acme=acme, beta=beta)


async def test_each_team_sees_only_its_own_binding_and_a_rebind_leaves_the_other(
    shared: Shared,
) -> None:
    bound = await shared.reply(TEAM_A, "project web", user="U0ALICE")
    assert bound == f"Questions in <#{SHARED}> are now about project WEB."

    assert "not bound to a project" in await shared.reply(TEAM_B, "project", user="U0BRUNO")
    assert await shared.reply(TEAM_B, "project brv", user="U0BETTY") == (
        f"Questions in <#{SHARED}> are now about project BRV."
    )
    assert await shared.reply(TEAM_A, "project", user="U0BOB") == "This channel is bound to WEB."
    assert await shared.reply(TEAM_B, "project", user="U0BRUNO") == "This channel is bound to BRV."

    await shared.reply(TEAM_A, "project api", user="U0ALICE")  # acme rebinds its channel
    assert await shared.bound(shared.acme) == "API"
    assert await shared.bound(shared.beta) == "BRV"  # beta's binding is untouched
    assert await shared.reply(TEAM_B, "project", user="U0BRUNO") == "This channel is bound to BRV."


async def test_a_question_is_scoped_by_the_binding_of_the_askers_workspace(
    shared: Shared,
) -> None:
    await shared.reply(TEAM_A, "project web", user="U0ALICE")
    await shared.reply(TEAM_B, "project brv", user="U0BETTY")

    await shared.mention(TEAM_A, "How many open items are there?", user="U0BOB", ts="1700.0001")
    await shared.mention(TEAM_B, "How many open items are there?", user="U0BRUNO", ts="1700.0002")

    threads = SqlThreadStore(shared.bot.app.db)
    asked_a = await threads.find_thread(shared.acme.id, Platform.SLACK, f"{SHARED}:1700.0001")
    asked_b = await threads.find_thread(shared.beta.id, Platform.SLACK, f"{SHARED}:1700.0002")
    assert asked_a is not None
    assert asked_a.project == "WEB"
    assert asked_b is not None
    assert asked_b.project == "BRV"


async def test_a_member_cannot_bind_a_channel_but_may_read_the_binding(shared: Shared) -> None:
    refusal = await shared.reply(TEAM_A, "project web", user="U0BOB")

    assert refusal == ":no_entry: Only workspace admins can bind a channel to a project."
    assert await shared.bound(shared.acme) is None
    await shared.reply(TEAM_A, "project web", user="U0ALICE")
    assert await shared.reply(TEAM_A, "project api", user="U0BOB") == refusal
    assert await shared.reply(TEAM_A, "project", user="U0BOB") == "This channel is bound to WEB."
    assert await shared.bound(shared.acme) == "WEB"


def _buttons(post: SlackCall) -> dict[str, str]:
    actions = next(b for b in post.args["blocks"] if b["type"] == "actions")
    return {e["action_id"]: e["value"] for e in actions["elements"]}


@pytest.mark.parametrize("button", [CONFIRM, REJECT])
async def test_a_button_from_one_team_naming_another_workspaces_proposal_changes_nothing(
    shared: Shared, button: str
) -> None:
    bot = shared.bot
    await shared.mention(TEAM_B, CREATE, user="U0BRUNO", ts="1700.0100")
    post = next(
        c for c in bot.slack.calls_to("chat.postMessage") if c.args["text"].startswith("Proposed")
    )
    action_id = int(_buttons(post)[button])
    message: dict[str, Any] = {"ts": "1700.0101", "text": post.args["text"], "blocks": []}

    # acme's admin clicks with beta's proposal id (a forged payload, or beta's message seen
    # in the shared channel): acme has no such proposal.
    before = len(bot.slack.calls_to("chat.update"))
    status = await bot.click(
        button,
        str(action_id),
        user="U0ALICE",
        team_id=TEAM_A,
        channel=SHARED,
        message=message,
        message_ts=message["ts"],
    )

    assert status == 200
    (refusal,) = [c.args["text"] for c in bot.slack.calls_to("response_url")]
    assert refusal == f":no_entry: No proposed action #{action_id} in this workspace."
    assert len(bot.slack.calls_to("chat.update")) == before  # no message was edited
    action = await SqlActionStore(bot.app.db).get(shared.beta.id, action_id)
    assert action is not None
    assert action.state is ActionState.PENDING
    assert action.decided_by is None
    found = await bot.app.work_items.find(
        shared.beta.id, ItemFilter(text="Fix header layout"), limit=5
    )
    assert found.total == 0


async def test_a_follow_up_from_another_team_does_not_join_a_conversation(
    shared: Shared,
) -> None:
    """A reply in acme's thread, delivered to beta's install, is not beta's conversation."""
    bot = shared.bot
    await shared.mention(TEAM_A, "How many open items are there?", user="U0BOB", ts="1700.0200")
    answers = len(bot.slack.calls_to("chat.update"))
    follow_up = {
        "type": "message",
        "user": "U0BRUNO",
        "text": "and how many are bugs?",
        "ts": "1700.0201",
        "thread_ts": "1700.0200",
        "team": TEAM_B,
        "channel": SHARED,
        "event_ts": "1700.0201",
        "channel_type": "channel",
    }
    assert (await bot.post(event_body(follow_up, team_id=TEAM_B, event_id="EvB0201"))).status == 200

    assert len(bot.slack.calls_to("chat.update")) == answers
    threads = SqlThreadStore(bot.app.db)
    assert await threads.find_thread(shared.beta.id, Platform.SLACK, f"{SHARED}:1700.0200") is None
    remaining = (await bot.app.pool.status(shared.beta)).balance.remaining
    assert remaining == 500


async def test_slacks_word_on_an_admin_of_one_team_is_not_reused_for_another_workspace(
    shared: Shared,
) -> None:
    """users.info is asked again for each workspace: U0EVE administers acme's organisation,
    and beta's Slack sees her as an ordinary (external) member."""
    shared.bot.slack.add_user("U0EVE", "eve", admin=True)
    assert "`/setget audit`" in await shared.reply(TEAM_A, "help", user="U0EVE")
    shared.bot.slack.add_user("U0EVE", "eve", admin=False)  # as beta's organisation answers

    refusal = await shared.reply(TEAM_B, "alerts-channel", user="U0EVE")

    assert refusal == ":no_entry: `/setget alerts-channel` is for workspace admins."
    assert (
        await SqlChannelSettings(shared.bot.app.db).alerts_channel(Platform.SLACK, TEAM_B) is None
    )
