"""The arguments many commands share, each with its help text and the type help shows."""

from __future__ import annotations

from typing import Annotated, Any

import typer

# Let `-5` reach a command as a value, so the command refuses it in its own words instead of
# "No such option: -5".
NUMERIC: dict[str, Any] = {"ignore_unknown_options": True}


def whole_number(text: str) -> int:
    """A whole number as a person types it: `1000`, `1,000`, `1_000` or `-5`."""
    try:
        return int(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise typer.BadParameter(f"must be a whole number, not {text!r}") from None


WorkspaceName = Annotated[
    str,
    typer.Argument(metavar="NAME", help="The workspace's name (in any case).", show_default=False),
]
Credits = Annotated[
    int,
    typer.Argument(
        metavar="CREDITS",
        parser=whole_number,
        help="How many credits (1 or more).",
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON.")]
