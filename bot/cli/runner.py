"""Running one CLI command: settings, the app, and errors as one clear line."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from typing import NoReturn, TypeVar

import typer

from bot.app import App, open_app
from bot.settings import load_settings
from core.errors import InvalidInput, SetGetError

logger = logging.getLogger(__name__)
T = TypeVar("T")


def fail(message: str, *, code: int = 1) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(code)


def run(action: Callable[[App], Awaitable[T]], *, require_schema: bool = True) -> T:
    """Run `action` on a freshly opened app; domain errors become one line and exit 1."""

    async def _main() -> T:
        async with open_app(load_settings(), require_schema=require_schema) as app:
            return await action(app)

    try:
        return asyncio.run(_main())
    except SetGetError as exc:
        fail(str(exc))
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


def parse_count(text: str, *, what: str) -> int:
    """A whole number typed by a person; `-5` arrives here as text, not as an option."""
    try:
        return int(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise InvalidInput(f"{what} must be a whole number, not {text!r}") from None


def checked(fn: Callable[[], T]) -> T:
    """Run argument parsing that may raise `InvalidInput` before any database work."""
    try:
        return fn()
    except SetGetError as exc:
        fail(str(exc))
