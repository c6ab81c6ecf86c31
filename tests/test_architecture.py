"""The import rules of the layout: core knows no platform or database; nothing imports bot."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OUTSIDE_WORLD = {
    "slack_bolt",
    "slack_sdk",
    "discord",
    "sqlalchemy",
    "aiosqlite",
    "asyncpg",
    "alembic",
    "openai",
    "anthropic",
    "apscheduler",
    "aiohttp",
    "httpx",
    "pydantic",
    "pydantic_settings",
    "typer",
    "rich",
}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("path", modules("core"), ids=lambda p: str(p.relative_to(ROOT)))
def test_core_imports_only_the_standard_library_and_core(path: Path) -> None:
    bad = imported_roots(path) & (OUTSIDE_WORLD | {"adapters", "bot"})
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


@pytest.mark.parametrize("path", modules("adapters"), ids=lambda p: str(p.relative_to(ROOT)))
def test_adapters_never_import_the_wiring(path: Path) -> None:
    assert "bot" not in imported_roots(path)


def test_slack_and_discord_adapters_do_not_know_each_other() -> None:
    for a, b in (("slack", "discord"), ("discord", "slack")):
        for path in (ROOT / "adapters" / a).rglob("*.py"):
            text = path.read_text()
            assert f"adapters.{b}" not in text, path


def test_the_rules_catch_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from sqlalchemy import select\nimport adapters.storage\n")
    assert {"sqlalchemy", "adapters"} <= imported_roots(bad)
