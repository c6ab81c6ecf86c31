"""How fast `setget-bot` starts: each figure next to the bare interpreter (`python -c pass`)
and a bare typer app with the same sub-command tree (generated from ours: the same groups,
commands and options, bodies that do nothing), measured in the same run on the same machine.

Targets: `setget-bot --help` ≤ 2× the bare typer app's `--help`; `credits status demo --json`
≤ 3× the bare app's same command. Also reported: time to the first console prompt and to the
first offline answer (in a pseudo-terminal).

    python -m bench.startup [--runs N]
"""

from __future__ import annotations

import argparse
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


def seconds(args: Sequence[str], env: dict[str, str], runs: int) -> float:
    """The median wall time of `args` over `runs` runs (after one warm-up run)."""
    times = []
    for i in range(runs + 1):
        start = time.perf_counter()
        done = subprocess.run(list(args), env=env, capture_output=True, check=False)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr.decode()[-2000:]}")
        if i:
            times.append(elapsed)
    return statistics.median(times)


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
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "SETGET_DATABASE_URL": f"sqlite:///{Path(tmp) / 'bench.db'}",
            "XDG_DATA_HOME": str(Path(tmp) / "data"),
            "SETGET_OFFLINE_PACE_MS": "0",
        }
        bare = Path(tmp) / "bare_cli.py"
        bare.write_text(bare_app_source(ours_command()))
        script = Path(py).parent / "setget-bot"  # what people run
        ours = [str(script)] if script.exists() else [py, "-m", "bot.cli"]
        # the demo workspace and data; the console it opens ends at once (no input)
        subprocess.run([*ours, "demo"], env=env, check=True, capture_output=True, input=b"")

        interpreter = seconds([py, "-c", "pass"], env, runs)
        bare_help = seconds([py, str(bare), "--help"], env, runs)
        bare_status = seconds([py, str(bare), "credits", "status", "demo", "--json"], env, runs)
        our_help = seconds([*ours, "--help"], env, runs)
        our_status = seconds([*ours, "credits", "status", "demo", "--json"], env, runs)
        prompt, answer = console_times(env)

    def ms(value: float) -> str:
        return f"{value * 1000:,.0f} ms"

    help_ratio, status_ratio = our_help / bare_help, our_status / bare_status
    print(machine("Start-up", postgres=False) + f", median of {runs} runs")
    print("| what | ours | bare typer app | python -c pass | ratio to the bare app | target |")
    print("|---|---|---|---|---|---|")
    print(
        f"| `setget-bot --help` | {ms(our_help)} | {ms(bare_help)} | {ms(interpreter)} | "
        f"{help_ratio:.2f} | ≤ {HELP_TARGET} ({'met' if help_ratio <= HELP_TARGET else 'missed'}) |"
    )
    print(
        f"| `credits status demo --json` | {ms(our_status)} | {ms(bare_status)} | "
        f"{ms(interpreter)} | {status_ratio:.2f} | ≤ {STATUS_TARGET} "
        f"({'met' if status_ratio <= STATUS_TARGET else 'missed'}) |"
    )
    print(f"| first console prompt | {ms(prompt)} | | {ms(interpreter)} | | reported |")
    print(f"| first offline answer, after the prompt | {ms(answer)} | | | | reported |")


if __name__ == "__main__":
    main()
