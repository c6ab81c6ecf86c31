"""Deployment settings, read once from the environment or `.env` and validated."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.paths import default_database_url
from core.credits.pool import CreditPolicy
from core.credits.pricing import PricingRule
from core.errors import InvalidInput, SetGetError
from core.plans import Plan
from core.workspaces import Mode


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


class BadSettings(SetGetError):
    """A setting in the environment or `.env` has a bad value."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SETGET_", env_file=".env", extra="ignore", frozen=True
    )

    # By default one SQLite file in the user data folder, whatever the current folder.
    database_url: str = Field(default_factory=default_database_url)
    database_pool_size: int = Field(default=10, ge=1, le=200)
    mode: Mode = Mode.CLOUD  # the default for new workspaces

    llm_provider: str | None = None
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_model: str | None = None
    llm_azure_deployment: str | None = None
    llm_api_version: str | None = None
    llm_timeout_seconds: float = Field(default=60, gt=0)
    secret_key: SecretStr | None = None

    rate_limit_free: int = Field(default=10, ge=1)  # AI requests per minute per workspace
    rate_limit_pro: int = Field(default=30, ge=1)
    rate_limit_business: int = Field(default=120, ge=1)
    rate_limit_enterprise: int = Field(default=120, ge=1)
    # the share of those one member may take, so one member's flood leaves room for the rest
    rate_limit_member_share: float = Field(default=0.5, gt=0, le=1)
    llm_concurrency: int = Field(default=32, ge=1)  # LLM calls in flight per process
    action_ttl_seconds: float = Field(default=3600, gt=0)  # how long a proposal can be confirmed
    history_budget_tokens: int = Field(default=3000, ge=0)  # earlier turns the model sees
    tool_budget_tokens: int = Field(default=1500, ge=200)  # one tool result
    # Milliseconds between the words of an offline answer streamed to a terminal (0: at once).
    offline_pace_ms: float = Field(default=8, ge=0, le=1000)

    pricing_input_weight: int = Field(default=1, ge=0)
    pricing_output_weight: int = Field(default=4, ge=0)
    pricing_divisor: int = Field(default=4000, ge=1)
    pricing_min_credits: int = Field(default=1, ge=1)
    pricing_max_credits: int = Field(default=6, ge=1)
    hold_ttl_seconds: float = Field(default=300, gt=0)
    hold_wait_seconds: float = Field(default=10, ge=0)
    alert_poll_seconds: float = Field(default=15, gt=0)  # how often due alerts are sent

    # Operations of a serving process (`serve slack|discord`).
    log_format: Literal["human", "json"] = "human"  # json: one object a line, request ids
    log_level: Literal["debug", "info", "warning", "error"] = "warning"
    # /healthz, /readyz and /metrics on their own port (Discord, Slack Socket Mode); unset: off
    health_port: int | None = Field(default=None, ge=1, le=65535)
    health_host: str = "0.0.0.0"
    # On SIGTERM: how long answers in flight may take to finish before they are cancelled.
    shutdown_grace_seconds: float = Field(default=20, ge=0, le=3600)

    slack_bot_token: SecretStr | None = Field(
        default=None, validation_alias=_env("SLACK_BOT_TOKEN")
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias=_env("SLACK_SIGNING_SECRET")
    )
    slack_app_token: SecretStr | None = Field(
        default=None, validation_alias=_env("SLACK_APP_TOKEN")
    )
    slack_api_url: str | None = Field(default=None, validation_alias=_env("SLACK_API_URL"))
    slack_client_id: str | None = Field(default=None, validation_alias=_env("SLACK_CLIENT_ID"))
    slack_client_secret: SecretStr | None = Field(
        default=None, validation_alias=_env("SLACK_CLIENT_SECRET")
    )
    # How often a streamed answer edits its Slack message (Slack allows about one a second).
    slack_stream_interval: float = Field(default=1.0, ge=0)
    # Slack's own text streaming (chat.startStream) where Slack allows it; a team that refuses
    # it streams by edits for this many seconds before it is tried again.
    slack_native_streaming: bool = True
    slack_stream_refusal_seconds: float = Field(default=3600, ge=0)
    slack_admin_cache_seconds: float = Field(default=600, ge=0)  # users.info admin flags
    discord_bot_token: SecretStr | None = Field(
        default=None, validation_alias=_env("DISCORD_BOT_TOKEN")
    )
    discord_api_url: str | None = Field(default=None, validation_alias=_env("DISCORD_API_URL"))
    discord_gateway_url: str | None = Field(
        default=None, validation_alias=_env("DISCORD_GATEWAY_URL")
    )
    discord_shards: str | None = None  # SETGET_DISCORD_SHARDS: `auto` or a number of shards
    # SETGET_DISCORD_SHARD_IDS: the shards this process runs ("0,1"), of SETGET_DISCORD_SHARDS
    discord_shard_ids: str | None = None
    # How often a streamed answer edits its Discord message (Discord allows about 5 in 5 s).
    discord_stream_interval: float = Field(default=1.0, ge=0)

    @model_validator(mode="after")
    def _pricing_bounds(self) -> Settings:
        if self.pricing_min_credits > self.pricing_max_credits:
            raise ValueError(
                "SETGET_PRICING_MIN_CREDITS must not exceed SETGET_PRICING_MAX_CREDITS"
            )
        return self

    def pricing(self) -> PricingRule:
        return PricingRule(
            input_weight=self.pricing_input_weight,
            output_weight=self.pricing_output_weight,
            divisor=self.pricing_divisor,
            minimum=self.pricing_min_credits,
            maximum=self.pricing_max_credits,
        )

    def rate_limits(self) -> dict[Plan, int]:
        return {
            Plan.FREE: self.rate_limit_free,
            Plan.PRO: self.rate_limit_pro,
            Plan.BUSINESS: self.rate_limit_business,
            Plan.ENTERPRISE: self.rate_limit_enterprise,
        }

    def credit_policy(self) -> CreditPolicy:
        return CreditPolicy(
            hold_ttl=timedelta(seconds=self.hold_ttl_seconds),
            wait_for_holds=timedelta(seconds=self.hold_wait_seconds),
        )


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment; a bad value becomes one clear line, not a traceback."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        name = f"SETGET_{where.upper()}" if where != "settings" else where
        raise BadSettings(f"bad setting {name}: {first['msg']}") from None
    except InvalidInput as exc:
        raise BadSettings(str(exc)) from None
