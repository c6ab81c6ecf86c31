"""Workspaces, their members and the chat teams/guilds linked to them."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date, datetime

from core.choices import Choice
from core.errors import Conflict, InvalidInput
from core.plans import Plan

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


class Mode(Choice):
    CLOUD = "cloud"
    SELF_HOSTED = "self-hosted"


class Role(enum.StrEnum):
    ADMIN = "admin"
    MEMBER = "member"


class Platform(enum.StrEnum):
    SLACK = "slack"
    DISCORD = "discord"
    CONSOLE = "console"


def check_workspace_name(name: str) -> str:
    if not _NAME.match(name):
        raise InvalidInput(
            f"bad workspace name {name!r}: use 1-63 letters, digits, '-', '_' or '.', "
            "starting with a letter or digit"
        )
    return name


def name_taken(name: str, existing: Workspace) -> Conflict:
    """Refusing a name another workspace has, in any case (`Demo` is `demo`)."""
    if existing.name == name:
        return Conflict(f"a workspace named {name!r} already exists")
    return Conflict(
        f"a workspace named {existing.name!r} already exists; workspace names ignore case, "
        f"so {name!r} is the same name"
    )


@dataclass(frozen=True)
class Workspace:
    id: int
    name: str
    plan: Plan
    allocation: int  # monthly credits each new cycle starts with
    anchor: date
    mode: Mode
    created_at: datetime

    @property
    def metered(self) -> bool:
        """Cloud workspaces pay in credits; self-hosted ones only record usage."""
        return self.mode is Mode.CLOUD


@dataclass(frozen=True)
class Member:
    id: int
    workspace_id: int
    platform: Platform
    external_id: str
    display_name: str
    role: Role
    monthly_cap: int | None


@dataclass(frozen=True)
class PlatformLink:
    platform: Platform
    external_id: str
    workspace_id: int
