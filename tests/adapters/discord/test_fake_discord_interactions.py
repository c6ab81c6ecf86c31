"""The fake Discord's interactions against the real discord.py: buttons, commands, modals."""

from __future__ import annotations

import io

import discord
from discord import app_commands

from tests.adapters.discord.discord_models import EPHEMERAL, LOADING
from tests.adapters.discord.fake_discord import FakeDiscord, default_intents
from tests.adapters.discord.waiting import Seen

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
AUDIT = b'{"event": "config.changed"}\n'


def new_client() -> discord.Client:
    return discord.Client(intents=default_intents(), guild_ready_timeout=0.05)


class ProposalView(discord.ui.View):
    """Confirm / Reject for proposal `proposal_id`."""

    def __init__(self, proposal_id: int, decided: Seen[str]) -> None:
        super().__init__(timeout=None)
        self.add_item(Decision(proposal_id, "confirm", decided))
        self.add_item(Decision(proposal_id, "reject", decided))


class Decision(discord.ui.Button[ProposalView]):
    """One of a proposal's buttons: only members with Manage Server may decide."""

    def __init__(self, proposal_id: int, verb: str, decided: Seen[str]) -> None:
        style = discord.ButtonStyle.green if verb == "confirm" else discord.ButtonStyle.red
        custom_id = f"proposal:{proposal_id}:{verb}"
        super().__init__(label=verb.title(), custom_id=custom_id, style=style)
        self.verb = verb
        self.decided = decided

    async def callback(self, interaction: discord.Interaction) -> None:
        member = interaction.user
        assert isinstance(member, discord.Member)
        if not member.guild_permissions.manage_guild:
            await interaction.response.send_message("Only admins decide.", ephemeral=True)
            self.decided.add(f"refused {member.name}")
            return
        content = f"{self.verb}ed by {member.name}"
        await interaction.response.edit_message(content=content, view=None)
        self.decided.add(f"{self.verb} {member.name}")


async def test_a_persistent_view_answers_clicks_after_a_restart(discord_fake: FakeDiscord) -> None:
    decided: Seen[str] = Seen()
    before_restart = new_client()
    async with discord_fake.connected(before_restart):
        channel = before_restart.get_channel(int(discord_fake.guild.channel("general").id))
        assert isinstance(channel, discord.TextChannel)
        proposal = await channel.send("Raise the cap to 50?", view=ProposalView(42, decided))

    after_restart = new_client()  # a new process: only add_view knows the buttons
    after_restart.add_view(ProposalView(42, decided))
    async with discord_fake.connected(after_restart):
        for user in ("bob", "alice"):
            click = discord_fake.button_click(
                "proposal:42:confirm", message_id=str(proposal.id), user=user
            )
            await discord_fake.dispatch("INTERACTION_CREATE", click)
            await decided.at_least(1 if user == "bob" else 2)

    assert decided.items == ["refused bob", "confirm alice"]
    refusal, decision = discord_fake.calls_to("create_interaction_response")
    assert refusal.query == {"with_response": "1"}
    assert refusal.json["type"] == 4
    assert refusal.json["data"]["flags"] == EPHEMERAL
    assert decision.json["type"] == 7
    assert decision.json["data"]["components"] == []
    stored = discord_fake.message(str(proposal.id))
    assert stored["content"] == "confirmed by alice"
    assert stored["components"] == []
    [sent] = discord_fake.calls_to("send_message")
    assert [b["custom_id"] for b in sent.json["components"][0]["components"]] == [
        "proposal:42:confirm",
        "proposal:42:reject",
    ]


async def test_a_second_answer_to_one_interaction_is_refused(discord_fake: FakeDiscord) -> None:
    outcomes: Seen[str] = Seen()
    client = new_client()

    @client.event
    async def on_interaction(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("first")
        raw = discord.InteractionResponse(interaction)  # forgets discord.py's own guard
        try:
            await raw.send_message("second")
        except discord.HTTPException as refused:
            outcomes.add(f"{refused.status} {refused.code}")

    async with discord_fake.connected(client):
        await discord_fake.dispatch("INTERACTION_CREATE", discord_fake.button_click("x"))
        [outcome] = await outcomes.at_least(1)

    assert outcome == "400 40060"


def setget_tree(client: discord.Client, ran: Seen[str]) -> app_commands.CommandTree[discord.Client]:
    tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(client)
    setget = app_commands.Group(name="setget", description="SetGet AI")

    @setget.command(name="balance", description="Credits left this month")
    async def balance(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        chart = discord.File(io.BytesIO(PNG), filename="usage.png")
        await interaction.followup.send("40 credits left", file=chart)
        ran.add("balance")

    @setget.command(name="buy", description="Buy a credit pack")
    async def buy(interaction: discord.Interaction, pack: int) -> None:
        await interaction.response.send_message(f"buying {pack}", ephemeral=True)
        await interaction.edit_original_response(content=f"bought {pack}")
        ran.add(f"buy {pack}")

    @setget.command(name="config", description="Provider settings")
    async def config(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(ConfigModal(ran))
        ran.add("config")

    tree.add_command(setget)
    return tree


class ConfigModal(discord.ui.Modal, title="Provider settings"):
    api_key: discord.ui.TextInput[ConfigModal] = discord.ui.TextInput(
        label="API key", custom_id="api_key"
    )

    def __init__(self, ran: Seen[str]) -> None:
        super().__init__(custom_id="setget-config")
        self.ran = ran

    async def on_submit(self, interaction: discord.Interaction) -> None:
        export = discord.File(io.BytesIO(AUDIT), filename="audit.jsonl")
        await interaction.response.send_message("Saved.", ephemeral=True, file=export)
        self.ran.add(f"saved {len(self.api_key.value)} characters")


async def test_setget_commands_sync_and_run(discord_fake: FakeDiscord) -> None:
    ran: Seen[str] = Seen()
    client = new_client()
    tree = setget_tree(client, ran)
    async with discord_fake.connected(client):
        [synced] = await tree.sync()
        guild = discord.Object(int(discord_fake.guild.id))
        tree.copy_global_to(guild=guild)
        [guild_synced] = await tree.sync(guild=guild)
        balance = discord_fake.slash_command("setget balance")
        await discord_fake.dispatch("INTERACTION_CREATE", balance)
        await ran.at_least(1)
        discord_fake.rate_limit("create_interaction_response")  # the webhook adapter retries
        await discord_fake.dispatch(
            "INTERACTION_CREATE", discord_fake.slash_command("setget buy", {"pack": 500})
        )
        await ran.at_least(2)

    assert ran.items == ["balance", "buy 500"]
    [put] = discord_fake.calls_to("bulk_upsert_global_commands")
    [command] = put.json
    assert command["name"] == "setget"
    assert [option["name"] for option in command["options"]] == ["balance", "buy", "config"]
    assert synced.name == guild_synced.name == "setget"
    assert synced.guild_id is None
    assert guild_synced.guild_id == int(discord_fake.guild.id)
    [guild_put] = discord_fake.calls_to("bulk_upsert_guild_commands")
    assert guild_put.params["guild_id"] == discord_fake.guild.id
    # the interaction names the command it was typed for: the guild's copy, here
    assert balance["data"]["id"] == str(guild_synced.id)
    assert balance["data"]["guild_id"] == discord_fake.guild.id

    answers = discord_fake.calls_to("create_interaction_response")
    assert [answer.failed for answer in answers] == [False, True, False]  # 429, then retried
    deferred, _, bought = answers
    assert deferred.json == {"type": 5}
    assert bought.json["data"] == {"content": "buying 500", "flags": EPHEMERAL, "tts": False}
    [edited] = discord_fake.calls_to("edit_original_response")
    bought_message = discord_fake.original_message(edited.params["token"])
    assert bought_message["content"] == "bought 500"
    assert bought_message["flags"] == EPHEMERAL
    [followup] = discord_fake.calls_to("send_followup")
    assert followup.query["wait"] == "1"
    assert followup.json["content"] == "40 credits left"
    assert [(f.filename, f.data) for f in followup.files] == [("usage.png", PNG)]
    # the first followup of a deferred answer replaces the "thinking..." message
    original = discord_fake.original_message(balance)
    assert original["content"] == "40 credits left"
    assert not original["flags"] & LOADING
    assert [a["filename"] for a in original["attachments"]] == ["usage.png"]


async def test_a_modal_is_shown_and_its_submission_read(discord_fake: FakeDiscord) -> None:
    ran: Seen[str] = Seen()
    client = new_client()
    setget_tree(client, ran)
    async with discord_fake.connected(client):
        await discord_fake.dispatch(
            "INTERACTION_CREATE", discord_fake.slash_command("setget config", user="alice")
        )
        await ran.at_least(1)
        submitted = discord_fake.modal_submit("setget-config", {"api_key": "sk-secret-123"})
        await discord_fake.dispatch("INTERACTION_CREATE", submitted)
        await ran.at_least(2)

    assert ran.items == ["config", "saved 13 characters"]
    shown, saved = discord_fake.calls_to("create_interaction_response")
    assert shown.json["type"] == 9
    assert shown.json["data"]["custom_id"] == "setget-config"
    assert saved.json["data"]["flags"] == EPHEMERAL
    assert [(f.field, f.filename, f.data) for f in saved.files] == [
        ("files[0]", "audit.jsonl", AUDIT)
    ]
    assert saved.json["data"]["attachments"] == [{"id": 0, "filename": "audit.jsonl"}]
