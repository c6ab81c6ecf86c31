"""Installing the app in a Slack team over OAuth: the install page, the redirect that stores
the installation in the database, and the installed token answering that team afterwards."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import aiohttp
import pytest
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore

from adapters.slack.app import BOT_SCOPES
from bot.app import App
from bot.scheduler import alert_dispatcher, deliver_alerts
from bot.settings import Settings
from bot.slack import slack_runtime
from core.credits.delivery import DeliveryReport
from core.credits.pricing import InteractionType, TokenUsage
from core.plans import Plan
from core.workspaces import Platform
from tests.adapters.slack.conftest import SECRET, TEAM, SlackBot, serve
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.signing import mention_event

CLIENT_ID = "111.222"
CLIENT_SECRET = "shh"
STATE_COOKIE = "slack-app-oauth-state"
COUNT = "How many open items are in the WEB project?"


@dataclass
class Distributed:
    """The app served for OAuth installs (no bot token of its own)."""

    bot: SlackBot
    http: aiohttp.ClientSession

    @property
    def slack(self) -> FakeSlack:
        return self.bot.slack

    async def install_page(self) -> tuple[int, str, str]:
        """GET /slack/install: status, page, and the state in the cookie it sets."""
        async with self.http.get(f"{self.bot.url}/slack/install", allow_redirects=False) as resp:
            return resp.status, await resp.text(), resp.cookies[STATE_COOKIE].value

    async def redirect(self, *, state: str, cookie: str | None, code: str = "abc") -> int:
        """Slack sending the browser back to /slack/oauth_redirect after the user approved.

        The state cookie is `Secure`, so it is sent by hand over the test's plain HTTP."""
        headers = {"Cookie": f"{STATE_COOKIE}={cookie}"} if cookie else {}
        async with self.http.get(
            f"{self.bot.url}/slack/oauth_redirect",
            params={"code": code, "state": state},
            headers=headers,
            allow_redirects=False,
        ) as resp:
            await resp.read()
            return resp.status

    async def installed_token(self, team: str = TEAM) -> str | None:
        store = AsyncSQLAlchemyInstallationStore(client_id=CLIENT_ID, engine=self.bot.app.db.engine)
        found = await store.async_find_bot(enterprise_id=None, team_id=team)
        return found.bot_token if found else None


def oauth_settings(app: App, slack: FakeSlack) -> App:
    settings = Settings.model_validate(
        {
            "database_url": app.settings.database_url,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_CLIENT_ID": CLIENT_ID,
            "SLACK_CLIENT_SECRET": CLIENT_SECRET,
            "SLACK_API_URL": slack.api_url,
        }
    )
    return replace(app, settings=settings)


@pytest.fixture
async def distributed(app: App, slack: FakeSlack) -> AsyncIterator[Distributed]:
    app = oauth_settings(app, slack)
    workspace = await app.admin.create("acme", plan=Plan.PRO, allocation=20)
    await app.admin.link("acme", Platform.SLACK, TEAM)
    overrides = {"bot_token": None, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    async with serve(app, slack, **overrides) as url, aiohttp.ClientSession() as http:
        bot = SlackBot(app=app, slack=slack, url=url, http=http, workspace=workspace)
        yield Distributed(bot=bot, http=http)


async def test_the_install_page_asks_for_the_bot_scopes_with_a_state(
    distributed: Distributed,
) -> None:
    status, page, state = await distributed.install_page()

    assert status == 200
    link = html.unescape(page)
    assert f"https://slack.com/oauth/v2/authorize?state={state}&client_id={CLIENT_ID}" in link
    assert f"scope={','.join(BOT_SCOPES)}&" in link
    assert state


async def test_the_redirect_stores_the_installation_and_its_token_answers_the_team(
    distributed: Distributed,
) -> None:
    _, _, state = await distributed.install_page()

    assert await distributed.redirect(state=state, cookie=state) == 200

    (access,) = distributed.slack.calls_to("oauth.v2.access")
    assert access.args["client_id"] == CLIENT_ID
    assert access.args["client_secret"] == CLIENT_SECRET
    assert access.args["code"] == "abc"
    assert await distributed.installed_token() == distributed.slack.oauth_bot_token

    assert await distributed.bot.event(mention_event(COUNT)) == 200

    answer = distributed.slack.calls_to("chat.update")[-1]
    assert "open work items in WEB" in answer.args["text"]
    answered = [c for c in distributed.slack.calls if c.method != "oauth.v2.access"]
    assert {c.token for c in answered} == {distributed.slack.oauth_bot_token}
    assert await distributed.bot.remaining() == 19


async def test_a_redirect_without_the_state_cookie_installs_nothing(
    distributed: Distributed,
) -> None:
    _, _, state = await distributed.install_page()

    status = await distributed.redirect(state=state, cookie=None)

    assert status >= 400
    assert distributed.slack.calls_to("oauth.v2.access") == []
    assert await distributed.installed_token() is None


async def test_a_state_cannot_be_used_twice(distributed: Distributed) -> None:
    _, _, state = await distributed.install_page()
    assert await distributed.redirect(state=state, cookie=state) == 200

    status = await distributed.redirect(state=state, cookie=state, code="stolen")

    assert status >= 400
    assert [c.args["code"] for c in distributed.slack.calls_to("oauth.v2.access")] == ["abc"]


async def test_alerts_reach_an_installed_team_with_its_installed_token(
    distributed: Distributed,
) -> None:
    _, _, state = await distributed.install_page()
    await distributed.redirect(state=state, cookie=state)
    bot = distributed.bot
    assert await bot.command("alerts-channel", user="U0ALICE", channel="C0ALERTS") == 200
    for key, credits in (("a", 6), ("b", 6), ("c", 3)):  # 15 of 20: 75 %
        await bot.app.pool.reserve(bot.workspace, key=key, member=None)
        await bot.app.pool.settle(
            bot.workspace,
            key=key,
            usage=TokenUsage(4000 * credits, 0),
            interaction_type=InteractionType.DATA_ANALYSIS,
        )

    async with slack_runtime(bot.app) as runtime:
        report = await deliver_alerts(alert_dispatcher(bot.app, runtime.notifier))

    assert report == DeliveryReport(delivered=1)
    (alert,) = distributed.slack.calls_to("chat.postMessage")
    assert alert.args["channel"] == "C0ALERTS"
    assert alert.token == distributed.slack.oauth_bot_token
    assert "75% of monthly AI credits used" in alert.args["text"]
