"""The fake's routes about who is who: the bot, its application, the gateway, guilds, members."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.adapters.discord.fake_rest import DiscordCall, Reply, RouteSpec, ok, unknown

if TYPE_CHECKING:
    from tests.adapters.discord.fake_discord import FakeDiscord


class AccountRoutes:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.world = fake.world

    def routes(self) -> list[RouteSpec]:
        guild = "/guilds/{guild_id}"
        return [
            RouteSpec("GET", "/users/@me", "get_me", self.me),
            RouteSpec("GET", "/users/{user_id}", "get_user", self.user),
            RouteSpec("GET", "/oauth2/applications/@me", "application_info", self.application),
            RouteSpec("GET", "/gateway", "get_gateway", self.gateway),
            RouteSpec("GET", "/gateway/bot", "get_bot_gateway", self.bot_gateway),
            RouteSpec("GET", guild, "get_guild", self.guild),
            RouteSpec("GET", f"{guild}/members/{{user_id}}", "get_member", self.member),
            RouteSpec("GET", f"{guild}/roles", "get_roles", self.roles),
            RouteSpec("GET", f"{guild}/channels", "get_channels", self.channels),
        ]

    async def me(self, call: DiscordCall) -> Reply:
        bot = self.world.bot.payload()
        return ok({**bot, "verified": True, "mfa_enabled": False, "locale": "en-US"})

    async def user(self, call: DiscordCall) -> Reply:
        user = self.world.users.get(call.params["user_id"])
        return unknown("User", 10013) if user is None else ok(user.payload())

    async def application(self, call: DiscordCall) -> Reply:
        world = self.world
        return ok(
            {
                "id": world.application_id,
                "name": world.bot.username,
                "icon": None,
                "description": "",
                "summary": "",
                "rpc_origins": [],
                "bot_public": True,
                "bot_require_code_grant": False,
                "bot": world.bot.payload(),
                "owner": world.application_owner.payload(),
                "team": None,
                "verify_key": "0" * 64,
                "flags": self.fake.gateway.application_flags(),
                "tags": [],
                "redirect_uris": [],
                "interactions_endpoint_url": None,
                "approximate_guild_count": len(world.guilds),
                "install_params": {
                    "scopes": ["bot", "applications.commands"],
                    "permissions": "0",
                },
            }
        )

    async def gateway(self, call: DiscordCall) -> Reply:
        return ok({"url": self.fake.gateway.url})

    async def bot_gateway(self, call: DiscordCall) -> Reply:
        limits = {"total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1}
        return ok(
            {
                "url": self.fake.gateway.url,
                "shards": self.fake.gateway.shard_count,
                "session_start_limit": limits,
            }
        )

    async def guild(self, call: DiscordCall) -> Reply:
        guild = self.world.guilds.get(call.params["guild_id"])
        return unknown("Guild", 10004) if guild is None else ok(guild.payload())

    async def member(self, call: DiscordCall) -> Reply:
        guild = self.world.guilds.get(call.params["guild_id"])
        if guild is None:
            return unknown("Guild", 10004)
        member = guild.members.get(call.params["user_id"])
        return unknown("Member", 10007) if member is None else ok(member.payload())

    async def roles(self, call: DiscordCall) -> Reply:
        guild = self.world.guilds.get(call.params["guild_id"])
        if guild is None:
            return unknown("Guild", 10004)
        return ok([role.payload() for role in guild.roles.values()])

    async def channels(self, call: DiscordCall) -> Reply:
        guild = self.world.guilds.get(call.params["guild_id"])
        if guild is None:
            return unknown("Guild", 10004)
        return ok([c.payload() for c in guild.channels.values() if not c.is_thread])
