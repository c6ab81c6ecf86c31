"""The conversation loop: charging, tools, threads, provider failures, audit."""

from __future__ import annotations

import pytest

from core.credits.pricing import InteractionType
from core.errors import OutOfCredits, ProviderUnavailable
from core.llm import Speaker
from core.plans import Plan
from core.work.model import ItemFilter
from core.workspaces import Platform
from tests.assistant.conftest import Team
from tests.assistant_fakes import ScriptedModel, text_reply, tool_reply


async def test_an_answer_sums_every_call_and_is_charged_once(team: Team) -> None:
    model = ScriptedModel(
        [
            tool_reply("count_work_items", tokens=(5000, 50), project="WEB", open_only=True),
            text_reply("There are 15 open items in WEB.", tokens=(5200, 40)),
        ]
    )
    streamed: list[str] = []

    async def on_text(delta: str) -> None:
        streamed.append(delta)

    answer = await team.assistant(model).ask(
        team.ask("How many open items in WEB?"), on_text=on_text
    )
    # (5000 + 5200) + 4 * (50 + 40) = 10,560 weighted tokens -> 3 credits
    assert answer.charge is not None
    assert answer.charge.credits == 3
    assert answer.footer == "simple question · 3 credits · 497 left"
    assert "".join(streamed).strip() == answer.text
    tool_turn = model.calls[1][0][-1]
    assert tool_turn.speaker is Speaker.TOOL
    assert '"total": 15' in tool_turn.text
    again = await team.assistant(ScriptedModel([])).ask(team.ask("How many open items in WEB?"))
    assert again.duplicate
    assert (await team.pool.status(team.workspace)).balance.remaining == 497


async def test_a_provider_failure_charges_nothing_and_is_audited(team: Team) -> None:
    model = ScriptedModel([ProviderUnavailable("the provider answered 503", provider="openai")])
    with pytest.raises(ProviderUnavailable):
        await team.assistant(model).ask(team.ask("How many items?"))
    status = await team.pool.status(team.workspace)
    assert (status.balance.remaining, status.balance.reserved) == (500, 0)
    assert [r.outcome for r in team.audit.records] == ["provider_error"]
    retry = ScriptedModel([text_reply("Fine now.")])
    answer = await team.assistant(retry).ask(team.ask("How many items?", event="ev2"))
    assert answer.charge is not None
    assert answer.charge.credits == 1


async def test_out_of_credits_makes_no_llm_call(team: Team) -> None:
    empty = await team.admin.create("tiny", plan=Plan.ENTERPRISE, allocation=0)
    member = await team.store.ensure_member(empty.id, Platform.CONSOLE, "x", "x")
    model = ScriptedModel([text_reply("never")])
    with pytest.raises(OutOfCredits, match="paused until"):
        await team.assistant(model).ask(team.ask("Anything?", workspace=empty, member=member))
    assert model.calls == []


async def test_the_thread_remembers_earlier_turns_within_the_budget(team: Team) -> None:
    first = ScriptedModel([text_reply("WEB has 15 open items.")])
    await team.assistant(first).ask(team.ask("How many open items in WEB?"))
    second = ScriptedModel([text_reply("Of those, 4 are in progress.")])
    await team.assistant(second).ask(team.ask("And how many are in progress?", event="ev2"))
    sent = [m.text for m in second.calls[0][0]]
    assert sent[1:] == [
        "How many open items in WEB?",
        "WEB has 15 open items.",
        "And how many are in progress?",
    ]
    other_thread = ScriptedModel([text_reply("Hi.")])
    await team.assistant(other_thread).ask(team.ask("Hello", event="ev3", thread="t2"))
    assert len(other_thread.calls[0][0]) == 2  # system + this message only


async def test_a_bound_project_scopes_tools_and_the_system_context(team: Team) -> None:
    model = ScriptedModel([tool_reply("count_work_items"), text_reply("15 items.")])
    await team.assistant(model).ask(team.ask("How many items?", project="API"))
    system = model.calls[0][0][0].text
    assert "project API" in system
    tool_turn = model.calls[1][0][-1].text
    assert '"project": "API"' in tool_turn


async def test_a_proposal_is_stored_not_applied_and_typed_as_an_action(team: Team) -> None:
    model = ScriptedModel(
        [
            tool_reply("propose_create_work_item", project="WEB", title="Fix header layout"),
            text_reply("I proposed creating it."),
        ]
    )
    answer = await team.assistant(model).ask(team.ask("Create 'Fix header layout' in WEB"))
    assert answer.interaction_type is InteractionType.ACTION_SINGLE
    (proposal,) = answer.proposals
    assert proposal.draft.new_item is not None
    assert proposal.draft.new_item.title == "Fix header layout"
    page = await team.work.find(team.workspace.id, ItemFilter(text="Fix header"), limit=5)
    assert page.total == 0  # nothing changes on the model's word


async def test_secrets_in_a_prompt_never_reach_the_audit_log(team: Team) -> None:
    model = ScriptedModel([text_reply("Noted.")])
    await team.assistant(model).ask(team.ask("my key is sk-abcdefghijklmnopqrstuvwxyz123456"))
    (record,) = team.audit.records
    assert "sk-abc" not in record.prompt
    assert "[redacted]" in record.prompt
    assert (record.credits, record.outcome, record.model) == (1, "answered", "test-model")
