"""A case's pattern of behaviour as one viewer may see it, and the escalation analytics over it:
incidents per week with the weeks where the rate changed, the mix of behaviours by month, and the
highest proximity reached each week.

Reads are scoped with `visible_to` and audited (one listing per kind); the numbers are computed in
plain Python: a case's series is at most a few hundred weeks, and masip deliberately does not pull
numpy or scipy in for that.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest

from masip.audit.services import audit_listing
from masip.cases.models import Case
from masip.timeline.models import RedFlagAlert, ReportedBy, TimelineEntry
from masip.timeline.taxonomy import PROXIMITY_LABELS, taxonomy

REPORTED_BY_LABELS = dict(ReportedBy.choices)


# --- the taxonomy, as the chart's rows ------------------------------------------------------------


@dataclass(frozen=True)
class BehaviourGroup:
    key: str
    label: str
    proximity: int  # the closest contact any behaviour of the group brings


def behaviour_groups() -> list[BehaviourGroup]:
    """The taxonomy's groups, closest contact first (by the highest proximity of their behaviours;
    ties keep the file's order): on the chart, a pattern that escalates climbs the rows."""
    known = taxonomy()
    highest: dict[str, int] = {}
    for behaviour in known.behaviours:
        highest[behaviour.group] = max(highest.get(behaviour.group, 0), behaviour.proximity)
    order = list(known.groups)
    groups = [BehaviourGroup(key, label, highest.get(key, 0)) for key, label in known.groups.items()]
    return sorted(groups, key=lambda g: (-g.proximity, order.index(g.key)))


# --- what the viewer may see ---------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the viewer asked to see; empty means everything."""

    groups: frozenset[str] = frozenset()
    codes: frozenset[str] = frozenset()
    start: date | None = None
    end: date | None = None
    compartment: str = ""

    @property
    def by_behaviour(self) -> bool:
        return bool(self.groups or self.codes)

    def keeps(self, code: str, group: str) -> bool:
        return not self.by_behaviour or code in self.codes or group in self.groups


@dataclass(frozen=True)
class EntryBehaviour:
    code: str
    label: str
    group: str
    proximity: int


@dataclass(frozen=True)
class PatternEntry:
    """One timeline entry as the chart and the table show it (no free text is read)."""

    id: str
    start: date
    end: date  # the start again for a single day
    incidents: int
    behaviours: tuple[EntryBehaviour, ...]
    reported_by: str
    compartment: str
    red_flags: tuple[str, ...] = ()  # titles of the alerts (the viewer may see) that cite it

    @property
    def is_range(self) -> bool:
        return self.end != self.start

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def groups(self) -> list[str]:
        return list(dict.fromkeys(b.group for b in self.behaviours))

    @property
    def proximity(self) -> int:
        return max((b.proximity for b in self.behaviours), default=0)


@dataclass(frozen=True)
class PatternFlag:
    id: str
    day: date
    title: str
    status: str
    number: int = 0  # its number on the chart, oldest first


@dataclass(frozen=True)
class Pattern:
    case: Case
    entries: list[PatternEntry]  # oldest first
    flags: list[PatternFlag]  # oldest first
    groups: list[BehaviourGroup]  # the chart's rows, closest contact first
    filters: Filters = field(default_factory=Filters)

    @property
    def incidents(self) -> int:
        return sum(e.incidents for e in self.entries)


def pattern_for(
    *, user: Any, case: Case, filters: Filters | None = None, request: HttpRequest | None = None
) -> Pattern:
    """The entries and red flags of `case` the user may see, narrowed by `filters`, in three
    queries whatever their number (entries; their behaviours; alerts with the entries they cite),
    the listing audited per kind."""
    filters = filters or Filters()
    entries_qs = (
        TimelineEntry.objects.visible_to(user)
        .filter(case=case)
        .only("pk", "case_id", "occurred_on", "occurred_until", "incidents", "reported_by", "compartment")
        .order_by("occurred_on", "occurred_at", "created_at")
    )
    alerts_qs = (
        RedFlagAlert.objects.visible_to(user)
        .filter(case=case)
        .only("pk", "case_id", "occurred_on", "title", "status", "compartment")
    )
    if filters.compartment:
        entries_qs = entries_qs.filter(compartment=filters.compartment)
        alerts_qs = alerts_qs.filter(compartment=filters.compartment)
    if filters.start:
        # A range that runs into the window is in it.
        entries_qs = entries_qs.exclude(occurred_until__lt=filters.start).exclude(
            occurred_until__isnull=True, occurred_on__lt=filters.start
        )
        alerts_qs = alerts_qs.filter(occurred_on__gte=filters.start)
    if filters.end:
        entries_qs = entries_qs.filter(occurred_on__lte=filters.end)
        alerts_qs = alerts_qs.filter(occurred_on__lte=filters.end)
    links = TimelineEntry.behaviours.through.objects.filter(timelineentry__in=entries_qs.values("pk")).values_list(
        "timelineentry_id", "behaviourtype__code", "behaviourtype__label", "behaviourtype__group",
        "behaviourtype__proximity", "behaviourtype__position",
    )  # fmt: skip
    alerts = list(
        alerts_qs.prefetch_related(Prefetch("entries", queryset=TimelineEntry.unscoped.only("pk"))).order_by(
            "occurred_on", "created_at"
        )
    )
    rows = list(entries_qs)
    by_entry: dict[Any, list[tuple[int, EntryBehaviour]]] = defaultdict(list)
    for entry_id, code, label, group, proximity, position in links:
        by_entry[entry_id].append((position, EntryBehaviour(code, label, group, proximity)))
    cited: dict[Any, list[str]] = defaultdict(list)
    for alert in alerts:
        for cited_entry in alert.entries.all():
            cited[cited_entry.pk].append(alert.title)
    entries = []
    for row in rows:
        behaviours = tuple(b for _, b in sorted(by_entry[row.pk], key=lambda pair: pair[0]))
        if filters.by_behaviour and not any(filters.keeps(b.code, b.group) for b in behaviours):
            continue
        entries.append(
            PatternEntry(
                id=str(row.pk),
                start=row.occurred_on,
                end=row.occurred_until or row.occurred_on,
                incidents=row.incidents,
                behaviours=behaviours,
                reported_by=REPORTED_BY_LABELS.get(row.reported_by, row.reported_by),
                compartment=row.compartment,
                red_flags=tuple(cited[row.pk]),
            )
        )
    flags = [
        PatternFlag(str(a.pk), a.occurred_on, a.title, a.get_status_display(), number)
        for number, a in enumerate(alerts, start=1)
    ]
    groups = behaviour_groups()
    if filters.by_behaviour:
        wanted = set(filters.groups) | {b.group for e in entries for b in e.behaviours if b.code in filters.codes}
        groups = [g for g in groups if g.key in wanted]
    audit_listing(
        actor=user,
        unit=case.unit,
        case_id=case.pk,
        request=request,
        object_type="timeline.timelineentry",
        ids=[e.id for e in entries],
    )
    audit_listing(
        actor=user,
        unit=case.unit,
        case_id=case.pk,
        request=request,
        object_type="timeline.redflagalert",
        ids=[f.id for f in flags],
    )
    return Pattern(case, entries, flags, groups, filters)


# --- incidents per week ----------------------------------------------------------------------------


def week_of(day: date) -> date:
    """The Monday of the week `day` is in."""
    return day - timedelta(days=day.weekday())


def _spread(entry: PatternEntry) -> Iterable[tuple[date, float]]:
    """Each day of the entry with its share of the incidents (a range is spread evenly)."""
    share = entry.incidents / entry.days
    for offset in range(entry.days):
        yield entry.start + timedelta(days=offset), share


def _weeks(first: date, last: date) -> list[date]:
    start, end = week_of(first), week_of(last)
    return [start + timedelta(weeks=n) for n in range((end - start).days // 7 + 1)]


@dataclass(frozen=True)
class Week:
    start: date
    incidents: float
    proximity: int | None  # the highest proximity reached; None in a week with nothing recorded
    change_point: bool = False

    @property
    def proximity_label(self) -> str:
        return "" if self.proximity is None else PROXIMITY_LABELS[self.proximity]


@dataclass(frozen=True)
class Segment:
    """A run of weeks with one rate of incidents."""

    start: date
    end: date  # the Monday of its last week
    weeks: int
    rate: float  # incidents per week


@dataclass(frozen=True)
class Escalation:
    weeks: list[Week]
    segments: list[Segment]

    @property
    def change_points(self) -> list[Week]:
        return [w for w in self.weeks if w.change_point]

    @property
    def peak(self) -> float:
        return max((w.incidents for w in self.weeks), default=0.0)


def weekly_incidents(entries: Sequence[PatternEntry]) -> list[tuple[date, float]]:
    """Incidents per week (Mondays), from the first entry's week to the last's, quiet weeks as 0."""
    if not entries:
        return []
    per_week: dict[date, float] = defaultdict(float)
    for entry in entries:
        for day, share in _spread(entry):
            per_week[week_of(day)] += share
    weeks = _weeks(min(e.start for e in entries), max(e.end for e in entries))
    return [(w, round(per_week.get(w, 0.0), 6)) for w in weeks]


def weekly_proximity(entries: Sequence[PatternEntry]) -> dict[date, int]:
    """The highest proximity of any entry touching each week (a range touches all its weeks)."""
    highest: dict[date, int] = {}
    for entry in entries:
        level = entry.proximity
        for week in _weeks(entry.start, entry.end):
            highest[week] = max(highest.get(week, 0), level)
    return highest


def escalation_for(entries: Sequence[PatternEntry]) -> Escalation:
    """The weekly series of `entries` with its change points and the rate of each segment."""
    series = weekly_incidents(entries)
    if not series:
        return Escalation([], [])
    counts = [count for _, count in series]
    cuts = change_points(counts)
    proximity = weekly_proximity(entries)
    weeks = [Week(day, count, proximity.get(day), i in cuts) for i, (day, count) in enumerate(series)]
    bounds = [0, *cuts, len(counts)]
    segments = [
        Segment(series[a][0], series[b - 1][0], b - a, sum(counts[a:b]) / (b - a))
        for a, b in itertools.pairwise(bounds)
    ]
    return Escalation(weeks, segments)


# --- change points: penalised Poisson likelihood, found exactly by PELT --------------------------
#
# The weekly counts are taken as Poisson with a rate that is constant between change points. A
# segment's cost is twice its negative log-likelihood at its own best rate (the mean), dropping
# the terms that do not depend on where the cuts are: with S incidents over n weeks,
#     cost = 2 * (S - S * log(S / n))       (0 when S is 0).
# The segmentation minimising  sum(costs) + penalty * (number of change points)  is found exactly
# by PELT (Killick, Fearnhead and Eckley 2012): optimal partitioning, with the start points that
# can never again be optimal pruned, which keeps it near-linear.
#
# The penalty is 3 log(n) (a modified BIC, as R's changepoint package offers), scaled by the
# series' dispersion when it is burstier than Poisson (forty messages one week, two the next is
# ordinary in stalking), as a quasi-Poisson model would: the segmentation is found with the plain
# penalty, the dispersion estimated from the weeks' spread around their own segment's rate
# (Pearson's statistic over its degrees of freedom), and the segmentation found again with the
# scaled penalty, until the estimate settles. Segments are at least MIN_SEGMENT weeks long, so a
# single busy week is a spike, not a new rate.

MIN_SEGMENT = 2
DISPERSION_ROUNDS = 5


def _segment_cost(total: float, length: int) -> float:
    if total <= 0:
        return 0.0
    return 2.0 * (total - total * math.log(total / length))


def dispersion(counts: Sequence[float], cuts: Sequence[int] = ()) -> float:
    """How much burstier than Poisson the series is around the rates of the segments `cuts` make
    (1 when it is not): Pearson's chi-squared over the degrees of freedom."""
    bounds = [0, *cuts, len(counts)]
    freedom = len(counts) - (len(bounds) - 1)
    if freedom <= 0:
        return 1.0
    pearson = 0.0
    for a, b in itertools.pairwise(bounds):
        rate = sum(counts[a:b]) / (b - a)
        if rate > 0:
            pearson += sum((count - rate) ** 2 for count in counts[a:b]) / rate
    return max(1.0, pearson / freedom)


def change_points(
    counts: Sequence[float], *, penalty: float | None = None, min_segment: int = MIN_SEGMENT
) -> list[int]:
    """The indices where a new rate starts (never 0), by penalised Poisson cost and PELT.

    A flat series has none; a step from one rate to another is found at the first week of the new
    rate; noise around one rate seldom yields any (see the module notes on the penalty). With
    `penalty` given, exactly the optimal segmentation for that penalty.
    """
    if len(counts) < 2 * min_segment:
        return []
    if penalty is not None:
        return _pelt(counts, penalty, min_segment)
    base = 3.0 * math.log(len(counts))
    scale = 1.0
    cuts = _pelt(counts, base, min_segment)
    for _ in range(DISPERSION_ROUNDS):
        found = dispersion(counts, cuts)
        if abs(found - scale) < 0.01:
            break
        scale = found
        cuts = _pelt(counts, base * scale, min_segment)
    return cuts


def _pelt(counts: Sequence[float], penalty: float, min_segment: int) -> list[int]:
    n = len(counts)
    prefix = [0.0]
    for count in counts:
        prefix.append(prefix[-1] + count)

    def cost(s: int, t: int) -> float:
        return _segment_cost(prefix[t] - prefix[s], t - s)

    best = [math.inf] * (n + 1)
    best[0] = -penalty
    last_cut = [0] * (n + 1)
    candidates: list[int] = []
    for t in range(min_segment, n + 1):
        new = t - min_segment  # the latest start a segment ending at t may have
        if new == 0 or new >= min_segment:
            # PELT's pruning, done when `new` becomes usable (a segment from it ends at t or later):
            # a start s with best[s] + cost(s, new) > best[new] can never again be the best one.
            candidates = [s for s in candidates if best[s] + cost(s, new) <= best[new]]
            candidates.append(new)
        best[t], last_cut[t] = min((best[s] + cost(s, t) + penalty, s) for s in candidates)
    cuts = []
    t = n
    while t > 0:
        s = last_cut[t]
        if s > 0:
            cuts.append(s)
        t = s
    return sorted(cuts)


# --- the mix of behaviours, by month ---------------------------------------------------------------


def month_of(day: date) -> date:
    return day.replace(day=1)


@dataclass(frozen=True)
class MonthMix:
    month: date
    by_group: dict[str, float]  # group key -> incidents

    @property
    def total(self) -> float:
        return sum(self.by_group.values())


def behaviour_mix(entries: Sequence[PatternEntry], groups: Sequence[BehaviourGroup]) -> list[MonthMix]:
    """Incidents per month by behaviour group, every month from the first entry's to the last's.
    An entry counts in each of its groups (a threatening message is communication and a threat);
    a range is spread evenly over its days."""
    if not entries:
        return []
    per_month: dict[date, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    keys = [g.key for g in groups]
    for entry in entries:
        entry_groups = [g for g in entry.groups if g in keys]
        for day, share in _spread(entry):
            for group in entry_groups:
                per_month[month_of(day)][group] += share
    first = month_of(min(e.start for e in entries))
    last = month_of(max(e.end for e in entries))
    months = []
    month = first
    while month <= last:
        found = per_month.get(month, {})
        months.append(MonthMix(month, {key: round(found.get(key, 0.0), 6) for key in keys}))
        month = (month + timedelta(days=32)).replace(day=1)
    return months
