"""Our description of the Slack OAuth tables is slack_sdk's layout: the same DDL on SQLite
and PostgreSQL, and the same client-side defaults, so slack_sdk's stores read and write the
tables Alembic creates from it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import MetaData, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlalchemy.sql import ClauseElement

from adapters.storage import tables

SLACK_SDK_BUILDERS: dict[str, Callable[[MetaData, str], Table]] = {
    "slack_installations": SQLAlchemyInstallationStore.build_installations_table,
    "slack_bots": SQLAlchemyInstallationStore.build_bots_table,
    "slack_oauth_states": SQLAlchemyOAuthStateStore.build_oauth_states_table,
}


def slack_sdks(name: str) -> Table:
    """The table as slack_sdk builds it, under our naming convention (constraint names)."""
    return SLACK_SDK_BUILDERS[name](
        MetaData(naming_convention=tables.metadata.naming_convention), name
    )


def ddl(table: Table, dialect: Any) -> list[str]:
    statements: list[Any] = [CreateTable(table), *(CreateIndex(i) for i in table.indexes)]
    return sorted(str(s.compile(dialect=dialect)).strip() for s in statements)


def defaults(table: Table) -> dict[str, str]:
    """Each column's client-side default (`func.now()` as the SQL it renders)."""
    found = {}
    for c in table.columns:
        arg = getattr(c.default, "arg", None)
        found[c.name] = str(arg) if isinstance(arg, ClauseElement) else repr(arg)
    return found


@pytest.mark.parametrize("name", sorted(SLACK_SDK_BUILDERS))
def test_each_slack_table_is_slack_sdks_layout(name: str) -> None:
    ours = tables.metadata.tables[name]
    theirs = slack_sdks(name)
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        assert ddl(ours, dialect) == ddl(theirs, dialect)
    assert [c.name for c in ours.columns] == [c.name for c in theirs.columns]
    assert defaults(ours) == defaults(theirs)


def test_the_module_names_the_slack_tables_it_adds() -> None:
    assert tables.slack_installations is tables.metadata.tables["slack_installations"]
    assert tables.slack_bots is tables.metadata.tables["slack_bots"]
    assert tables.slack_oauth_states is tables.metadata.tables["slack_oauth_states"]
