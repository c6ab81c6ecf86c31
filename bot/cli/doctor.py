"""`setget-bot doctor`: is this deployment ready? Each check a verdict and what to do.

Light to import: settings, the database, HTTP clients and LLM SDKs load when it runs.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bot.cli import render
from bot.cli.arguments import Json
from core.errors import SetGetError

if TYPE_CHECKING:
    from adapters.storage.database import Database
    from bot.settings import Settings

SLACK_API = "https://slack.com/api/"
DISCORD_API = "https://discord.com/api/v10"
HTTP_TIMEOUT_SECONDS = 10.0


class Verdict(enum.StrEnum):
    OK = "ok"
    WARNING = "warning"
    PROBLEM = "problem"


@dataclass(frozen=True)
class Finding:
    check: str
    verdict: Verdict
    detail: str
    fix: str = ""  # what to do, for a warning or a problem


def doctor(
    online: Annotated[
        bool,
        typer.Option(
            "--online", help="Also call Slack, Discord and the LLM to check tokens and keys."
        ),
    ] = False,
    json: Json = False,
) -> None:
    """Check settings, the database and its schema, Slack and Discord tokens, the LLM and
    the secret key; exit 1 if any check finds a problem."""
    import asyncio  # here, not at import: `--help` stays light

    findings = asyncio.run(_examine(online=online))
    if json:
        render.emit_json(
            {
                "ok": not any(f.verdict is Verdict.PROBLEM for f in findings),
                "checks": [
                    {"check": f.check, "verdict": f.verdict.value, "detail": f.detail, "fix": f.fix}
                    for f in findings
                ],
            }
        )
    else:
        for f in findings:
            fix = f" -> {f.fix}" if f.fix else ""
            print(f"{f.verdict.value:<8} {f.check}: {f.detail}{fix}")
    if any(f.verdict is Verdict.PROBLEM for f in findings):
        raise typer.Exit(1)


async def _examine(*, online: bool) -> list[Finding]:
    from bot.settings import load_settings

    try:
        settings = load_settings()
    except SetGetError as exc:
        return [Finding("settings", Verdict.PROBLEM, str(exc), "fix it in the environment or .env")]
    findings = [Finding("settings", Verdict.OK, f"loaded (mode {settings.mode.value})")]
    db_findings, stored_keys = await _database(settings)
    findings += db_findings
    findings.append(await _slack(settings, online=online))
    findings.append(await _discord(settings, online=online))
    findings.append(await _llm(settings, online=online))
    findings.append(_secret_key(settings, stored_keys))
    return findings


async def _database(settings: Settings) -> tuple[list[Finding], int | None]:
    """The database's findings, and how many workspaces store an API key (None: unknown)."""
    from adapters.storage.database import describe_database, open_database, refuse_missing_file
    from adapters.storage.schema import SCHEMA_HEAD, check_schema

    where = describe_database(settings.database_url)
    try:
        refuse_missing_file(settings.database_url)
        db = open_database(settings.database_url, pool_size=1, create=False)
    except SetGetError as exc:
        return [Finding("database", Verdict.PROBLEM, str(exc), "run `setget-bot db upgrade`")], None
    try:
        if not await db.ping():
            fix = "start the database server, or fix SETGET_DATABASE_URL"
            return [Finding("database", Verdict.PROBLEM, f"{where} does not answer", fix)], None
        found = [Finding("database", Verdict.OK, f"{where} answers")]
        try:
            await check_schema(db)
        except SetGetError as exc:
            found.append(
                Finding("schema", Verdict.PROBLEM, str(exc), "run `setget-bot db upgrade`")
            )
            return found, None
        found.append(Finding("schema", Verdict.OK, f"at revision {SCHEMA_HEAD}"))
        return found, await _stored_keys(db)
    finally:
        await db.dispose()


async def _stored_keys(db: Database) -> int:
    from sqlalchemy import func, select

    from adapters.storage.tables import workspace_llm

    async with db.read() as conn:
        count = await conn.scalar(
            select(func.count())
            .select_from(workspace_llm)
            .where(workspace_llm.c.api_key_encrypted.is_not(None))
        )
    return int(count or 0)


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None


async def _slack(settings: Settings, *, online: bool) -> Finding:
    if settings.slack_client_id and _secret(settings.slack_client_secret):
        return _slack_oauth(settings, signing_secret=_secret(settings.slack_signing_secret))
    return await _slack_token(settings, online=online)


async def _slack_token(settings: Settings, *, online: bool) -> Finding:
    """One workspace's install: its bot token, checked with `auth.test` when online."""
    token, secret = _secret(settings.slack_bot_token), _secret(settings.slack_signing_secret)
    if not token and not secret:
        fix = "set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to serve Slack"
        return Finding("slack", Verdict.WARNING, "not configured", fix)
    missing = [
        n for n, v in (("SLACK_BOT_TOKEN", token), ("SLACK_SIGNING_SECRET", secret)) if not v
    ]
    if missing:
        fix = f"set {' and '.join(missing)} (from the Slack app's settings)"
        return Finding("slack", Verdict.PROBLEM, f"{', '.join(missing)} missing", fix)
    if not online:
        return Finding("slack", Verdict.OK, "bot token and signing secret set (not checked online)")
    base = settings.slack_api_url or SLACK_API
    url = base.rstrip("/") + "/auth.test"
    try:
        answer = await _http("POST", url, {"Authorization": f"Bearer {token}"})
    except _Unreachable as exc:
        return Finding(
            "slack", Verdict.PROBLEM, f"cannot reach {base}: {exc}", "check SLACK_API_URL"
        )
    if not answer.get("ok"):
        fix = "reinstall the app or copy its Bot User OAuth Token into SLACK_BOT_TOKEN"
        return Finding("slack", Verdict.PROBLEM, f"auth.test refused: {answer.get('error')}", fix)
    return Finding("slack", Verdict.OK, f"token works for team {answer.get('team')!r}")


def _slack_oauth(settings: Settings, *, signing_secret: str | None) -> Finding:
    """Distribution over OAuth: installs come with their own tokens, sealed at rest."""
    if not _secret(settings.secret_key):
        fix = "set SETGET_SECRET_KEY (installed tokens are stored sealed with it)"
        return Finding("slack", Verdict.PROBLEM, "OAuth installs need SETGET_SECRET_KEY", fix)
    if not signing_secret:
        fix = "set SLACK_SIGNING_SECRET (from the Slack app's settings)"
        return Finding("slack", Verdict.PROBLEM, "SLACK_SIGNING_SECRET missing", fix)
    return Finding("slack", Verdict.OK, "OAuth client, signing secret and secret key set")


async def _discord(settings: Settings, *, online: bool) -> Finding:
    token = _secret(settings.discord_bot_token)
    if not token:
        return Finding(
            "discord", Verdict.WARNING, "not configured", "set DISCORD_BOT_TOKEN to serve Discord"
        )
    if not online:
        return Finding("discord", Verdict.OK, "bot token set (not checked online)")
    base = settings.discord_api_url or DISCORD_API
    try:
        answer = await _http(
            "GET", base.rstrip("/") + "/users/@me", {"Authorization": f"Bot {token}"}
        )
    except _Unreachable as exc:
        return Finding(
            "discord", Verdict.PROBLEM, f"cannot reach {base}: {exc}", "check DISCORD_API_URL"
        )
    if "id" not in answer:
        fix = "reset the bot token in the Discord developer portal and set DISCORD_BOT_TOKEN"
        return Finding(
            "discord", Verdict.PROBLEM, f"the token was refused: {answer.get('message')}", fix
        )
    return Finding("discord", Verdict.OK, f"token works for bot {answer.get('username')!r}")


class _Unreachable(Exception):
    pass


async def _http(method: str, url: str, headers: dict[str, str]) -> dict[str, Any]:
    """The JSON an API answers (also with an error status); `_Unreachable` without one."""
    import aiohttp

    timeout = aiohttp.ClientTimeout(total=HTTP_TIMEOUT_SECONDS)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.request(method, url, headers=headers) as response,
        ):
            data = await response.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        raise _Unreachable(type(exc).__name__) from None
    return data if isinstance(data, dict) else {}


async def _llm(settings: Settings, *, online: bool) -> Finding:
    from bot.conversation import deployment_llm

    try:
        config = deployment_llm(settings)
    except SetGetError as exc:
        return Finding("llm", Verdict.PROBLEM, str(exc), "fix the SETGET_LLM_* settings")
    if config is None:
        fix = "set SETGET_LLM_PROVIDER, SETGET_LLM_MODEL and SETGET_LLM_API_KEY for real answers"
        return Finding(
            "llm", Verdict.WARNING, "none configured: the offline demo model answers", fix
        )
    if not online:
        return Finding("llm", Verdict.OK, f"{settings.llm_provider} configured (not called)")
    from adapters.llm.factory import build_chat_model
    from bot.cli.llm import PING, PING_MAX_TOKENS
    from core.llm import ChatMessage, Speaker

    model = build_chat_model(config)
    try:
        reply = await model.complete(
            [ChatMessage(Speaker.USER, PING)], max_output_tokens=PING_MAX_TOKENS
        )
    except Exception as exc:  # whatever the provider's SDK raises, the verdict is one line
        fix = "check SETGET_LLM_BASE_URL, SETGET_LLM_API_KEY and SETGET_LLM_MODEL"
        reason = str(exc) if isinstance(exc, SetGetError) else type(exc).__name__
        return Finding("llm", Verdict.PROBLEM, f"{model.label} failed: {reason}", fix)
    finally:
        close = getattr(model, "aclose", None)
        if close is not None:
            await close()
    return Finding(
        "llm", Verdict.OK, f"{model.label} answered ({reply.usage.output_tokens} output tokens)"
    )


def _secret_key(settings: Settings, stored_keys: int | None) -> Finding:
    from adapters.secrets import SecretBox

    key = _secret(settings.secret_key)
    if key:
        try:
            SecretBox(key)
        except SetGetError as exc:
            return Finding(
                "secret key", Verdict.PROBLEM, str(exc), "set a longer SETGET_SECRET_KEY"
            )
        return Finding("secret key", Verdict.OK, "SETGET_SECRET_KEY set")
    if stored_keys:
        fix = "set SETGET_SECRET_KEY to the key those API keys were stored with"
        detail = f"not set, but {stored_keys} workspace(s) store an encrypted API key"
        return Finding("secret key", Verdict.PROBLEM, detail, fix)
    if stored_keys is None:  # the database could not be read: say what is known
        fix = "set SETGET_SECRET_KEY before a self-hosted workspace stores its own API key"
        return Finding("secret key", Verdict.WARNING, "not set (stored keys not checked)", fix)
    return Finding("secret key", Verdict.OK, "not set; no workspace stores an API key")
