"""Confirm/Reject and the purchase form through the chat layer, as any platform calls them."""

from __future__ import annotations

from core.assistant.actions import ProposedAction
from core.chat import Click, Incoming, Tone
from core.plans import Plan
from core.work.model import ItemFilter, ItemState
from core.workspaces import Mode
from tests.chat.conftest import ALICE, BOB, TEAM, Chat


async def propose(chat: Chat, text: str, *, user: str) -> ProposedAction:
    key = f"m{len(chat.claims.claims)}"
    message = Incoming(TEAM, "C1", user, text, key=key, thread_key=f"C1:{key}")
    await chat.layer.answering.answer(message, chat.surface, chat.directory)
    offers = [m.offer for m in chat.surface.messages.values() if m.offer is not None]
    assert offers, chat.surface.texts
    return offers[-1]


async def decide(chat: Chat, action: ProposedAction, *, user: str, confirm: bool = True):  # type: ignore[no-untyped-def]
    click = Click(TEAM, user, str(action.id), confirm)
    return await chat.layer.decisions.decide(click, directory=chat.directory, by=f"@{user}")


async def test_a_single_item_proposal_is_confirmed_once_by_its_requester(chat: Chat) -> None:
    action = await propose(
        chat, "Create a work item titled 'Fix header layout' in the WEB project", user=BOB
    )
    done = await decide(chat, action, user=BOB)
    assert done.private is None
    assert done.decided is not None
    assert done.decided.text.startswith(f"Confirmed by @{BOB}: WEB-")
    again = await decide(chat, action, user=ALICE)
    assert again.private is not None
    assert again.private.text.endswith("was already applied.")
    assert again.closed is None  # the decided message stays: only an expired one loses buttons


async def test_a_bulk_change_is_for_admins_and_a_member_is_told_why(chat: Chat) -> None:
    action = await propose(chat, "Update all Todo items in API project to In Progress", user=BOB)
    refused = await decide(chat, action, user=BOB)
    assert refused.private is not None
    assert (refused.private.tone, refused.private.text) == (
        Tone.REFUSAL,
        "Only an admin can confirm this action.",
    )
    assert refused.decided is None
    rejected = await decide(chat, action, user=ALICE, confirm=False)
    assert rejected.decided is not None
    assert rejected.decided.text == f"Rejected by @{ALICE}; nothing changed."
    todo = await chat.team.work.find(
        chat.team.workspace.id, ItemFilter(project="API", states=(ItemState.TODO,)), limit=0
    )
    assert todo.total > 0


async def test_a_forged_or_foreign_action_id_decides_nothing(chat: Chat) -> None:
    action = await propose(
        chat, "Create a work item titled 'Fix header layout' in the WEB project", user=BOB
    )
    other = await chat.team.admin.create("other", plan=Plan.PRO)
    await chat.team.store.link(other.id, chat.directory.platform, "T2")
    foreign = Click("T2", ALICE, str(action.id), True)  # team T2 names demo's proposal
    outcome = await chat.layer.decisions.decide(foreign, directory=chat.directory, by=None)
    assert outcome.private is not None
    assert outcome.decided is None
    garbage = Click(TEAM, ALICE, "1; DROP TABLE", True)
    assert (await chat.layer.decisions.decide(garbage, directory=chat.directory, by=None)).private
    pending = await chat.team.actions.get(chat.team.workspace.id, action.id)
    assert pending is not None
    assert pending.state.value == "pending"


async def test_a_pack_purchase_takes_an_admin_a_sold_size_and_a_confirmation(chat: Chat) -> None:
    forms = chat.layer.forms
    member = await forms.buy_size(team=TEAM, user=BOB, size="100", directory=chat.directory)
    assert member.errors == {"size": "Only workspace admins can buy credits."}
    odd = await forms.buy_size(team=TEAM, user=ALICE, size="7", directory=chat.directory)
    assert odd.errors == {"size": "Pick one of the pack sizes."}
    step = await forms.buy_size(team=TEAM, user=ALICE, size="500", directory=chat.directory)
    assert step.confirm is not None
    assert "Buy a pack of **500 credits** for workspace **demo**?" in step.confirm.text
    bought = await forms.buy_confirm(team=TEAM, user=ALICE, size="500", directory=chat.directory)
    assert (bought.tone, bought.text) == (
        Tone.SUCCESS,
        "Added a pack of 500 credits to demo: 1,000 credits remaining.",
    )


async def test_model_settings_name_each_missing_field_and_keep_a_key_per_provider(
    chat: Chat,
) -> None:
    """A self-hosted workspace (linked to T3) sets its model; members cannot."""
    own = await chat.team.admin.create("own", plan=Plan.PRO, mode=Mode.SELF_HOSTED)
    await chat.team.store.link(own.id, chat.directory.platform, "T3")
    forms, own_team = chat.layer.forms, "T3"
    values = {"provider": "openai", "model": "gpt-4o-mini"}
    step = await forms.save_config(
        team=own_team, user=ALICE, values=values, directory=chat.directory
    )
    assert set(step.errors) == {"api_key"}
    key = {**values, "api_key": "sk-test-1234"}
    saved = await forms.save_config(team=own_team, user=ALICE, values=key, directory=chat.directory)
    assert saved.done is not None
    assert "sk-test" not in saved.done.text
    moved = {"provider": "anthropic", "model": "claude"}
    step = await forms.save_config(
        team=own_team, user=ALICE, values=moved, directory=chat.directory
    )
    assert set(step.errors) == {"api_key"}  # the OpenAI key is not sent to Anthropic
    member = await forms.save_config(team=own_team, user=BOB, values=key, directory=chat.directory)
    assert set(member.errors) == {"provider"}
