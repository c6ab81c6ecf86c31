"""Installing the app in a Slack team over OAuth: the install page, the redirect that stores
the installation in the database (its tokens sealed), and the installed token answering that
team afterwards."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
import pytest
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from sqlalchemy import select

from adapters.secrets import SecretBox, SecretUnreadable
from adapters.slack.app import BOT_SCOPES, build_slack_app
from adapters.slack.installations import SEALED, SealedInstallationStore
from adapters.slack.server import slack_web_app
from adapters.storage.tables import slack_bots, slack_installations
from bot.app import App
from bot.health import not_ready
from bot.scheduler import alert_dispatcher, deliver_alerts
from bot.settings import Settings
from bot.slack import installation_store, slack_config, slack_runtime
from core.credits.delivery import DeliveryReport
from core.credits.pricing import InteractionType, TokenUsage
from core.errors import InvalidInput
from core.plans import Plan
from core.workspaces import Platform
from tests.adapters.slack.conftest import SECRET, TEAM, SlackBot, serve
from tests.adapters.slack.fake_slack import FakeSlack
from tests.adapters.slack.signing import mention_event
from tests.conftest import SUITE_SECRETS

CLIENT_ID = "111.222"
CLIENT_SECRET = "shh"
STATE_COOKIE = "slack-app-oauth-state"
COUNT = "How many open items are in the WEB project?"
SUITE_KEY = SUITE_SECRETS["SETGET_SECRET_KEY"]


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
        """The bot token found for `team`, opened."""
        found = await sealed_store(self.bot.app).async_find_bot(enterprise_id=None, team_id=team)
        return found.bot_token if found else None


def sealed_store(app: App) -> SealedInstallationStore:
    store = installation_store(app, slack_config(app, socket=False))
    assert store is not None
    return store


async def stored_tokens(app: App) -> dict[str, list[str | None]]:
    """The token columns as the database holds them."""
    found: dict[str, list[str | None]] = {}
    async with app.db.read() as conn:
        for table in (slack_bots, slack_installations):
            for column in ("bot_token", "bot_refresh_token", "user_token", "user_refresh_token"):
                if column in table.c:
                    rows = await conn.execute(select(table.c[column]))
                    found[f"{table.name}.{column}"] = [row[0] for row in rows]
    return found


class serve_distributed(serve):
    """`serve`, its app given the sealed installation store `serve slack` gives it."""

    async def __aenter__(self) -> str:
        self._http = aiohttp.ClientSession()
        bolt = build_slack_app(
            self._config,
            layer=self._layer,
            engine=self._app.db.engine,
            installations=installation_store(self._app, self._config),
            session=self._http,
        )
        return await self._server.start(
            slack_web_app(bolt, not_ready=lambda: not_ready(self._app.db))
        )


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
    overrides: dict[str, Any] = {
        "bot_token": None,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    async with serve_distributed(app, slack, **overrides) as url, aiohttp.ClientSession() as http:
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


# --- tokens sealed at rest ------------------------------------------------------------------


def installation(team: str = TEAM, **tokens: str | None) -> Installation:
    return Installation(
        app_id="A0APP",
        team_id=team,
        user_id="U0ALICE",
        bot_id="B0BOT",
        bot_user_id="U0BOT",
        bot_scopes=list(BOT_SCOPES),
        **tokens,  # type: ignore[arg-type]
    )


async def test_an_install_keeps_its_token_sealed_in_both_tables(
    distributed: Distributed,
) -> None:
    _, _, state = await distributed.install_page()
    await distributed.redirect(state=state, cookie=state)

    stored = await stored_tokens(distributed.bot.app)

    token = distributed.slack.oauth_bot_token
    (in_bots,) = stored["slack_bots.bot_token"]
    (in_installations,) = stored["slack_installations.bot_token"]
    for sealed in (in_bots, in_installations):
        assert sealed is not None
        assert sealed.startswith(SEALED)
        assert token not in sealed
        assert SecretBox(SUITE_KEY).open(sealed.removeprefix(SEALED)) == token
    assert await distributed.installed_token() == token


async def test_every_token_of_an_installation_is_sealed_and_opened(
    app: App, slack: FakeSlack
) -> None:
    app = oauth_settings(app, slack)
    store = sealed_store(app)
    tokens = {
        "bot_token": "xoxb-bot-Kp2Lm4Nq6Rs8Tu0V",
        "bot_refresh_token": "xoxe-1-botrefresh-Wx2Yz4Ab6Cd8Ef0G",
        "user_token": "xoxp-user-Hi2Jk4Lm6No8Pq0R",
        "user_refresh_token": "xoxe-1-userrefresh-St2Uv4Wx6Yz8Ab0C",
    }
    given = installation(**tokens)

    await store.async_save(given)

    assert {k: getattr(given, k) for k in tokens} == tokens  # the caller's copy is untouched
    stored = await stored_tokens(app)
    everything = repr(stored)
    assert all(value not in everything for value in tokens.values())
    assert all(v is not None and v.startswith(SEALED) for vs in stored.values() for v in vs)
    found = await store.async_find_installation(enterprise_id=None, team_id=TEAM)
    assert found is not None
    assert {k: getattr(found, k) for k in tokens} == tokens
    bot = await store.async_find_bot(enterprise_id=None, team_id=TEAM)
    assert bot is not None
    assert (bot.bot_token, bot.bot_refresh_token) == (
        tokens["bot_token"],
        tokens["bot_refresh_token"],
    )
    user = await store.async_find_installation(enterprise_id=None, team_id=TEAM, user_id="U0ALICE")
    assert user is not None
    assert user.user_token == tokens["user_token"]


async def test_a_bot_saved_alone_is_sealed_once(app: App, slack: FakeSlack) -> None:
    app = oauth_settings(app, slack)
    store = sealed_store(app)
    bot = installation(bot_token="xoxb-alone-Mn3Bv5Cx7Zl9Kj1H").to_bot()

    await store.async_save_bot(bot)

    (sealed,) = (await stored_tokens(app))["slack_bots.bot_token"]
    assert sealed is not None
    opened = SecretBox(SUITE_KEY).open(sealed.removeprefix(SEALED))
    assert opened == "xoxb-alone-Mn3Bv5Cx7Zl9Kj1H"  # not a sealed value sealed again
    assert bot.bot_token == "xoxb-alone-Mn3Bv5Cx7Zl9Kj1H"


async def test_an_install_stored_in_clear_before_sealing_still_answers_its_team(
    distributed: Distributed,
) -> None:
    """A row slack_sdk's own store wrote (in clear, before this version) is read as it is."""
    app = distributed.bot.app
    clear = AsyncSQLAlchemyInstallationStore(client_id=CLIENT_ID, engine=app.db.engine)
    token = distributed.slack.oauth_bot_token
    await clear.async_save(installation(bot_token=token))
    assert (await stored_tokens(app))["slack_bots.bot_token"] == [token]

    assert await distributed.installed_token() == token
    assert await distributed.bot.event(mention_event(COUNT)) == 200

    answer = distributed.slack.calls_to("chat.update")[-1]
    assert "open work items in WEB" in answer.args["text"]
    assert {c.token for c in distributed.slack.calls} == {token}


async def test_a_token_sealed_under_another_key_is_refused_by_name(
    app: App, slack: FakeSlack
) -> None:
    app = oauth_settings(app, slack)
    other = SecretBox("another-operator-key-Gh5Jk7Lm9N")
    elsewhere = SealedInstallationStore(
        client_id=CLIENT_ID, engine=app.db.engine, seal=other.seal, open=other.open
    )
    await elsewhere.async_save(installation(bot_token="xoxb-other-key-Qw1Er3Ty5Ui7"))

    with pytest.raises(SecretUnreadable, match=r"Slack install.*SETGET_SECRET_KEY"):
        await sealed_store(app).async_find_bot(enterprise_id=None, team_id=TEAM)


async def test_a_token_too_long_to_store_sealed_is_refused_with_the_column_named(
    app: App, slack: FakeSlack
) -> None:
    store = sealed_store(oauth_settings(app, slack))

    with pytest.raises(InvalidInput, match=r"slack_installations\.bot_token"):
        await store.async_save(installation(bot_token="xoxb-" + "x" * 120))

    assert await store.async_find_bot(enterprise_id=None, team_id=TEAM) is None


async def test_oauth_does_not_start_without_the_secret_key(
    app: App, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SETGET_SECRET_KEY")
    app = oauth_settings(app, slack)

    with pytest.raises(InvalidInput, match="SETGET_SECRET_KEY") as refused:
        slack_config(app, socket=False)
    assert "SLACK_BOT_TOKEN" not in str(refused.value)  # OAuth itself is configured
    with pytest.raises(InvalidInput, match="SETGET_SECRET_KEY"):
        async with slack_runtime(app):
            pass


async def test_a_bot_token_install_needs_no_secret_key(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SETGET_SECRET_KEY")
    settings = Settings.model_validate({"database_url": app.settings.database_url})
    app = replace(app, settings=settings)

    config = slack_config(app, socket=False)

    assert config.bot_token == SUITE_SECRETS["SLACK_BOT_TOKEN"]
    assert installation_store(app, config) is None
