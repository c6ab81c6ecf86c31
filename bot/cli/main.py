"""The `setget-bot` entry point: sub-commands, and usage errors as one line."""

from __future__ import annotations

import gc
import sys
from typing import Annotated

import typer

from bot import logs
from bot.cli import audit, console, credits, data, db, doctor, ledger, llm, serve, workspace
from core.errors import SetGetError

app = typer.Typer(
    name="setget-bot",
    help="SetGet AI bot: AI chat-ops for project teams, metered in a shared credit pool.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=False,
)


def _version(value: bool) -> None:
    """`--version`: this version, and where its database and files are."""
    if not value:
        return
    from importlib.metadata import version

    from adapters.storage.database import describe_database
    from bot.paths import data_dir
    from bot.settings import load_settings

    print(f"setget-bot {version('setget-bot')}")
    try:
        print(f"database: {describe_database(load_settings().database_url)}")
    except SetGetError as exc:
        print(f"database: {exc}")
    print(f"data folder: {data_dir()}")
    raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version,
            is_eager=True,
            help="Print the version, the database location and the data folder.",
        ),
    ] = False,
) -> None:
    """SetGet AI bot: AI chat-ops for project teams, metered in a shared credit pool."""


app.add_typer(db.app, name="db")
app.add_typer(workspace.app, name="workspace")
app.add_typer(credits.app, name="credits")
app.add_typer(data.app, name="data")
app.add_typer(llm.app, name="llm")
app.add_typer(audit.app, name="audit")
app.add_typer(ledger.app, name="ledger")
app.command("doctor")(doctor.doctor)
app.add_typer(serve.app, name="serve")
app.command("usage")(credits.usage)
app.command("demo")(console.demo)
app.command("console")(console.console)


def main(argv: list[str] | None = None) -> int:
    logs.setup()  # the human format; `serve` applies SETGET_LOG_FORMAT and SETGET_LOG_LEVEL
    try:
        result = app(args=argv, prog_name="setget-bot", standalone_mode=False)
    except typer.TyperException as exc:  # usage errors: one line, no usage dump
        ctx = getattr(exc, "ctx", None)
        hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
        print(f"error: {exc.format_message()}{hint}", file=sys.stderr)
        return int(getattr(exc, "exit_code", 2))
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        print("aborted", file=sys.stderr)
        return 130
    return result if isinstance(result, int) else 0


def entry() -> None:
    code = main()
    # The command is done and nothing more needs collecting: without this, the interpreter's
    # exit walks every object the libraries made (a third of `credits status` here).
    gc.freeze()
    sys.exit(code)
