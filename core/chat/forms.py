"""Form submissions: buying a credit pack (pick a size, then confirm) and a self-hosted
workspace's model settings (the key is stored encrypted and never shown again).

A confirmation buys once: the platform names it (`purchase`, e.g. the confirming modal or
message), and that name is claimed in the store before the pack is added, so a double
submit, a replayed click or a platform retry on any replica buys nothing more."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from core.assistant.llm_settings import WorkspaceLLM, problems, submitted
from core.chat.people import Directory, People
from core.chat.replies import Reply, Tone
from core.chat.services import ChatServices
from core.chat.telling import sentence, tell
from core.claims import ClaimState
from core.errors import SetGetError
from core.workspaces import Member, Role, Workspace

logger = logging.getLogger(__name__)

ADMINS_ONLY = "Only workspace admins can buy credits."
PURCHASE_TAKEN = "This purchase was already confirmed: nothing more was bought."
CONFIG_ADMINS_ONLY = "Only an admin of a self-hosted workspace can set the model."


@dataclass(frozen=True)
class FormStep:
    """A submission's answer: field errors (the form stays open), or the next step's text
    (a confirmation), or what the person is told once the form has closed."""

    errors: dict[str, str] = field(default_factory=dict)
    confirm: Reply | None = None
    done: Reply | None = None


class Forms:
    def __init__(self, *, services: ChatServices, people: People) -> None:
        self._services = services
        self._people = people

    async def _admin(
        self, team: str, user: str, directory: Directory
    ) -> tuple[Workspace, Member] | None:
        workspace = await self._people.workspace(directory.platform, team)
        if workspace is None:
            return None
        member = await self._people.member(workspace, team, user, directory)
        return (workspace, member) if member.role is Role.ADMIN else None

    def _size(self, size: str) -> int | None:
        return int(size) if size.isdigit() and int(size) in self._services.pack_sizes else None

    async def buy_size(self, *, team: str, user: str, size: str, directory: Directory) -> FormStep:
        try:
            return await self._buy_size(team, user, size, directory)
        except Exception as exc:
            return FormStep(errors={"size": tell(exc, doing="buying credits").text})

    async def _buy_size(self, team: str, user: str, size: str, directory: Directory) -> FormStep:
        found = await self._admin(team, user, directory)
        if found is None:
            return FormStep(errors={"size": ADMINS_ONLY})
        credits = self._size(size)
        if credits is None:
            return FormStep(errors={"size": "Pick one of the pack sizes."})
        return FormStep(
            confirm=Reply(
                f"Buy a pack of **{credits:,} credits** for workspace **{found[0].name}**? "
                "They are available at once and never expire."
            )
        )

    async def buy_confirm(
        self,
        *,
        team: str,
        user: str,
        size: str,
        directory: Directory,
        purchase: str | None = None,
    ) -> Reply:
        """`purchase`: the platform's id of this confirmation; one pack is bought per id."""
        try:
            return await self._buy_confirm(team, user, size, directory, purchase)
        except Exception as exc:
            return tell(exc, doing="buying credits")

    async def _buy_confirm(
        self, team: str, user: str, size: str, directory: Directory, purchase: str | None
    ) -> Reply:
        found = await self._admin(team, user, directory)
        credits = self._size(size)
        if found is None or credits is None:
            refusal = ADMINS_ONLY if found is None else f"No pack of {size or '?'} credits is sold."
            return Reply(refusal, Tone.REFUSAL)
        workspace = found[0]
        claims, claim = self._services.claims, None
        if purchase:
            key = f"purchase:{team}:{purchase}"[:160]
            claim = await claims.claim(directory.platform, key, self._services.clock.now())
            if claim is None:
                return Reply(PURCHASE_TAKEN, Tone.REFUSAL)
        try:
            balance = await self._services.admin.buy_pack(workspace.name, credits)
        except SetGetError as exc:
            return Reply(f"The purchase did not go through: {sentence(exc)}", Tone.WARNING)
        finally:
            if claim is not None:  # used, bought or not: a retry starts from `/setget buy`
                await claims.finish(claim, ClaimState.ANSWERED)
        return Reply(
            f"Added a pack of {credits:,} credits to {workspace.name}: "
            f"{balance.remaining:,} credits remaining.",
            Tone.SUCCESS,
        )

    async def save_config(
        self, *, team: str, user: str, values: dict[str, str], directory: Directory
    ) -> FormStep:
        try:
            return await self._save_config(team, user, values, directory)
        except Exception as exc:
            return FormStep(errors={"provider": tell(exc, doing="saving the model").text})

    async def _save_config(
        self, team: str, user: str, values: dict[str, str], directory: Directory
    ) -> FormStep:
        found = await self._admin(team, user, directory)
        if found is None or found[0].metered:
            return FormStep(errors={"provider": CONFIG_ADMINS_ONLY})
        workspace = found[0]
        store = self._services.llm_settings
        try:
            stored = await store.load(workspace.id)
        except SetGetError:  # a key sealed under another SETGET_SECRET_KEY: it must be re-entered
            stored = None
        own = submitted(values, stored)
        errors = _prefixed(own, problems(own))
        if errors:
            return FormStep(errors=errors)
        try:
            await store.save(workspace.id, own)
        except SetGetError as exc:  # e.g. no SETGET_SECRET_KEY to seal the key with
            logger.warning("model settings of workspace %d not saved: %s", workspace.id, exc)
            return FormStep(errors={"api_key": f"Not saved: {sentence(exc)}"})
        return FormStep(done=_saved(workspace, own))


def _prefixed(own: WorkspaceLLM, found: dict[str, str]) -> dict[str, str]:
    return {name: f"LLM settings for {own.provider!r}: {text}" for name, text in found.items()}


def _saved(workspace: Workspace, own: WorkspaceLLM) -> Reply:
    what = own.model or own.azure_deployment or ""
    key = "; the API key is stored encrypted" if own.api_key else ""
    return Reply(f"{workspace.name} now answers with {own.provider} {what}{key}.", Tone.SUCCESS)
