"""Where the bot keeps its own files when no setting says otherwise: the platform's user data
folder (on Linux `$XDG_DATA_HOME/setget-bot`, by default `~/.local/share/setget-bot`), the same
whatever the current folder."""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "setget-bot"


def data_dir() -> Path:
    """The folder itself; not created here (whoever writes a file in it creates it)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_database_path() -> Path:
    return data_dir() / "setget.db"


def console_history_path() -> Path:
    return data_dir() / "console-history"


def default_database_url() -> str:
    """`SETGET_DATABASE_URL` when none is set: the SQLite file above."""
    return f"sqlite:///{default_database_path()}"
