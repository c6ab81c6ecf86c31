"""An answer's charge, its turns and its audit record commit together, or none of them does.

Issue 8, item 1: on PostgreSQL a message with a NUL byte was charged, then the turns could
not be stored and the audit record was never written. Text the database cannot store is
cleaned before anything is held, the same on every engine; a failing history write (here a
trigger that refuses the row, inside the database) rolls the charge back with it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select, text

from adapters.storage import SqlAuditLog, SqlThreadStore
from adapters.storage.tables import proposed_actions
from bot.app import App
from bot.conversation import conversations_with
from core.assistant.conversation import Answer, AskAI
from core.errors import InvalidInput, ProviderUnavailable
from core.plans import Plan
from core.work.demo_data import demo_dataset
from core.work.model import ItemFilter
from core.workspaces import Member, Platform, Role, Workspace
from tests.assistant_fakes import ScriptedModel, text_reply, tool_reply
from tests.fakes import FakeClock


@dataclass
class Desk:
    app: App
    workspace: Workspace
    member: Member

    def request(self, message: str, *, event: str = "ev1", thread: str = "C1:1.0") -> AskAI:
        return AskAI(
            workspace=self.workspace,
            member=self.member,
            platform=Platform.SLACK,
            thread_key=thread,
            event_id=event,
            text=message,
        )

    async def ask(self, model: ScriptedModel, message: str, *, event: str = "ev1") -> Answer:
        assistant = conversations_with(self.app, model).assistant
        return await assistant.ask(self.request(message, event=event))

    async def used(self) -> tuple[int, int]:
        """Credits charged this cycle, and credits still held."""
        balance = (await self.app.pool.status(self.workspace)).balance
        return balance.monthly_used, balance.reserved

    async def turns(self, thread: str = "C1:1.0") -> list[tuple[str, str]]:
        threads = SqlThreadStore(self.app.db)
        found = await threads.find_thread(self.workspace.id, Platform.SLACK, thread)
        if found is None:
            return []
        return [(t.speaker.value, t.text) for t in await threads.turns(found.id, limit=50)]

    async def audit(self) -> list[tuple[str, str, str, int]]:
        records = await SqlAuditLog(self.app.db).entries(self.workspace.id, since=None)
        return [(r.outcome, r.prompt, r.answer, r.credits) for r in records]


@pytest.fixture
async def desk(app: App, clock: FakeClock) -> Desk:
    workspace = await app.admin.create("acme", plan=Plan.PRO)
    await app.work_items.replace_all(workspace.id, demo_dataset(clock.now().date()))
    member = await app.workspace_store.ensure_member(workspace.id, Platform.SLACK, "U1", "ann")
    return Desk(app, workspace, member)


async def _refuse_inserts(app: App, table: str, *, write: str = "INSERT", when: str = "") -> None:
    """A trigger that fails every `write` of `table` (where `when` holds of the NEW row): a
    write failing inside the database, in the transaction that makes it."""
    async with app.db.engine.begin() as conn:
        if app.db.is_sqlite:
            condition = f" WHEN {when}" if when else ""
            await conn.execute(
                text(
                    f"CREATE TRIGGER refuse_{table} BEFORE {write} ON {table}{condition} "
                    "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
                )
            )
            return
        await conn.execute(
            text(
                "CREATE OR REPLACE FUNCTION refuse_insert() RETURNS trigger LANGUAGE plpgsql "
                "AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$"
            )
        )
        condition = f" WHEN ({when})" if when else ""
        await conn.execute(
            text(
                f"CREATE TRIGGER refuse_{table} BEFORE {write} ON {table} "
                f"FOR EACH ROW{condition} EXECUTE FUNCTION refuse_insert()"
            )
        )


async def _allow_inserts(app: App, table: str) -> None:
    async with app.db.engine.begin() as conn:
        on = "" if app.db.is_sqlite else f" ON {table}"
        await conn.execute(text(f"DROP TRIGGER refuse_{table}{on}"))


@pytest.fixture
async def refusing(app: App) -> AsyncIterator[list[str]]:
    tables: list[str] = []
    yield tables
    for table in tables:
        await _allow_inserts(app, table)


async def test_control_characters_are_cleaned_before_the_charge_on_every_engine(
    desk: Desk,
) -> None:
    model = ScriptedModel([text_reply("hello\u0000 there\u0085", tokens=(100, 10))])

    answer = await desk.ask(model, "\u0000\u0007hi\u0001")

    assert answer.text == "hello there"
    assert answer.charge is not None
    assert answer.charge.credits == 1
    assert model.calls[0][0][-1].text == "hi"  # the model saw the cleaned message
    assert await desk.used() == (1, 0)
    assert await desk.turns() == [("member", "hi"), ("assistant", "hello there")]
    assert await desk.audit() == [("answered", "hi", "hello there", 1)]


async def test_a_message_of_control_characters_only_is_refused_before_any_hold(
    desk: Desk,
) -> None:
    model = ScriptedModel([text_reply("never")])
    with pytest.raises(InvalidInput, match="1 to 4000 characters"):
        await desk.ask(model, "\u0000\u0007\u001f\ud800\u009b")
    assert model.calls == []
    assert await desk.used() == (0, 0)
    assert [e.kind.value for e in await desk.app.credit_store.ledger(desk.workspace.id)] == [
        "monthly_grant"
    ]


@pytest.mark.parametrize("table", ["turns", "audit_log"])
async def test_a_failing_history_write_charges_nothing_and_a_retry_answers(
    desk: Desk, refusing: list[str], table: str
) -> None:
    await _refuse_inserts(desk.app, table)
    refusing.append(table)

    with pytest.raises(Exception, match="injected failure"):
        await desk.ask(ScriptedModel([text_reply("lost")]), "How many items?")

    assert await desk.used() == (0, 0), "charged, or still held, for an answer nobody got"
    assert await desk.turns() == []
    assert await desk.audit() == []

    await _allow_inserts(desk.app, table)
    refusing.remove(table)
    answer = await desk.ask(ScriptedModel([text_reply("15 items.")]), "How many?", event="ev2")
    assert answer.charge is not None
    assert answer.charge.credits == 1
    assert await desk.used() == (1, 0)
    assert await desk.turns() == [("member", "How many?"), ("assistant", "15 items.")]
    assert await desk.audit() == [("answered", "How many?", "15 items.", 1)]


async def test_a_provider_failure_is_audited_with_cleaned_text_and_charges_nothing(
    desk: Desk,
) -> None:
    failing = ProviderUnavailable("the provider answered 503: \u0000bad\u0000", provider="openai")
    with pytest.raises(ProviderUnavailable):
        await desk.ask(ScriptedModel([failing]), "What\u0000 now?")
    assert await desk.used() == (0, 0)
    assert await desk.audit() == [
        ("provider_error", "What now?", str(failing).replace("\0", ""), 0)
    ]


async def test_a_provider_failure_is_told_as_such_when_its_audit_write_fails(
    desk: Desk, refusing: list[str]
) -> None:
    await _refuse_inserts(desk.app, "audit_log")
    refusing.append("audit_log")
    failing = ProviderUnavailable("the provider answered 503", provider="openai")
    with pytest.raises(ProviderUnavailable):
        await desk.ask(ScriptedModel([failing]), "What now?")
    assert await desk.used() == (0, 0)


async def test_tool_arguments_are_cleaned_before_a_proposal_is_stored_and_applied(
    desk: Desk,
) -> None:
    model = ScriptedModel(
        [
            tool_reply(
                "propose_create_work_item",
                project="WEB",
                title="Fix\u0000 header\u0007",
                description="from\u0000 chat",
                labels=["ui\u0000"],
            ),
            text_reply("I proposed it."),
        ]
    )
    answer = await desk.ask(model, "Create 'Fix header' in WEB")

    (proposal,) = answer.proposals
    assert proposal.draft.new_item is not None
    assert proposal.draft.new_item.title == "Fix header"
    owner = await desk.app.workspace_store.set_role(desk.member.id, Role.ADMIN)
    decision = await conversations_with(desk.app, ScriptedModel([])).desk.confirm(
        desk.workspace.id, proposal.id, owner
    )
    assert [r.applied for r in decision.applied] == [True]
    page = await desk.app.work_items.find(desk.workspace.id, ItemFilter(text="Fix header"), limit=5)
    assert [(i.title, i.description, i.labels) for i in page.items] == [
        ("Fix header", "from chat", ("ui",))
    ]


async def test_the_proposals_of_an_answer_that_failed_are_withdrawn(
    desk: Desk, refusing: list[str]
) -> None:
    await _refuse_inserts(desk.app, "turns")
    refusing.append("turns")
    model = ScriptedModel(
        [
            tool_reply("propose_create_work_item", project="WEB", title="Fix header"),
            text_reply("I proposed it."),
        ]
    )
    with pytest.raises(Exception, match="injected failure"):
        await desk.ask(model, "Create 'Fix header' in WEB")

    assert await desk.used() == (0, 0)
    async with desk.app.db.read() as conn:
        states = (await conn.execute(select(proposed_actions.c.state))).scalars().all()
    assert states == ["expired"], "a proposal nobody was shown is still open"


async def test_a_confirmed_change_is_reported_applied_when_recording_its_results_fails(
    desk: Desk, refusing: list[str]
) -> None:
    model = ScriptedModel(
        [
            tool_reply("propose_create_work_item", project="WEB", title="Fix header"),
            text_reply("I proposed it."),
        ]
    )
    (proposal,) = (await desk.ask(model, "Create 'Fix header' in WEB")).proposals
    await _refuse_inserts(
        desk.app, "proposed_actions", write="UPDATE", when="NEW.state = 'applied'"
    )
    refusing.append("proposed_actions")
    owner = await desk.app.workspace_store.set_role(desk.member.id, Role.ADMIN)
    actions = conversations_with(desk.app, ScriptedModel([])).desk

    decision = await actions.confirm(desk.workspace.id, proposal.id, owner)

    page = await desk.app.work_items.find(desk.workspace.id, ItemFilter(text="Fix header"), limit=5)
    (created,) = page.items
    assert [(r.key, r.applied) for r in decision.applied] == [(created.key, True)]
    with pytest.raises(Exception, match="already applying"):  # and it never runs twice
        await actions.confirm(desk.workspace.id, proposal.id, owner)
