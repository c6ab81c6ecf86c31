"""What an assistant panel offers as a conversation opens: a short greeting and prompts this
workspace can really ask (the product page's examples, filled with the workspace's own
projects and sprints), and a conversation's title from its first question."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from core.channels import Channels
from core.chat.people import People
from core.chat.replies import Reply
from core.chat.wording import not_linked
from core.clock import Clock
from core.work.model import Project, Sprint
from core.work.ports import WorkItemStore
from core.workspaces import Platform

MAX_PROMPTS = 4  # Slack shows up to four suggested prompts
TITLE_LIMIT = 60  # characters of a conversation's title


@dataclass(frozen=True)
class Prompt:
    title: str  # the short label on the button
    message: str  # what is sent as the person's question when they pick it


@dataclass(frozen=True)
class Welcome:
    greeting: Reply
    prompts: tuple[Prompt, ...]


def suggested_prompts(
    projects: Sequence[Project], sprints: Sequence[Sprint], *, today: date, project: str | None
) -> tuple[Prompt, ...]:
    """Up to four questions about `project` (else the first project), its sprints by name."""
    keys = sorted(p.key for p in projects)
    key = project if project in keys else (keys[0] if keys else None)
    if key is None:
        return (
            Prompt("Open items", "How many open items are there?"),
            Prompt("My high-priority bugs", "List all high-priority bugs assigned to me"),
        )
    own = sorted((s for s in sprints if s.project == key), key=lambda s: s.start)
    current = next((s for s in own if s.start <= today <= s.end), None)
    finished = [s for s in own if s.end < today]
    prompts = [Prompt(f"Open items in {key}", f"How many open items are in the {key} project?")]
    if current is not None:
        prompts.append(
            Prompt(
                f"{current.name} progress",
                f"Summarize {current.name} progress with completion breakdown",
            )
        )
    prompts.append(Prompt("My high-priority bugs", "List all high-priority bugs assigned to me"))
    if len(finished) >= 2:
        last = min(4, len(finished))
        prompts.append(
            Prompt("Velocity", f"Compare velocity across the last {last} sprints in {key}")
        )
    if finished:
        prompts.append(
            Prompt(
                f"{finished[-1].name} retrospective",
                f"Write a detailed sprint retrospective for {finished[-1].name} in {key}",
            )
        )
    return tuple(prompts[:MAX_PROMPTS])


def greeting(
    name: str, projects: Sequence[Project], *, metered: bool, project: str | None
) -> Reply:
    keys = ", ".join(sorted(p.key for p in projects)) or "no projects yet"
    scope = (
        f"Here I answer about **{project}**, the project of the channel you are viewing."
        if project
        else f"I answer from {name}'s projects ({keys})."
    )
    cost = (
        " Each question uses the workspace's AI credits; every answer says how many."
        if metered
        else ""
    )
    return Reply(f"Hi! Ask me about work items, sprints and progress. {scope}{cost}")


def thread_title(question: str) -> str:
    """The conversation's title: its first question on one line, shortened."""
    line = " ".join(question.split())
    if len(line) <= TITLE_LIMIT:
        return line or "New conversation"
    return line[: TITLE_LIMIT - 1].rstrip() + "…"


class Suggestions:
    """The welcome of a conversation that opens on `team`, viewing channel `viewing`."""

    def __init__(
        self, *, people: People, channels: Channels, work: WorkItemStore, clock: Clock
    ) -> None:
        self._people = people
        self._channels = channels
        self._work = work
        self._clock = clock

    async def welcome(self, platform: Platform, team: str, *, viewing: str | None) -> Welcome:
        workspace = await self._people.workspace(platform, team)
        if workspace is None:
            return Welcome(not_linked(platform, team), ())
        project = await self._channels.team_project(platform, team, viewing) if viewing else None
        projects = await self._work.projects(workspace.id)
        sprints = await self._work.sprints(workspace.id)
        today = self._clock.now().date()
        return Welcome(
            greeting(workspace.name, projects, metered=workspace.metered, project=project),
            suggested_prompts(projects, sprints, today=today, project=project),
        )
