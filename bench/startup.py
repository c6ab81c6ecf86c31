"""How fast `setget-bot` starts: each figure next to the bare interpreter (`python -c pass`)
and a bare typer app with the same sub-command tree (generated from ours: the same groups,
commands and options, bodies that do nothing), measured in the same run on the same machine.

Targets: `setget-bot --help` ≤ 2× the bare typer app's `--help`; `credits status demo --json`
≤ 3× the bare app's same command. Also reported: time to the first console prompt and to the
first offline answer (in a pseudo-terminal), and the floor under `credits status`: the bare
app's command after importing only the libraries that command needs (SQLAlchemy with its
asyncio extension, aiosqlite, pydantic-settings), and after also reading one row of the
SQLite file through them.

What a user gets: `pip install` leaves byte-compiled files (`__pycache__/*.pyc`) next to the
sources. A checkout run with PYTHONDONTWRITEBYTECODE=1 (as in CI) never writes them, so every
run would compile the project's modules from source again; this benchmark first
byte-compiles `core`, `adapters` and `bot` into their `__pycache__` folders (ignored by git),
so the figures are those of an installed copy.

    python -m bench.startup [--runs N]
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.pipeline import machine

HELP_TARGET = 2.0
STATUS_TARGET = 3.0
QUESTION = "How many open items are in the WEB project?"
ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "adapters", "bot")
# what `credits status` cannot do without: the floor under its figure
NEEDED = "import sqlalchemy, sqlalchemy.ext.asyncio, aiosqlite, pydantic_settings"
READ_ONE_ROW = """
import asyncio, sys
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

async def read() -> None:
    engine = create_async_engine(sys.argv.pop(1))
    async with engine.connect() as conn:
        await conn.scalar(text("SELECT count(*) FROM workspaces"))
    await engine.dispose()

asyncio.run(read())
"""


def byte_compile() -> None:
    """Write the project's `.pyc` files, as installing it does (see the module docstring)."""
    for package in PACKAGES:
        if not compileall.compile_dir(ROOT / package, quiet=1):
            raise SystemExit(f"cannot byte-compile {ROOT / package}")


def seconds(commands: dict[str, Sequence[str]], env: dict[str, str], runs: int) -> dict[str, float]:
    """The median wall time of each command over `runs` runs (after one warm-up run each).

    The commands take turns, run by run, so a machine that gets busier or quieter meanwhile
    (a shared one) shifts every figure alike and the ratios hold."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for i in range(runs + 1):
        for name, args in commands.items():
            start = time.perf_counter()
            done = subprocess.run(list(args), env=env, capture_output=True, check=False)
            elapsed = time.perf_counter() - start
            if done.returncode != 0:
                raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr.decode()[-2000:]}")
            if i:
                times[name].append(elapsed)
    return {name: statistics.median(values) for name, values in times.items()}


def bare_app_source(command: Any) -> str:
    """A typer program with the same tree as `command` (typer's click tree: groups, commands,
    arguments and options, read by duck typing: typer vendors its click)."""
    lines = [
        "import typer",
        "",
        "app = typer.Typer(name='setget-bot', no_args_is_help=True, add_completion=False,",
        "                  rich_markup_mode=None, pretty_exceptions_enable=False)",
    ]
    counter = iter(range(10_000))

    def emit(group: Any, parent: str) -> None:
        for name, sub in sorted(group.commands.items()):
            if hasattr(sub, "commands"):
                var = f"g{next(counter)}"
                lines.append(f"{var} = typer.Typer(no_args_is_help=True, help={sub.help!r})")
                lines.append(f"{parent}.add_typer({var}, name={name!r})")
                emit(sub, var)
                continue
            params = []
            for p in sub.params:
                if p.param_type_name == "argument":
                    params.append(f"{p.name}: str = typer.Argument(...)")
                elif getattr(p, "is_flag", False):
                    params.append(f"{p.name}: bool = typer.Option(False, {p.opts[0]!r})")
                else:
                    params.append(f"{p.name}: str = typer.Option(None, {p.opts[0]!r})")
            fn = f"c{next(counter)}"
            lines.append(f"@{parent}.command({name!r}, help={sub.help!r})")
            lines.append(f"def {fn}({', '.join(params)}) -> None:")
            lines.append("    pass")

    emit(command, "app")
    lines += ["", "if __name__ == '__main__':", "    app(prog_name='setget-bot')"]
    return "\n".join(lines) + "\n"


def ours_command() -> Any:
    """Our CLI's click tree (read in this process; the timings run in fresh ones)."""
    import typer

    from bot.cli.main import app

    return typer.main.get_command(app)


def console_times(env: dict[str, str]) -> tuple[float, float]:
    """Seconds to the first console prompt, and from the question to its answer's footer."""
    import pexpect  # type: ignore[import-untyped]

    start = time.perf_counter()
    child = pexpect.spawn(
        sys.executable,
        ["-m", "bot.cli", "console", "--workspace", "demo", "--user", "alice"],
        env={**env, "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1"},
        encoding="utf-8",
        timeout=60,
        dimensions=(40, 120),
    )
    try:
        child.expect_exact("alice>")  # the prompt names who is asking
        prompt = time.perf_counter() - start
        asked = time.perf_counter()
        child.send(QUESTION + "\r")  # Enter, as a terminal sends it
        child.expect_exact(" left")  # the usage footer: "… credits left"
        answer = time.perf_counter() - asked
        child.expect_exact("alice>")  # the prompt again: it takes Ctrl-D now
        child.sendcontrol("d")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    return prompt, answer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10, help="timed runs per figure")
    runs = parser.parse_args(argv).runs
    py = sys.executable
    byte_compile()
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "bench.db"
        env = {
            **os.environ,
            "SETGET_DATABASE_URL": f"sqlite:///{database}",
            "XDG_DATA_HOME": str(Path(tmp) / "data"),
            "SETGET_OFFLINE_PACE_MS": "0",
        }
        bare = Path(tmp) / "bare_cli.py"
        bare.write_text(bare_app_source(ours_command()))
        floor = Path(tmp) / "floor_cli.py"  # the bare app, after the libraries status needs
        floor.write_text(f"{NEEDED}\n{bare.read_text()}")
        reading = Path(tmp) / "floor_read_cli.py"  # ... and after reading one row with them
        reading.write_text(f"{NEEDED}\n{READ_ONE_ROW}\n{bare.read_text()}")
        script = Path(py).parent / "setget-bot"  # what people run
        ours = [str(script)] if script.exists() else [py, "-m", "bot.cli"]
        # the demo workspace and data; the console it opens ends at once (no input)
        subprocess.run([*ours, "demo"], env=env, check=True, capture_output=True, input=b"")

        status = ["credits", "status", "demo", "--json"]
        url = f"sqlite+aiosqlite:///{database}"
        took = seconds(
            {
                "interpreter": [py, "-c", "pass"],
                "bare help": [py, str(bare), "--help"],
                "bare status": [py, str(bare), *status],
                "our help": [*ours, "--help"],
                "our status": [*ours, *status],
                "floor": [py, str(floor), *status],
                "floor read": [py, str(reading), url, *status],
            },
            env,
            runs,
        )
        prompt, answer = console_times(env)
    report(took, prompt=prompt, answer=answer, runs=runs)


def report(took: dict[str, float], *, prompt: float, answer: float, runs: int) -> None:
    """The figures as a Markdown table (the README's)."""

    def ms(value: float) -> str:
        return f"{value * 1000:,.0f} ms"

    def verdict(ratio: float, target: float) -> str:
        return f"≤ {target} ({'met' if ratio <= target else 'missed'})"

    python = ms(took["interpreter"])
    rows: list[tuple[str, str, str, float | None]] = [
        ("`setget-bot --help`", "our help", "bare help", HELP_TARGET),
        ("`credits status demo --json`", "our status", "bare status", STATUS_TARGET),
        (
            "floor: the bare app's status after importing what it needs",
            "floor",
            "bare status",
            None,
        ),
        ("floor: the same, and reading one row through them", "floor read", "bare status", None),
    ]
    print(
        machine("Start-up", postgres=False)
        + f", median of {runs} runs taking turns, the project byte-compiled first (as installed)"
    )
    print("| what | ours | bare typer app | python -c pass | ratio to the bare app | target |")
    print("|---|---|---|---|---|---|")
    for what, ours, bare, target in rows:
        ratio = took[ours] / took[bare]
        goal = "reported" if target is None else verdict(ratio, target)
        print(f"| {what} | {ms(took[ours])} | {ms(took[bare])} | {python} | {ratio:.2f} | {goal} |")
    print(f"| first console prompt | {ms(prompt)} | | {python} | | reported |")
    print(f"| first offline answer, after the prompt | {ms(answer)} | | | | reported |")


if __name__ == "__main__":
    main()
