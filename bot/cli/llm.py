"""`setget-bot llm set|show|test`: the model that answers a workspace, and a live check of it."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli import render
from bot.cli.arguments import Json, WorkspaceName
from bot.cli.runner import checked, run
from core.assistant.llm_settings import PROVIDERS, WorkspaceLLM
from core.errors import InvalidInput, NotAllowed
from core.workspaces import Workspace

if TYPE_CHECKING:
    from adapters.llm.factory import LLMConfig
    from bot.app import App

app = typer.Typer(
    help="The model that answers a workspace: its own (self-hosted), the deployment's, or "
    "the offline demo model.",
    no_args_is_help=True,
)

PING = "Reply with the word pong."
PING_MAX_TOKENS = 16
KEY_TAIL = 4  # characters of a key shown, and only for keys long enough to keep the rest hidden
MIN_KEY_FOR_TAIL = 12
DEPLOYMENT_MODEL = "set SETGET_LLM_PROVIDER, SETGET_LLM_MODEL and SETGET_LLM_API_KEY"


def masked(api_key: str | None) -> str:
    """A key as a person may see it: `***…cdef` for a long key, `***` for a short one."""
    if not api_key:
        return "none"
    return f"***…{api_key[-KEY_TAIL:]}" if len(api_key) >= MIN_KEY_FOR_TAIL else "***"


@contextmanager
def _quiet_retries() -> Iterator[None]:
    """The verdict is the one line a person reads; retry warnings would only repeat it."""
    retry_log = logging.getLogger("adapters.llm.retry")
    level = retry_log.level
    retry_log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        retry_log.setLevel(level)


def _read_key() -> str:
    key = sys.stdin.read().strip()
    if not key:
        raise InvalidInput("--api-key-stdin: no API key arrived on stdin")
    return key


async def _self_hosted(a: App, name: str) -> Workspace:
    workspace = await a.admin.get(name)
    if workspace.metered:
        raise NotAllowed(
            f"workspace {name!r} is a cloud workspace: the deployment's model serves cloud "
            f"workspaces ({DEPLOYMENT_MODEL}); `llm set` is for self-hosted workspaces"
        )
    return workspace


@app.command("set")
def set_(
    name: WorkspaceName,
    *,
    provider: Annotated[str, typer.Option("--provider", help=" | ".join(PROVIDERS))],
    model: Annotated[str, typer.Option("--model", help="Model name (not needed for azure).")] = "",
    base_url: Annotated[str | None, typer.Option("--base-url", help="Server URL.")] = None,
    azure_deployment: Annotated[
        str | None, typer.Option("--azure-deployment", help="Azure OpenAI: the deployment.")
    ] = None,
    api_version: Annotated[
        str | None, typer.Option("--api-version", help="Azure OpenAI: the API version.")
    ] = None,
    api_key_stdin: Annotated[
        bool, typer.Option("--api-key-stdin", help="Read the API key from stdin.")
    ] = False,
) -> None:
    """Set a self-hosted workspace's own model; the API key is stored encrypted."""
    key = checked(lambda: _read_key() if api_key_stdin else None)
    own = WorkspaceLLM(
        provider=provider.strip().lower(),
        model=model,
        base_url=base_url,
        azure_deployment=azure_deployment,
        api_version=api_version,
        api_key=key,
    )
    from adapters.llm.factory import config_for

    config = checked(lambda: config_for(own))

    async def action(a: App) -> None:
        from bot.conversation import llm_settings_store

        workspace = await _self_hosted(a, name)
        await llm_settings_store(a).save(workspace.id, own)
        print(f"{name!r} now answers with {config.label}; API key {masked(key)}")

    run(action)


def _answering(a: App, workspace: Workspace, own: WorkspaceLLM | None) -> dict[str, Any]:
    from adapters.offline import OfflineModel
    from bot.conversation import deployment_llm, workspace_llm

    if own is not None:
        config: LLMConfig | None = workspace_llm(own, a.settings)
        source = "workspace"
    else:
        config = deployment_llm(a.settings)
        source = "deployment" if config else "offline"
    return {
        "workspace": workspace.name,
        "mode": workspace.mode.value,
        "answers": source,
        "label": config.label if config else OfflineModel().label,
        "provider": config.provider if config else None,
        "model": (config.model or None) if config else None,
        "base_url": config.base_url if config else None,
        "azure_deployment": config.azure_deployment if config else None,
        "api_version": config.api_version if config else None,
        "api_key": masked(config.api_key if config else None),
    }


WHO = {
    "workspace": "the workspace's own model",
    "deployment": "the deployment's model (SETGET_LLM_*)",
    "offline": "the offline demo model (no LLM is configured)",
}


@app.command("show")
def show(name: WorkspaceName, json: Json = False) -> None:
    """Which model answers the workspace, and its settings (the key masked)."""

    async def action(a: App) -> None:
        from bot.conversation import llm_settings_store

        workspace = await a.admin.get(name)
        own = None if workspace.metered else await llm_settings_store(a).load(workspace.id)
        data = _answering(a, workspace, own)
        if json:
            render.emit_json(data)
            return
        print(f"{workspace.name} ({data['mode']}) is answered by {WHO[data['answers']]}")
        for field in ("provider", "model", "base_url", "azure_deployment", "api_version"):
            if data[field] is not None:
                print(f"  {field.replace('_', ' ')}: {data[field]}")
        if data["answers"] != "offline":
            print(f"  api key: {data['api_key']}")

    run(action)


def _how_to_configure(workspace: Workspace) -> str:
    """What configures a model for this workspace: the deployment's settings serve cloud
    workspaces (`llm set` refuses them), a self-hosted one may also have its own."""
    if workspace.metered:
        return f"cloud workspaces use the deployment's model: {DEPLOYMENT_MODEL}"
    return (
        f"give it its own with `setget-bot llm set {workspace.name} --provider ...`, "
        f"or {DEPLOYMENT_MODEL} for the deployment's"
    )


@app.command("test")
def test(name: WorkspaceName) -> None:
    """Send one tiny message to the model that answers the workspace and report the result."""

    async def action(a: App) -> None:
        from adapters.offline import OfflineModel
        from bot.conversation import chat_model_for
        from core.llm import ChatMessage, Speaker

        workspace = await a.admin.get(name)
        model = await chat_model_for(a, workspace)
        if isinstance(model, OfflineModel):
            print(
                f"no LLM is configured for {name!r}: the offline demo model answers "
                f"({_how_to_configure(workspace)})"
            )
            return
        try:
            with _quiet_retries():
                started = time.perf_counter()
                reply = await model.complete(
                    [ChatMessage(Speaker.USER, PING)], max_output_tokens=PING_MAX_TOKENS
                )
                elapsed = round((time.perf_counter() - started) * 1000)
        finally:
            close = getattr(model, "aclose", None)
            if close is not None:
                await close()
        usage = reply.usage
        counted = ", estimated" if usage.estimated else ""
        print(
            f"ok: {model.label} answered in {elapsed} ms "
            f"({usage.input_tokens} input / {usage.output_tokens} output tokens{counted})"
        )

    run(action)
