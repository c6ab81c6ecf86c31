"""Block Kit for the bot's messages: answers, proposals with buttons, decisions, modals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adapters.slack.mrkdwn import escape
from adapters.slack.render import mrkdwn
from core.assistant.actions import ProposedAction
from core.assistant.llm_settings import PROVIDERS, WorkspaceLLM
from core.chat.feedback import button_value
from core.chat.replies import Reply
from core.chat.wording import proposal_text, summary_for_people, who_may_confirm

Block = dict[str, Any]
CONFIRM = "setget_confirm"
REJECT = "setget_reject"
BUY_VIEW = "setget_buy"
CONFIG_VIEW = "setget_config"
FEEDBACK = "setget_feedback"


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def answer_blocks(text: str, *, footer: str | None, feedback: str | None = None) -> list[Block]:
    """One piece of an answer; the last piece carries, given the key of the message it
    answers (`feedback`), the Good/Bad buttons, and ends with the usage footer."""
    blocks = [section(text or " ")]
    if footer:
        if feedback:
            blocks.append(feedback_block(feedback))
        blocks.append(context(footer))
    return blocks


def feedback_block(key: str) -> Block:
    """Slack's feedback buttons on an answer; each carries the message key and the verdict
    (the chat layer checks the key against the clicking team's workspace)."""

    def button(label: str, *, positive: bool) -> Block:
        return {
            "text": {"type": "plain_text", "text": label},
            "value": button_value(key, positive=positive),
            "accessibility_label": f"Mark this answer as {label.lower()}",
        }

    return {
        "type": "context_actions",
        "elements": [
            {
                "type": "feedback_buttons",
                "action_id": FEEDBACK,
                "positive_button": button("Good", positive=True),
                "negative_button": button("Bad", positive=False),
            }
        ],
    }


def proposal_ids(action_id: int) -> tuple[str, str, str]:
    """The `block_id`s of a proposal's summary, its who-may-confirm line and its buttons: a
    decision replaces just these, also where the proposal ends a streamed answer."""
    return f"proposal-{action_id}-summary", f"proposal-{action_id}-who", f"proposal-{action_id}"


def proposal_summary(action: ProposedAction) -> list[Block]:
    """What a proposal changes (the part of its message that stays after a decision)."""
    block = section(mrkdwn(Reply(proposal_text(action))))
    return [{**block, "block_id": proposal_ids(action.id)[0]}]


def proposal_blocks(action: ProposedAction, *, requester: str) -> list[Block]:
    who = who_may_confirm(action)
    expires = int(action.expires_at.timestamp())
    fallback = action.expires_at.strftime("%Y-%m-%d %H:%M UTC")
    confirm: Block = {
        "type": "button",
        "action_id": CONFIRM,
        "text": {"type": "plain_text", "text": "Confirm"},
        "style": "primary",
        "value": str(action.id),
    }
    if action.bulk:
        confirm["confirm"] = {
            "title": {"type": "plain_text", "text": "Change several items?"},
            "text": {"type": "mrkdwn", "text": escape(summary_for_people(action.draft))},
            "confirm": {"type": "plain_text", "text": "Apply"},
            "deny": {"type": "plain_text", "text": "Cancel"},
        }
    reject: Block = {
        "type": "button",
        "action_id": REJECT,
        "text": {"type": "plain_text", "text": "Reject"},
        "style": "danger",
        "value": str(action.id),
    }
    _, who_id, buttons_id = proposal_ids(action.id)
    line = context(
        f"Requested by <@{requester}>. {who}; nothing changes until then. "
        f"Expires <!date^{expires}^{{date_short_pretty}} {{time}}|{fallback}>."
    )
    return [
        *proposal_summary(action),
        {**line, "block_id": who_id},
        {"type": "actions", "block_id": buttons_id, "elements": [confirm, reject]},
    ]


def modal(
    callback_id: str, *, title: str, submit: str, metadata: str, blocks: list[Block]
) -> dict[str, Any]:
    """A modal whose submission comes back to `callback_id` with `metadata`."""
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": metadata,
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": submit},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


def buy_modal(sizes: Sequence[int], *, channel: str) -> dict[str, Any]:
    options = [
        {"text": {"type": "plain_text", "text": f"{n:,} credits"}, "value": str(n)} for n in sizes
    ]
    return modal(
        BUY_VIEW,
        title="Buy AI credits",
        submit="Buy pack",
        metadata=channel,
        blocks=[
            {
                "type": "input",
                "block_id": "size",
                "label": {"type": "plain_text", "text": "Pack size"},
                "element": {
                    "type": "static_select",
                    "action_id": "value",
                    "options": options,
                    "initial_option": options[0],
                },
            },
            context("Packs never expire and are used after the monthly allocation."),
        ],
    )


def _text_input(block_id: str, label: str, *, initial: str | None) -> Block:
    """An optional text field: what is required depends on the provider, which the
    submission checks, naming the field."""
    element: Block = {"type": "plain_text_input", "action_id": "value"}
    if initial:
        element["initial_value"] = initial
    return {
        "type": "input",
        "block_id": block_id,
        "optional": True,
        "label": {"type": "plain_text", "text": label},
        "element": element,
    }


def config_modal(*, channel: str, own: WorkspaceLLM | None) -> dict[str, Any]:
    """Self-hosted LLM settings, pre-filled from what is stored except the key, which is
    never echoed (an empty key field keeps the stored key; local servers need none)."""
    options = [{"text": {"type": "plain_text", "text": p}, "value": p} for p in PROVIDERS]
    select: Block = {"type": "static_select", "action_id": "value", "options": options}
    if own is not None and own.provider in PROVIDERS:
        select["initial_option"] = options[PROVIDERS.index(own.provider)]
    has_key = bool(own and own.api_key)
    key_hint = (
        "A key is stored; leave the field empty to keep it."
        if has_key
        else ("No key is stored (OpenAI-compatible servers such as vLLM or Ollama may need none).")
    )
    return modal(
        CONFIG_VIEW,
        title="SetGet AI model",
        submit="Save",
        metadata=channel,
        blocks=[
            {
                "type": "input",
                "block_id": "provider",
                "label": {"type": "plain_text", "text": "Provider"},
                "element": select,
            },
            _text_input("model", "Model (Azure: leave empty)", initial=own.model if own else None),
            _text_input("base_url", "Endpoint / base URL", initial=own.base_url if own else None),
            _text_input(
                "azure_deployment",
                "Azure deployment",
                initial=own.azure_deployment if own else None,
            ),
            _text_input(
                "api_version", "Azure API version", initial=own.api_version if own else None
            ),
            _text_input("api_key", "API key", initial=None),
            context(key_hint),
        ],
    )


def form_values(view: dict[str, Any]) -> dict[str, str]:
    """The submitted values of a modal, by block id (empty inputs left out)."""
    out: dict[str, str] = {}
    for block_id, fields in view.get("state", {}).get("values", {}).items():
        field = fields.get("value", {})
        value = field.get("value")
        if value is None and field.get("selected_option"):
            value = field["selected_option"]["value"]
        if isinstance(value, str) and value.strip():
            out[block_id] = value.strip()
    return out


BUY_CONFIRM_VIEW = "setget_buy_confirm"


def buy_confirm_modal(credits: int, *, text: str, channel: str) -> dict[str, Any]:
    """The second step of a purchase: say exactly what will be bought, then confirm."""
    return modal(
        BUY_CONFIRM_VIEW,
        title="Confirm purchase",
        submit="Confirm purchase",
        metadata=f"{channel}|{credits}",
        blocks=[section(text)],
    )
