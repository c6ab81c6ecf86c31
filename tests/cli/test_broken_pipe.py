"""Output piped into a reader that has left (`setget-bot credits status demo --json | head -c0`)
ends the command quietly: no "unexpected failure", no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize(
    "command",
    [
        ["credits", "status", "demo", "--json"],  # printed while the app is open
        ["data", "export", "demo"],  # printed after it closed
    ],
)
def test_a_reader_that_has_left_gets_no_error(tmp_path: Path, command: list[str]) -> None:
    env = {**os.environ, "SETGET_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    cli = [sys.executable, "-m", "bot.cli"]
    subprocess.run([*cli, "demo"], env=env, input=b"", check=True, capture_output=True)

    read, write = os.pipe()
    os.close(read)  # the reader is gone before anything is written
    done = subprocess.run(
        [*cli, *command],
        env=env,
        stdout=write,
        capture_output=False,
        stderr=subprocess.PIPE,
        check=False,
        timeout=120,
    )
    os.close(write)

    assert done.stderr.decode() == ""
    assert done.returncode == 1  # click's way: the rest of the output goes nowhere
