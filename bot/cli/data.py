"""`setget-bot data import|export`: a workspace's projects, sprints and work items as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bot.cli.arguments import WorkspaceName
from bot.cli.runner import checked, fail, run
from core.errors import InvalidInput
from core.work.dataset import Json, dataset_to_json, parse_dataset

if TYPE_CHECKING:
    from bot.app import App

app = typer.Typer(
    help="Work-item data the AI answers from: projects, sprints and work items as JSON.",
    no_args_is_help=True,
)


def _read_json(path: Path) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"{path} is not UTF-8 text") from None
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None


@app.command("import")
def import_(
    name: WorkspaceName,
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE.json",
            help="Projects, sprints and work items, in the `data export` format.",
            show_default=False,
        ),
    ],
) -> None:
    """Replace the workspace's projects, sprints and work items with those in FILE.

    The file is checked first: a bad record is named and nothing is changed.
    """
    content = checked(lambda: _read_json(file))

    async def action(a: App) -> None:
        dataset = parse_dataset(content, now=a.clock.now())
        workspace = await a.admin.get(name)
        await a.work_items.replace_all(workspace.id, dataset)
        print(
            f"imported into {name!r}: {len(dataset.projects)} projects, "
            f"{len(dataset.sprints)} sprints, {len(dataset.items)} work items"
        )

    run(action)


@app.command("export")
def export(
    name: WorkspaceName,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout.")
    ] = None,
) -> None:
    """Print the workspace's data in the `data import` format."""

    async def action(a: App) -> Json:
        workspace = await a.admin.get(name)
        return dataset_to_json(await a.work_items.export(workspace.id))

    data = run(action)
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        print(text, end="")
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    print(
        f"exported {name!r} to {output}: {len(data['projects'])} projects, "
        f"{len(data['sprints'])} sprints, {len(data['items'])} work items"
    )
