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


PLATFORMS = ("slack", "discord", "console")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def imported_roots(path: Path) -> set[str]:
    return {name.split(".")[0] for name in imported_modules(path)}


def adapter_packages(path: Path) -> set[str]:
    """The `adapters.X` packages `path` imports (X: slack, storage, llm, ...)."""
    return {
        name.split(".")[1]
        for name in imported_modules(path)
        if name.startswith("adapters.") and name.count(".") >= 1
    }


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("path", modules("core"), ids=lambda p: str(p.relative_to(ROOT)))
def test_core_imports_only_the_standard_library_and_core(path: Path) -> None:
    bad = imported_roots(path) & (OUTSIDE_WORLD | {"adapters", "bot"})
    assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


@pytest.mark.parametrize("path", modules("adapters"), ids=lambda p: str(p.relative_to(ROOT)))
def test_adapters_never_import_the_wiring(path: Path) -> None:
    assert "bot" not in imported_roots(path)


PLATFORM_MODULES = [p for name in PLATFORMS for p in modules(f"adapters/{name}")]


@pytest.mark.parametrize("path", PLATFORM_MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_platform_adapter_only_translates(path: Path) -> None:
    """Slack, Discord and the console reach storage, the LLM and each other only through the
    chat layer's ports: they import no other adapter package (but the health endpoints every
    HTTP server answers, `adapters/health.py`, which knows no platform and no store)."""
    own = path.relative_to(ROOT / "adapters").parts[0]
    others = adapter_packages(path) - {own, "health"}
    assert not others, f"{path.relative_to(ROOT)} imports adapters.{sorted(others)}"


def test_the_rules_catch_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from sqlalchemy import select\nimport adapters.storage\n")
    assert {"sqlalchemy", "adapters"} <= imported_roots(bad)
    assert adapter_packages(bad) == {"storage"}
