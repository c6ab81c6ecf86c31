"""A realistic demo tracker (two projects, four sprints, ~70 items), the same on every run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from core.work.model import Dataset, ItemState, ItemType, Priority, Project, Sprint, WorkItem

DEMO_ADMIN = "alice"
DEMO_MEMBERS = ("alice", "bob", "carol", "dave")
DEMO_SPRINTS = (9, 10, 11, 12)  # Sprint 12 is the one running `today`
SPRINT_DAYS = 14

# "sprint state type priority assignee estimate labels | title" in id order; "-" for none.

_WEB: tuple[str, ...] = (
    "9 done feature medium bob 5 frontend | Redesign the pricing page hero",
    "9 done bug high alice 2 frontend,auth | Login form loses the email after a failed attempt",
    "9 done task low carol 1 docs | Document the website release checklist",
    "9 done feature medium dave 3 frontend,perf | Lazy-load images on the blog index",
    "9 done bug medium bob 2 frontend | Footer links overlap on small screens",
    "9 cancelled feature low - 3 frontend | Animated mascot on the 404 page",
    "9 done task medium alice 3 backend | Queue contact form submissions",
    "10 done feature high alice 8 frontend,auth | Sign in with Google on the website",
    "10 done bug urgent alice 3 auth,backend | Password reset links expire immediately",
    "10 done feature medium carol 5 frontend | Customer logos carousel on the home page",
    "10 done task low dave 2 perf | Enable Brotli compression on the CDN",
    "10 done bug medium bob 2 frontend | Cookie banner reappears after accepting",
    "10 done feature medium carol 3 frontend,docs | Changelog page built from release notes",
    "10 done bug low dave 1 frontend | Typo in the enterprise plan comparison table",
    "11 done feature high bob 5 frontend | New signup flow with plan selection",
    "11 done bug high alice 3 frontend,perf | Home page layout shifts when fonts load",
    "11 done task medium carol 2 docs | Style guide for blog authors",
    "11 cancelled task low dave 2 backend | Move site search to a hosted service",
    "11 done feature medium dave 8 frontend,seo | Structured data for blog posts",
    "11 done bug medium bob 1 frontend,docs | Broken anchor links in the docs sidebar",
    "12 done feature high carol 5 frontend | Dark mode for the marketing site",
    "12 done bug medium bob 2 frontend | Newsletter signup shows success on error",
    "12 in_progress bug urgent alice 3 auth,frontend | Session expires during the signup form",
    "12 in_progress bug high alice 2 frontend | Checkout page crashes on Safari 17",
    "12 in_progress feature medium bob 8 frontend,backend | Team invitations from the dashboard",
    "12 todo bug high alice 3 perf | Pricing page takes 6 seconds to load on mobile",
    "12 todo task medium dave 2 seo | Canonical URLs for localized pages",
    "12 todo feature medium carol 5 frontend | Case studies section on the home page",
    "12 in_progress task low dave 1 docs | Update screenshots in the getting started guide",
    "12 todo bug medium - 2 frontend,a11y | Mobile menu cannot be closed with the keyboard",
    "- backlog feature low - 8 frontend | Interactive product tour",
    "- backlog bug low bob 1 frontend | Favicon missing on the status page",
    "- backlog task medium - 3 perf | Synthetic monitoring for the key pages",
    "- backlog feature medium carol 5 frontend,docs | Search across the docs and the blog",
    "- todo bug high alice 2 auth | Remember-me checkbox has no effect",
    "- backlog feature none - - design | Refresh the illustrations on the about page",
    "- backlog task low dave 2 docs | Archive outdated blog posts",
)

_API: tuple[str, ...] = (
    "9 done feature high carol 8 backend,auth | API keys scoped per project",
    "9 done bug medium dave 2 backend | Pagination cursor skips items on ties",
    "9 done task medium bob 3 docs | OpenAPI spec for the work item endpoints",
    "9 done bug high carol 3 backend,perf | List endpoint times out above 10k items",
    "9 done task low dave 1 backend | Remove the deprecated v0 ping endpoint",
    "10 done feature high bob 5 backend | Webhooks for work item changes",
    "10 done bug urgent carol 2 backend,auth | Revoked tokens still accepted for an hour",
    "10 done task medium dave 3 backend,perf | Indexes for the cycle queries",
    "10 cancelled feature low - 5 backend | GraphQL endpoint prototype",
    "10 done bug medium bob 1 backend,docs | Wrong status code in rate limit responses",
    "11 done feature high carol 8 backend | Bulk update endpoint for work items",
    "11 done feature medium bob 5 backend | Filter work items by label and assignee",
    "11 done bug high dave 3 backend | Webhook retries send duplicate deliveries",
    "11 done task low bob 2 docs | Examples for the Python and JavaScript SDKs",
    "11 done task medium carol 3 backend,perf | Cache project settings per request",
    "11 done bug medium dave 2 auth | OAuth consent screen shows the wrong app name",
    "11 done feature medium alice 5 backend | Sprint velocity endpoint",
    "12 done bug high carol 2 backend | Rate limiter counts failed requests twice",
    "12 in_progress feature high bob 8 backend,auth | Personal access tokens with expiry",
    "12 in_progress task medium dave 3 backend,perf | Move exports to a background job",
    "12 todo feature medium carol 5 backend | Rotate webhook signing secrets",
    "12 todo bug high dave 2 backend | Timezone offset ignored in due date filters",
    "12 todo task medium bob 2 docs | Document the webhook payload versions",
    "12 todo feature low - 3 backend | Sort work items by custom fields",
    "12 todo bug medium alice 1 backend | Created date missing from the CSV export",
    "12 in_progress bug urgent carol 3 backend,perf | Search endpoint fails on long queries",
    "- backlog feature medium - 8 backend | Public API for comments and reactions",
    "- backlog task low dave 2 docs | Postman collection for the public API",
    "- backlog feature low - 5 backend | Batch create endpoint",
    "- backlog task medium bob 3 backend,perf | Load test the API with 1,000 clients",
    "- todo task medium - 2 docs | API deprecation policy page",
    "- backlog bug low carol 1 backend | Trailing slash redirects drop the query string",
)

_WHY = {
    ItemType.BUG: "Reported by customers of {project}; steps to reproduce are in the first "
    "comment. Expected: it works as documented.",
    ItemType.FEATURE: "Part of the {project} roadmap for this quarter. Acceptance criteria "
    "are agreed with design and product.",
    ItemType.TASK: "Housekeeping for {project}; no user-facing change expected.",
}


@dataclass(frozen=True)
class _Calendar:
    """Sprint dates and the moments things happened, all derived from `today`."""

    today: date

    def sprint(self, project: str, number: int) -> Sprint:
        weeks_back = (DEMO_SPRINTS[-1] - number) * SPRINT_DAYS
        start = self.today - timedelta(days=SPRINT_DAYS // 2 + weeks_back)
        return Sprint(project, f"Sprint {number}", start, start + timedelta(days=SPRINT_DAYS - 1))

    def at(self, day: date, index: int) -> datetime:
        return datetime.combine(day, time(9 + index % 8, (index * 17) % 60), tzinfo=UTC)

    def times(
        self, sprint: Sprint | None, state: ItemState, index: int
    ) -> tuple[datetime, datetime, datetime | None]:
        """(created, updated, completed); done items complete inside their sprint, before today."""
        if sprint is None:
            created = self.today - timedelta(days=10 + (index * 7) % 50)
            return (
                self.at(created, index),
                self.at(created + timedelta(days=index % 7), index),
                None,
            )
        created = self.at(sprint.start - timedelta(days=2 + index % 9), index)
        elapsed = min((sprint.end - sprint.start).days, (self.today - sprint.start).days - 1)
        moved = self.at(sprint.start + timedelta(days=1 + (index * 5) % max(elapsed, 1)), index)
        done = moved if state is ItemState.DONE else None
        return created, moved, done


def demo_dataset(today: date) -> Dataset:
    """Projects WEB and API with Sprints 9-12 (12 current) and their work items."""
    calendar = _Calendar(today)
    projects = (Project("API", "Public API"), Project("WEB", "Website"))
    sprints = {(p.key, n): calendar.sprint(p.key, n) for p in projects for n in DEMO_SPRINTS}
    items = tuple(
        _item(p, number, row, sprints, calendar)
        for p, rows in ((projects[0], _API), (projects[1], _WEB))
        for number, row in enumerate(rows, start=1)
    )
    return Dataset(projects=projects, sprints=tuple(sprints.values()), items=items)


def _item(
    project: Project,
    number: int,
    row: str,
    sprints: dict[tuple[str, int], Sprint],
    calendar: _Calendar,
) -> WorkItem:
    head, title = row.split(" | ")
    sprint_no, state_, type_, priority, assignee, estimate, labels = head.split()
    sprint = None if sprint_no == "-" else sprints[(project.key, int(sprint_no))]
    state, kind = ItemState(state_), ItemType(type_)
    created, updated, completed = calendar.times(sprint, state, number)
    return WorkItem(
        project=project.key,
        number=number,
        title=title,
        description=_WHY[kind].format(project=project.name),
        type=kind,
        state=state,
        priority=Priority(priority),
        assignee=None if assignee == "-" else assignee,
        labels=tuple(labels.split(",")),
        estimate=None if estimate == "-" else int(estimate),
        sprint=None if sprint is None else sprint.name,
        created_at=created,
        updated_at=updated,
        completed_at=completed,
    )
