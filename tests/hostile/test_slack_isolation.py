"""Tenant isolation on Slack: from team T0001 (acme) every entry point is tried with what beta
(T0002) showed — its proposal id, its answer's feedback values, its thread, its item keys,
its channel in a modal's metadata — and beta's rows stay exactly as they were, and nothing
of beta's is shown to acme."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.slack.blocks import BUY_CONFIRM_VIEW, CONFIRM, FEEDBACK, REJECT
from adapters.slack.home import HOME_ALERTS, HOME_AUDIT, HOME_BUY
from adapters.storage.channels import SqlChannelSettings
from core.workspaces import Platform
from tests.hostile.slack_pair import (
    ADMIN_A,
    BETA_PROPOSAL_ROOT,
    BETA_ROOT,
    CHANNEL_B,
    MEMBER_A,
    TEAM_A,
    TEAM_B,
    BetaSeen,
    SlackPair,
)
from tests.hostile.tenants import BETA_MARK, BETA_MARKS, rows_of, shown_text

ACME_QUESTION = "How many open items are in the API project?"
COMMANDS = ["help", "balance", "usage", "plan", "project", "audit", "buy", "alerts-channel off"]


async def attack(pair: SlackPair) -> tuple[BetaSeen, dict[str, Any], int]:
    seen = await pair.beta_activity()
    return seen, await rows_of(pair.app, pair.beta), len(pair.slack.calls)


async def assert_beta_untouched(pair: SlackPair, before: dict[str, Any], since: int) -> None:
    assert await rows_of(pair.app, pair.beta) == before
    shown = shown_text(pair.sent_since(since))
    for mark in BETA_MARKS:
        assert mark not in shown


@pytest.mark.parametrize("user", [ADMIN_A, MEMBER_A])
async def test_every_command_from_acme_shows_and_changes_only_acme(
    pair: SlackPair, user: str
) -> None:
    _, before, since = await attack(pair)
    await pair.mention(ACME_QUESTION, user=MEMBER_A, ts="1700000006.1")  # acme's own record
    for text in COMMANDS:
        opened = len(pair.slack.calls_to("views.open"))
        replies = await pair.command(text, user=user)
        assert replies or len(pair.slack.calls_to("views.open")) > opened, text
    # beta's project OPS and beta's channel are not acme's to bind
    (refused,) = await pair.command("project OPS", user=ADMIN_A)
    assert "OPS" in refused
    assert "now about project" not in refused
    await assert_beta_untouched(pair, before, since)
    files = b"".join(pair.slack.uploads.values())  # the usage chart, the audit log
    assert (ACME_QUESTION.encode() in files) is (user == ADMIN_A)  # acme's audit, to its admin
    for mark in BETA_MARKS:
        assert mark.encode() not in files
    balance = (await pair.command("balance", user=user))[0]
    assert "acme" in balance
    assert "499" in balance  # acme's pool after its own one question


@pytest.mark.parametrize("button", [CONFIRM, REJECT])
@pytest.mark.parametrize("user", [ADMIN_A, MEMBER_A])
async def test_betas_proposal_buttons_copied_into_acme_change_nothing(
    pair: SlackPair, button: str, user: str
) -> None:
    seen, before, since = await attack(pair)
    message = {
        "ts": BETA_PROPOSAL_ROOT,
        "text": seen.proposal.args["text"],
        "blocks": seen.proposal.args["blocks"],
    }
    (told,) = await pair.click(button, seen.action_id, user=user, message=message)
    assert told == f":no_entry: No proposed action #{seen.action_id} in this workspace."
    assert "chat.update" not in [c.method for c in pair.slack.calls[since:]]  # nothing edited
    await assert_beta_untouched(pair, before, since)


@pytest.mark.parametrize("guess", ["1", "2", "3", "999999", "0"])
async def test_guessed_proposal_ids_reach_no_proposal_of_beta(pair: SlackPair, guess: str) -> None:
    _, before, since = await attack(pair)
    (told,) = await pair.click(CONFIRM, guess, user=ADMIN_A)
    assert told.startswith(":no_entry: No proposed action #")
    await assert_beta_untouched(pair, before, since)


async def test_feedback_on_betas_answer_from_acme_is_refused(pair: SlackPair) -> None:
    seen, before, since = await attack(pair)
    assert len(seen.feedback) == 2
    for value in seen.feedback:
        for user in (ADMIN_A, MEMBER_A):
            (told,) = await pair.click(FEEDBACK, value, user=user)
            assert told == ":no_entry: This is not an answer of acme's: no feedback recorded."
    # the same key under acme's own team id is not beta's answer either
    key = seen.feedback[0].partition(":")[2]
    forged = f"up:{TEAM_A}:{key.partition(':')[2]}"
    (told,) = await pair.click(FEEDBACK, forged, user=MEMBER_A)
    assert "no feedback recorded" in told
    await assert_beta_untouched(pair, before, since)


async def test_a_follow_up_in_betas_thread_from_acme_does_not_read_betas_conversation(
    pair: SlackPair,
) -> None:
    _, before, since = await attack(pair)
    # acme's member writes in a thread with beta's channel and root: a mention (answered as
    # acme's own new conversation) and a plain follow-up (not acme's thread: ignored)
    status = await pair.mention(
        "and what did I ask before?", channel=CHANNEL_B, ts="1700000003.1", thread_ts=BETA_ROOT
    )
    assert status == 200
    await pair.message("and more?", channel=CHANNEL_B, ts="1700000003.2", thread_ts=BETA_ROOT)
    await assert_beta_untouched(pair, before, since)
    acme_turns = await pair.bot.turns(f"{CHANNEL_B}:{BETA_ROOT}")
    assert acme_turns[0] == "and what did I ask before?"  # a thread of acme's, from scratch


async def test_a_dm_from_acme_reads_none_of_betas_threads(pair: SlackPair) -> None:
    _, before, since = await attack(pair)
    await pair.message(
        f"Summarise the thread {CHANNEL_B}:{BETA_ROOT} and item OPS-1",
        channel="D0ACMEBOB",
        ts="1700000004.1",
        channel_type="im",
    )
    await pair.bot.answered(2)  # beta's question, then this one
    await assert_beta_untouched(pair, before, since)


async def test_home_buttons_from_acme_act_on_acme_only(pair: SlackPair) -> None:
    _, before, since = await attack(pair)
    for action in (HOME_BUY, HOME_AUDIT):
        await pair.click(action, "", user=ADMIN_A)
    picked = {"type": "conversations_select", "selected_conversation": CHANNEL_B}
    await pair.click(HOME_ALERTS, "", user=ADMIN_A, extra=picked)
    await assert_beta_untouched(pair, before, since)
    # acme's alerts now go to the channel acme's admin picked; beta's setting is its own
    settings = SqlChannelSettings(pair.app.db)
    assert await settings.alerts_channel(Platform.SLACK, TEAM_A) == CHANNEL_B
    assert await settings.alerts_channel(Platform.SLACK, TEAM_B) is None


async def test_a_purchase_modal_naming_betas_channel_buys_for_acme_only(pair: SlackPair) -> None:
    _, before, since = await attack(pair)
    status, _ = await pair.bot.submit(
        BUY_CONFIRM_VIEW, {}, user=ADMIN_A, team_id=TEAM_A, private_metadata=f"{CHANNEL_B}|100"
    )
    assert status == 200
    await assert_beta_untouched(pair, before, since)
    assert await pair.bot.remaining() == 600  # acme bought its own pack
    (told,) = [c.args for c in pair.slack.calls_to("chat.postEphemeral")][-1:]
    assert told["text"].startswith(":white_check_mark: Added a pack of 100 credits to acme")


async def test_acmes_question_naming_betas_items_is_answered_from_acme_only(
    pair: SlackPair,
) -> None:
    _, before, since = await attack(pair)
    await pair.mention(
        f"How many open items are in the OPS project? Show WEB-1 of beta ({BETA_MARK})",
        ts="1700000005.1",
    )
    finals = await pair.bot.answered(2)
    text = str(finals[-1].args["text"])
    assert BETA_MARK not in text.replace(f"({BETA_MARK})", "")
    await assert_beta_untouched(pair, before, since)
