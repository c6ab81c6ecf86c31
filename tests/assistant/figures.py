"""Cross-checks of every figure an offline answer states against the dataset it came from.

Each `check_*` function parses the numbers out of one answer's text and compares each with
the same figure computed here, straight from the dataset (not through the tools), so a
figure that counts only what a bounded list showed, or a running sprint counted as a
finished one, fails.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from core.work.model import Dataset, ItemState, Priority, WorkItem

BULLET = re.compile(r"^• (?P<id>[A-Z][A-Z0-9]{1,9}-\d+) ")
MORE = re.compile(r"^… and (?P<n>\d+) more")
GROUP = re.compile(
    r"^(?P<state>Done|In progress|Todo|Backlog|Cancelled) \("
    r"(?:(?P<n>\d+), (?P<p>\d+) points"  # every item: true totals
    r"|(?P<k>\d+) listed, (?P<kp>\d+) points among them"  # a listing cut short
    r"|(?P<c>\d+); (?P<cp>\d+) points in the (?P<ck>\d+) listed"  # cut short, count known
    r"|(?P<z>\d+), none listed)\):$"
)
STATE_NAMES = {s.value.replace("_", " "): s for s in ItemState}


@dataclass(frozen=True)
class Listed:
    """The items a bounded list showed and how many it said it left out."""

    ids: tuple[str, ...]
    more: int

    @property
    def total(self) -> int:
        return len(self.ids) + self.more


@dataclass(frozen=True)
class Truth:
    """The figures, computed from the dataset itself."""

    dataset: Dataset
    today: date

    def items(self, *, project: str | None = None, sprint: str | None = None) -> list[WorkItem]:
        return [
            i
            for i in self.dataset.items
            if project in (None, i.project) and sprint in (None, i.sprint)
        ]

    def sprint_names(self) -> list[str]:
        """Sprint names, the earliest start first (as the tools order them)."""
        first: dict[str, date] = {}
        for s in sorted(self.dataset.sprints, key=lambda s: s.start):
            first.setdefault(s.name, s.start)
        return list(first)

    def status(self, name: str) -> str:
        sprints = [s for s in self.dataset.sprints if s.name == name]
        if all(s.end < self.today for s in sprints):
            return "finished"
        if all(s.start > self.today for s in sprints):
            return "not started"
        return "in progress"

    def by_key(self) -> dict[str, WorkItem]:
        return {i.key: i for i in self.dataset.items}


def points(items: Iterable[WorkItem]) -> int:
    return sum(i.estimate or 0 for i in items)


def done(items: Iterable[WorkItem]) -> list[WorkItem]:
    return [i for i in items if i.state is ItemState.DONE]


def open_(items: Iterable[WorkItem]) -> list[WorkItem]:
    return [i for i in items if i.state.is_open]


def pairs(text: str) -> dict[str, int]:
    """`in progress 7, todo 9` -> {"in progress": 7, "todo": 9}."""
    if text == "none":
        return {}
    out = {}
    for part in text.split(", "):
        name, _, number = part.rpartition(" ")
        out[name] = int(number)
    return out


def states(items: Iterable[WorkItem]) -> dict[str, int]:
    return dict(Counter(i.state.value.replace("_", " ") for i in items))


def lines_after(text: str, header: str | re.Pattern[str]) -> list[str]:
    """The lines after the first line that is (or matches) `header`."""
    lines = text.splitlines()
    for n, line in enumerate(lines):
        if (line == header) if isinstance(header, str) else re.fullmatch(header, line):
            return lines[n + 1 :]
    raise AssertionError(f"no line {header!r} in:\n{text}")


def listed(lines: Sequence[str]) -> Listed:
    """The bullet lines at the top of `lines`, and the `… and N more` after them."""
    ids: list[str] = []
    for line in lines:
        bullet = BULLET.match(line)
        if bullet:
            ids.append(bullet["id"])
            continue
        more = MORE.match(line)
        return Listed(tuple(ids), int(more["n"]) if more else 0)
    return Listed(tuple(ids), 0)


def one(pattern: str, text: str) -> re.Match[str]:
    found = re.search(pattern, text, re.M)
    assert found is not None, f"{pattern!r} not in:\n{text}"
    return found


def check_groups(lines: Sequence[str], items: Sequence[WorkItem], truth: Truth) -> None:
    """`Done (3, 9 points):` then its items: true totals, and the list says what it left out.

    A group of a listing cut short may instead say `Done (12 listed, 30 points among them):`,
    and then counts exactly what it lists. The groups run until the first line that is
    neither a group header nor one of its lines.
    """
    seen: set[str] = set()
    partial = False
    n = 0
    while n < len(lines) and (group := GROUP.match(lines[n])):
        state = STATE_NAMES[group["state"].lower()]
        mine = [i for i in items if i.state is state]
        shown = listed(lines[n + 1 :])
        assert {truth.by_key()[k] for k in shown.ids} <= set(mine), lines[n]
        listed_points = points(truth.by_key()[k] for k in shown.ids)
        if group["k"]:  # counts only what it lists
            partial = True
            assert (int(group["k"]), shown.more) == (len(shown.ids), 0), lines[n]
            assert int(group["kp"]) == listed_points, lines[n]
        elif group["c"]:
            assert int(group["c"]) == len(mine) == shown.total, (lines[n], len(mine), shown)
            assert (int(group["ck"]), int(group["cp"])) == (len(shown.ids), listed_points)
        elif group["z"]:
            assert int(group["z"]) == len(mine) == shown.more, lines[n]
            assert not shown.ids, lines[n]
        else:
            assert int(group["n"]) == len(mine) == shown.total, (lines[n], len(mine), shown)
            assert int(group["p"]) == points(mine), (lines[n], points(mine))
        seen.add(state.value)
        n += 1 + len(shown.ids) + (1 if shown.more else 0)
    every = {i.state.value for i in items}
    assert seen <= every if partial else seen == every, (seen, lines[:3])


def check_velocity(text: str, truth: Truth, last: int, *, project: str | None = None) -> None:
    """Finished sprints only in the table and the trend; the running one said apart."""
    names = [n for n in truth.sprint_names() if truth.status(n) != "not started"]
    finished = [n for n in names if truth.status(n) == "finished"][-last:]
    rows = re.findall(r"^• (.+?): (\d+) of (\d+) points completed \((\d+) items?\)$", text, re.M)
    assert [r[0] for r in rows] == finished, (rows, finished)
    for name, completed, planned, count in rows:
        items = truth.items(project=project, sprint=name)
        assert (int(completed), int(planned), int(count)) == (
            points(done(items)),
            points(items),
            len(done(items)),
        ), name
    delivered = [points(done(truth.items(project=project, sprint=n))) for n in finished]
    if delivered:
        trend = one(r"the trend is (up|down|flat) from (\d+) to (\d+)", text)
        assert (int(trend[2]), int(trend[3])) == (delivered[0], delivered[-1])
        average = one(r"Average (\d+\.\d) points per finished sprint", text)
        assert float(average[1]) == round(sum(delivered) / len(delivered), 1)
    for name in (n for n in names if truth.status(n) == "in progress"):
        items = truth.items(project=project, sprint=name)
        running = one(
            rf"^{name} is in progress \(ends [\d-]+\): (\d+) points done so far, of (\d+) "
            rf"planned \((\d+) items? done\)",
            text,
        )
        assert [int(g) for g in running.groups()] == [
            points(done(items)),
            points(items),
            len(done(items)),
        ]
    for match in re.finditer(
        r"^(Sprint \S+)( \(in progress\))?: (\d+)% of (\d+) points done(?: so far)?; .*; "
        r"(\d+) items? (left|still) open\.$",
        text,
        re.M,
    ):
        items = truth.items(project=project, sprint=match[1])
        assert bool(match[2]) == (truth.status(match[1]) == "in progress"), match[0]
        assert int(match[4]) == points(items)
        assert int(match[5]) == len(open_(items)), match[0]


def check_sprint_summary(text: str, truth: Truth, sprint: str) -> None:
    items = truth.items(sprint=sprint)
    head = one(
        rf"^{sprint} \(.*?\)(?P<running> is in progress)?.*?: (?P<pct>\d+)% complete by points"
        r"(?: so far)? \((?P<done>\d+) of (?P<points>\d+) points, (?P<items>\d+) items?\)",
        text,
    )
    assert bool(head["running"]) == (truth.status(sprint) == "in progress")
    total, finished = points(items), points(done(items))
    assert int(head["pct"]) == (round(100 * finished / total) if total else 0)
    assert (int(head["done"]), int(head["points"]), int(head["items"])) == (
        finished,
        total,
        len(items),
    )
    assert pairs(one(r"^By state: (.*)\.$", text)[1]) == states(items)
    assert pairs(one(r"^By type: (.*)\.$", text)[1]) == dict(Counter(i.type.value for i in items))
    assert pairs(one(r"^By assignee: (.*)\.$", text)[1]) == dict(
        Counter(i.assignee or "unassigned" for i in items)
    )
    if open_(items):
        head = one(r"^Still open \((\d+)\), most urgent first:(.*)$", text)
        if head[2]:  # by id on the line: "API-26, WEB-23, … and 1 more."
            shown = tuple(re.findall(r"[A-Z][A-Z0-9]{1,9}-\d+", head[2]))
            more = re.search(r"… and (\d+) more\.$", head[2])
            still = Listed(shown, int(more[1]) if more else 0)
        else:
            still = listed(lines_after(text, head[0]))
        assert int(head[1]) == still.total == len(open_(items)), still
        assert {truth.by_key()[k].sprint for k in still.ids} == {sprint}
    lines = text.splitlines()
    first_group = next((n for n, line in enumerate(lines) if GROUP.match(line)), len(lines))
    check_groups(lines[first_group:], items, truth)


def check_count(text: str, truth: Truth, project: str) -> None:
    items = open_(truth.items(project=project))
    found = one(rf"There are (\d+) open work items in {project}\. By state: (.*)\.", text)
    assert int(found[1]) == len(items)
    assert pairs(found[2]) == states(items)


def check_listing(text: str, truth: Truth, wanted: Sequence[WorkItem]) -> None:
    """`N work items match` and the listed items, each one of those wanted."""
    if not wanted:
        assert "No work items match." in text
        return
    head = one(r"^(\d+) work items?(?: in \S+)? match", text)
    assert int(head[1]) == len(wanted)
    shown = listed(lines_after(text, re.compile(re.escape(head[0]) + ".*")))
    assert shown.total == len(wanted), shown
    assert set(shown.ids) <= {i.key for i in wanted}


def high_bugs_of(truth: Truth, who: str) -> list[WorkItem]:
    return [
        i
        for i in open_(truth.items())
        if i.priority is Priority.HIGH and i.type.value == "bug" and i.assignee == who
    ]


def check_retrospective(text: str, truth: Truth, sprint: str) -> None:
    """Every figure a retrospective of `sprint` states; a comparison it may leave out (no
    sprint before, a listing cut short) is checked when it is there."""
    items, number = truth.items(sprint=sprint), int(sprint.rsplit(maxsplit=1)[-1])
    total, finished = points(items), points(done(items))
    percent = round(100 * finished / total) if total else 0
    running = truth.status(sprint) == "in progress"
    assert (f"{sprint} is still in progress (ends " in text) == running
    head = one(
        r"planned (\d+) points across (\d+) items and (has )?completed (\d+) points"
        r"(?: so far)? \((\d+)%\)\. Items by state: (.*)\. Work by type: (.*)\.$",
        text,
    )
    assert [int(head[g]) for g in (1, 2, 4, 5)] == [total, len(items), finished, percent]
    assert bool(head[3]) == running
    assert pairs(head[6]) == states(items)
    assert pairs(head[7]) == dict(Counter(i.type.value for i in items))
    _check_before(text, truth, f"Sprint {number - 1}", finished)
    _check_average(text, truth, sprint, finished)
    well = one(r"^- (\d+) items? reached done \((\d+) points, (\d+)% of the plan\)", text)
    assert [int(g) for g in well.groups()] == [len(done(items)), finished, percent]
    _check_still_open(text, open_(items), running)
    check_groups(lines_after(text, "Every item of the sprint"), items, truth)
    whole = "items listed of" not in text
    if whole:
        _check_listed_work(text, items)
    before = lines_after(text, "Compared with the sprint before")
    if before[0] != "No items in the sprint before to compare with.":
        check_groups(before, truth.items(sprint=f"Sprint {number - 1}"), truth)
    check_velocity(text, truth, 4)
    urgent = [i for i in open_(truth.items()) if i.priority in (Priority.URGENT, Priority.HIGH)]
    assert listed(lines_after(text, "Most urgent open work")).total == len(urgent)
    _check_sprint_after(text, truth, f"Sprint {number + 1}")


def _check_before(text: str, truth: Truth, previous: str, finished: int) -> None:
    against = re.search(
        r"Delivered (\d+) points(?: so far)? against (\d+) in the sprint before \(([+-]\d+)\), "
        r"finishing (\d+) items then",
        text,
    )
    if against is None:
        return
    before = truth.items(sprint=previous)
    assert previous in truth.sprint_names()
    earlier = points(done(before))
    assert [int(g) for g in against.groups()] == [
        finished,
        earlier,
        finished - earlier,
        len(done(before)),
    ]


def _check_average(text: str, truth: Truth, sprint: str, finished: int) -> None:
    names = [n for n in truth.sprint_names() if truth.status(n) == "finished"][-4:]
    versus = re.search(
        r"average over the (\d+) finished sprints? (?:up to this one )?is (\d+\.\d) points"
        r"(, so this sprint was|; so far this sprint is) (\d+\.\d) points (above|below) it",
        text,
    )
    if sprint in names:
        upto = names[: names.index(sprint) + 1]
    elif truth.status(sprint) != "finished":
        upto = names
    else:
        upto = []
    assert (versus is not None) == bool(upto), (versus, upto)
    if versus is not None:
        average = sum(points(done(truth.items(sprint=n))) for n in upto) / len(upto)
        assert (int(versus[1]), float(versus[2])) == (len(upto), round(average, 1))
        assert ("so far" in versus[3]) == (sprint not in names)
        assert float(versus[4]) == round(abs(finished - average), 1)
        assert versus[5] == ("above" if finished >= average else "below")


def _check_still_open(text: str, still: Sequence[WorkItem], running: bool) -> None:
    if not still:
        assert "- Nothing carried over: every item was finished or cancelled." in text
        return
    line = one(
        r"^- (\d+) items? (did not finish and carry over|is still open|are still open): (.*)\.$",
        text,
    )
    assert int(line[1]) == len(still)
    assert ("still open" in line[2]) == running
    shown = re.findall(r"[A-Z][A-Z0-9]{1,9}-\d+", line[3])
    more = re.search(r"… and (\d+) more$", line[3])
    assert len(shown) + (int(more[1]) if more else 0) == len(still)


def _check_listed_work(text: str, items: Sequence[WorkItem]) -> None:
    """What shipped by type and each person's work, exact when every item was listed."""
    for label, kind in (
        ("Bugs fixed", "bug"),
        ("Features shipped", "feature"),
        ("Tasks completed", "task"),
    ):
        mine = [i for i in done(items) if i.type.value == kind]
        line = re.search(rf"^- {label}: (.*) \((\d+) points?\)\.$", text, re.M)
        assert (line is not None) == bool(mine), label
        if line is not None:
            assert set(line[1].split(", ")) == {i.key for i in mine}
            assert int(line[2]) == points(mine)
    people = re.findall(r"^- (\S+): finished (\d+) items? \((\d+) points", text, re.M)
    assert {who for who, _, _ in people} == {i.assignee or "unassigned" for i in items}
    for who, count, pts in people:
        mine = [i for i in done(items) if (i.assignee or "unassigned") == who]
        assert (int(count), int(pts)) == (len(mine), points(mine)), who


def _check_sprint_after(text: str, truth: Truth, following: str) -> None:
    after = re.search(
        rf"^{following} \(.*?\) (is in progress: it )?planned (\d+) points across (\d+) items "
        r"and is (\d+)% done (?:so far )?\((\d+) points\)\. By state: (.*)\.$",
        text,
        re.M,
    )
    if after is None:
        assert "There is no later sprint yet" in text
        return
    items = truth.items(sprint=following)
    total = points(items)
    assert bool(after[1]) == (truth.status(following) == "in progress")
    assert [int(after[g]) for g in (2, 3, 5)] == [total, len(items), points(done(items))]
    assert int(after[4]) == (round(100 * points(done(items)) / total) if total else 0)
    assert pairs(after[6]) == states(items)


def check_bulk(text: str, truth: Truth, project: str) -> None:
    """`Update all Todo items in PROJECT to In Progress`: the proposal and its review.

    Points (and each person's load) are exact when every item was listed, else they must
    be said to cover the listed items and add up over those.
    """
    moving = [i for i in truth.items(project=project) if i.state is ItemState.TODO]
    load = [i for i in truth.items(project=project) if i.state is ItemState.IN_PROGRESS]
    if not moving:
        assert "no work items match; nothing to change" in text
        return
    assert int(one(r"I've proposed: Update (\d+) items?", text)[1]) == len(moving)
    change = one(
        r"^Items it would change \((\d+) items?, (\d+) points?( in the (\d+) listed)?\):$", text
    )
    shown = listed(lines_after(text, change[0]))
    assert int(change[1]) == len(moving) == shown.total
    keys = truth.by_key()
    assert int(change[2]) == points(keys[k] for k in shown.ids)
    assert bool(change[3]) == (shown.more > 0)
    effect = one(
        r"^Effect: the target state goes from (\d+) items? \((\d+) points?( in the \d+ listed)?\) "
        r"to (\d+) items?(?: \((\d+) points?\))?\.$",
        text,
    )
    assert (int(effect[1]), int(effect[4])) == (len(load), len(load) + len(moving))
    # Figures said without "listed" are totals; with it, they cover what was listed.
    whole = not change[3] and not effect[3]
    assert bool(effect[5]) == whole
    if whole:
        assert len(shown.ids) == len(moving)
        assert (int(effect[2]), int(effect[5])) == (points(load), points(load) + points(moving))
    running = [n for n in truth.sprint_names() if truth.status(n) == "in progress"]
    if not running:
        assert "Current sprint" not in text
    else:
        sprint = one(
            r"^Current sprint (.+?) \(.*\): (\d+)% of (\d+) points done(?: so far)?; (\d+) of "
            r"the (\d+)( listed)? items are planned in it\.$",
            text,
        )
        assert sprint[1] in running
        items = truth.items(project=project, sprint=sprint[1])
        total = points(items)
        assert int(sprint[2]) == (round(100 * points(done(items)) / total) if total else 0)
        assert int(sprint[3]) == total
        planned = [k for k in shown.ids if keys[k].sprint == sprint[1]]
        assert (int(sprint[4]), int(sprint[5])) == (len(planned), len(shown.ids))
    people = re.findall(
        r"^- (\S+): has (\d+) \(.*\), would get (\d+) \(.*\), (\d+) in all\.$", text, re.M
    )
    assert people, text
    assert ("by person (their load grows with the change):" in text) == whole
    if whole:
        for who, has, gets, all_ in people:
            mine = [i for i in load if (i.assignee or "unassigned") == who]
            given = [i for i in moving if (i.assignee or "unassigned") == who]
            counts = [len(mine), len(given), len(mine) + len(given)]
            assert [int(has), int(gets), int(all_)] == counts


def check_project_summary(text: str, truth: Truth, project: str) -> None:
    items = truth.items(project=project)
    head = one(rf"^{project}: (\d+) work items?; current sprint (.+)\.$", text)
    assert int(head[1]) == len(items)
    running = [
        s.name
        for s in truth.dataset.sprints
        if s.project == project and s.start <= truth.today <= s.end
    ]
    assert head[2] == (running[-1] if running else "none running today")
    counts = one(r"^By state: (.*)\. By priority: (.*)\. By type: (.*)\.$", text)
    assert pairs(counts[1]) == states(items)
    assert pairs(counts[2]) == dict(Counter(i.priority.value for i in items))
    assert pairs(counts[3]) == dict(Counter(i.type.value for i in items))
    still = open_(items)
    if still:
        urgent = one(r"^Most urgent open items \((\d+) open\):$", text)
        shown = listed(lines_after(text, urgent[0]))
        assert int(urgent[1]) == shown.total == len(still)
        assert {truth.by_key()[k] for k in shown.ids} <= set(still)
