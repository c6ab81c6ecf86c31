"""One served Slack app for two teams: T0001 linked to acme, T0002 to beta (see tenants.py).

Each team has its own channel, admin and member; beta has already asked a question (charged,
in a thread, audited, with feedback buttons) and has a proposal pending, so an attack from
acme has beta's ids, keys and payloads to copy.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode

import aiohttp

from adapters.slack.blocks import FEEDBACK
from bot.app import App
from core.chat.services import SessionFor
from core.workspaces import Platform, Workspace
from tests.adapters.slack.conftest import SlackBot, serve
from tests.adapters.slack.fake_slack import FakeSlack, SlackCall
from tests.adapters.slack.signing import action_body, event_body, mention_event, message_event
from tests.hostile.tenants import BETA_QUESTION, two_workspaces

TEAM_A, TEAM_B = "T0001", "T0002"
CHANNEL_A, CHANNEL_B = "C0ACME", "C0BETA"
ADMIN_A, MEMBER_A, ADMIN_B, MEMBER_B = "U0ALICE", "U0BOB", "U0BETTY", "U0BRUNO"
BETA_ROOT = "1700000001.000100"
BETA_PROPOSAL_ROOT = "1700000002.000100"
BETA_CREATE = "Create a work item titled 'Beta hire plan' in the OPS project"


def add_people(slack: FakeSlack) -> None:
    slack.add_user(ADMIN_A, "alice", admin=True)
    slack.add_user(MEMBER_A, "bob")
    slack.add_user(ADMIN_B, "betty", admin=True)
    slack.add_user(MEMBER_B, "bruno")
    slack.add_user("U0CAROL", "carol")


@dataclass
class BetaSeen:
    """What beta's messages showed: ids and payloads an attacker may copy."""

    answer: SlackCall  # the final edit of beta's answer (its blocks hold the feedback buttons)
    proposal: SlackCall  # beta's proposal message
    action_id: str
    feedback: list[str] = field(default_factory=list)


@dataclass
class SlackPair:
    bot: SlackBot
    acme: Workspace
    beta: Workspace

    @property
    def slack(self) -> FakeSlack:
        return self.bot.slack

    @property
    def app(self) -> App:
        return self.bot.app

    async def command(
        self, text: str, *, team: str = TEAM_A, user: str = MEMBER_A, channel: str = CHANNEL_A
    ) -> list[str]:
        """`/setget text`; every ephemeral line it answered with."""
        before = len(self.slack.calls_to("response_url"))
        status = await self.bot.command(text, user=user, team_id=team, channel=channel)
        assert status == 200
        return [str(c.args.get("text")) for c in self.slack.calls_to("response_url")[before:]]

    async def mention(
        self,
        text: str,
        *,
        team: str = TEAM_A,
        user: str = MEMBER_A,
        channel: str = CHANNEL_A,
        ts: str,
        thread_ts: str | None = None,
    ) -> int:
        event = {**mention_event(text, user=user, channel=channel, ts=ts), "team": team}
        if thread_ts is not None:
            event["thread_ts"] = thread_ts
        return await self.post_event(event, team=team)

    async def message(
        self, text: str, *, team: str = TEAM_A, user: str = MEMBER_A, **where: Any
    ) -> int:
        event = {**message_event(text, user=user, **where), "team": team}
        return await self.post_event(event, team=team)

    async def post_event(self, event: dict[str, Any], *, team: str) -> int:
        self.bot.events += 1
        body = event_body(event, team_id=team, event_id=f"Ev{team}{self.bot.events:04d}")
        return (await self.bot.post(body)).status

    async def click(
        self,
        action_id: str,
        value: str,
        *,
        team: str = TEAM_A,
        user: str = MEMBER_A,
        channel: str = CHANNEL_A,
        message: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> list[str]:
        """A button click (`extra`: more fields of the action, e.g. a selected channel); the
        ephemeral lines it answered with."""
        shown = message or {"ts": "1700000900.000100", "text": "copied", "blocks": []}
        before = len(self.slack.calls_to("response_url"))
        body = action_body(
            action_id,
            value,
            user=user,
            team_id=team,
            channel=channel,
            message=shown,
            message_ts=shown["ts"],
            response_url=self.slack.response_url,
        )
        if extra:
            payload = json.loads(parse_qs(body)["payload"][0])
            payload["actions"][0].update(extra)
            body = urlencode({"payload": json.dumps(payload)})
        assert (await self.bot.post(body)).status == 200
        return [str(c.args.get("text")) for c in self.slack.calls_to("response_url")[before:]]

    async def beta_activity(self) -> BetaSeen:
        """Beta's member asks (charged, audited) and proposes; what their messages show."""
        await self.mention(
            BETA_QUESTION, team=TEAM_B, user=MEMBER_B, channel=CHANNEL_B, ts=BETA_ROOT
        )
        (answer,) = await self.bot.answered()
        await self.mention(
            BETA_CREATE, team=TEAM_B, user=MEMBER_B, channel=CHANNEL_B, ts=BETA_PROPOSAL_ROOT
        )
        proposal = next(
            c
            for c in self.slack.calls_to("chat.postMessage")
            if str(c.args.get("text", "")).startswith("Proposed action")
        )
        actions = next(b for b in proposal.args["blocks"] if b["type"] == "actions")
        action_id = str(actions["elements"][0]["value"])
        feedback = [
            str(e[side]["value"])
            for b in answer.args["blocks"]
            if b["type"] == "context_actions"
            for e in b["elements"]
            if e.get("action_id") == FEEDBACK
            for side in ("positive_button", "negative_button")
        ]
        return BetaSeen(answer=answer, proposal=proposal, action_id=action_id, feedback=feedback)

    def sent_since(self, count: int) -> list[Any]:
        """The arguments of every Web API call after the first `count`."""
        return [c.args for c in self.slack.calls[count:]]


@asynccontextmanager
async def slack_pair(
    app: App, slack: FakeSlack, *, chat: SessionFor | None = None
) -> AsyncIterator[SlackPair]:
    acme, beta = await two_workspaces(app)
    await app.admin.link("acme", Platform.SLACK, TEAM_A)
    await app.admin.link("beta", Platform.SLACK, TEAM_B)
    async with serve(app, slack, chat=chat) as url, aiohttp.ClientSession() as http:
        bot = SlackBot(app=app, slack=slack, url=url, http=http, workspace=acme)
        yield SlackPair(bot=bot, acme=acme, beta=beta)
