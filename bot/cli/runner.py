"""Running one CLI command: settings, the app, and errors as one clear line.

Light to import (typer and the standard library): the app, its database and settings are
imported when a command runs, so `--help` and argument errors answer at once."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from typing import TYPE_CHECKING, NoReturn, TypeVar

import typer

from core.errors import InvalidInput, SetGetError

if TYPE_CHECKING:
    from bot.app import App
    from bot.settings import Settings

logger = logging.getLogger(__name__)
T = TypeVar("T")


def fail(message: str, *, code: int = 1) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(code)


def _prepare_database(settings: Settings, *, create: bool) -> None:
    """Only `db upgrade` and `demo` (`create`) may make a database file, and the default
    file's folder (the user data folder) with it; any other command refuses a missing file."""
    from adapters.storage.database import refuse_missing_file
    from bot.paths import default_database_path, default_database_url

    default = settings.database_url == default_database_url()
    if not create:
        refuse_missing_file(settings.database_url, folder_is_made=default)
    elif default:
        default_database_path().parent.mkdir(parents=True, exist_ok=True)


def run(action: Callable[[App], Awaitable[T]], *, require_schema: bool = True) -> T:
    """Run `action` on a freshly opened app; domain errors become one line and exit 1.

    `require_schema=False` (`db upgrade`, `demo`): the database may be empty or not yet exist.
    """

    import asyncio

    from bot.app import open_app
    from bot.settings import load_settings

    async def _main() -> T:
        settings = load_settings()
        _prepare_database(settings, create=not require_schema)
        async with open_app(settings, require_schema=require_schema) as app:
            return await action(app)

    try:
        return asyncio.run(_main())
    except SetGetError as exc:
        fail(str(exc))
    except BrokenPipeError:  # the reader left (`| head`): click ends quietly, status 1
        raise
    except Exception as exc:  # a bug: say so in one line, details only when asked
        if os.environ.get("SETGET_DEBUG"):
            raise
        logger.debug("unexpected failure", exc_info=True)
        fail(f"unexpected failure ({type(exc).__name__}); set SETGET_DEBUG=1 for details")


def parse_date(text: str | None, *, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"bad date for {option}: {text!r} (use YYYY-MM-DD)") from None


def checked(fn: Callable[[], T]) -> T:
    """Run argument parsing that may raise `InvalidInput` before any database work."""
    try:
        return fn()
    except SetGetError as exc:
        fail(str(exc))
