"""Slack OAuth installations stored with their tokens sealed.

slack_sdk's SQLAlchemy store keeps the bot and user tokens (and their refresh tokens) as
given; this one seals them before they are written and opens them when read. The sealing
itself (the operator's secret key) comes from the caller, as two callables.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from core.errors import InvalidInput

# What a sealed value starts with in the table. No Slack token starts so (they start with
# `xox`), so a row stored in clear before sealing (or by slack_sdk's own store) is read as
# it is, and a value already sealed is not sealed twice.
SEALED = "sealed:"
BOT_TOKENS = ("bot_token", "bot_refresh_token")
INSTALLATION_TOKENS = (*BOT_TOKENS, "user_token", "user_refresh_token")

Seal = Callable[[str], str]
LOGGER = logging.getLogger(__name__)
Entity = TypeVar("Entity", Installation, Bot)


class SealedInstallationStore(AsyncSQLAlchemyInstallationStore):
    """slack_sdk's installations in the `slack_installations` and `slack_bots` tables, every
    token sealed with `seal` at rest and opened with `open` when found."""

    def __init__(
        self,
        client_id: str,
        engine: AsyncEngine,
        *,
        seal: Seal,
        open: Seal,
    ) -> None:
        super().__init__(client_id=client_id, engine=engine, logger=LOGGER)
        self._seal = seal
        self._open = open

    def __repr__(self) -> str:
        return f"SealedInstallationStore(client_id={self.client_id!r})"

    async def async_save(self, installation: Installation) -> None:
        # slack_sdk saves the bot part with `async_save_bot`, which finds its tokens sealed.
        await super().async_save(self._sealed(installation, INSTALLATION_TOKENS))

    async def async_save_bot(self, bot: Bot) -> None:
        await super().async_save_bot(self._sealed(bot, BOT_TOKENS))

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        found = await super().async_find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        return None if found is None else self._opened(found, BOT_TOKENS)

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        found = await super().async_find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )
        return None if found is None else self._opened(found, INSTALLATION_TOKENS)

    def _sealed(self, entity: Entity, fields: tuple[str, ...]) -> Entity:
        table: Table = self.installations if isinstance(entity, Installation) else self.bots
        sealed = copy.copy(entity)  # the caller's object keeps its tokens in clear
        for field in fields:
            value: str | None = getattr(entity, field, None)
            if value is None or value.startswith(SEALED):
                continue
            stored = SEALED + self._seal(value)
            _fits(table, field, stored)
            setattr(sealed, field, stored)
        return sealed

    def _opened(self, entity: Entity, fields: tuple[str, ...]) -> Entity:
        for field in fields:
            value: str | None = getattr(entity, field, None)
            if value is not None and value.startswith(SEALED):
                setattr(entity, field, self._open(value.removeprefix(SEALED)))
        return entity


def _fits(table: Table, field: str, stored: str) -> None:
    """Refuses a sealed token longer than its column (PostgreSQL would refuse it with an
    error naming neither the token nor what to do)."""
    length: Any = getattr(table.c[field].type, "length", None)
    if isinstance(length, int) and len(stored) > length:
        raise InvalidInput(
            f"a Slack {field.replace('_', ' ')} sealed is {len(stored)} characters, more than "
            f"the {length} that {table.name}.{field} holds"
        )
