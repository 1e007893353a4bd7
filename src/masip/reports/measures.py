"""The unit dashboard's measures and the outcome measures (issue 9), as plain numbers.

Pure reads over the database: no HTTP, no audit, no permission check (the caller decides who
may see a unit's figures; nothing here names a person or quotes case content). Each function
counts only what belongs to `unit_ids` and runs a fixed, small number of queries whatever the
number of cases; day counts for medians and percentiles are fetched as a list and ranked in
Python, which is fine at unit scale. Dates are UK days (`Period` is whole days in UK time).

Percentiles interpolate linearly between the nearest ranks (as a spreadsheet's PERCENTILE.INC):
over sorted values v[0..n-1], the p-th percentile is at position (n - 1) * p.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connections
from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce, NullIf
from django.utils import timezone

from masip.cases.models import (
    PRINCIPAL_ROLES,
    Case,
    CaseNote,
    CaseParticipant,
    CaseStatus,
    CaseStatusChange,
    ClosureReason,
    NoteKind,
    ParticipantRole,
    RiskLevel,
)
from masip.interventions.models_legal import Order, OrderStatus
from masip.interventions.models_perpetrator import InterventionKind, InterventionStatus, PerpetratorIntervention
from masip.interventions.models_safety import VictimMeasure
from masip.interventions.models_vcop import VcopUpdateDue, VcopUpdateStatus
from masip.referrals.models import Referral, ReferralSubject, TriageDecision
from masip.reports.period import Period
from masip.reports.stats import median, percentile_90
from masip.risk.models import Assessment, AssessmentStatus
from masip.timeline.models import RedFlagAlert, TimelineEntry

__all__ = [
    "DECISION_BANDS",
    "CaseIncidentRate",
    "Counted",
    "Days",
    "IncidentRates",
    "ReReferrals",
    "RiskTransitions",
    "ScaleChange",
    "Transition",
    "VictimChange",
    "closures_by_reason",
    "decisions",
    "incidents_per_month",
    "intake_level",
    "interventions",
    "open_caseload_by_risk",
    "orders",
    "re_referrals",
    "red_flags",
    "referrals_by_source",
    "referred_again",
    "risk_transitions",
    "time_to_decision",
    "time_to_decision_and_bands",
    "time_to_decision_bands",
    "time_to_first_contact",
    "treatment_completion",
    "vcop_on_time",
    "victim_reported_change",
]

# Six months, as the outcome measures count them: 6 x 30 days, so "per 30 days" reads as per month.
OUTCOME_WINDOW_DAYS = 180
MONTH_DAYS = 30
# Follow-up after a closure: the same year the case file uses to mark a repeat (REPEAT_WINDOW).
FOLLOW_UP = timedelta(days=365)

# An order that reached one of these was granted at some point.
WAS_GRANTED = (OrderStatus.GRANTED, OrderStatus.IN_FORCE, OrderStatus.EXPIRED, OrderStatus.DISCHARGED)

_LEVEL_ORDER = {level: rank for rank, level in enumerate(RiskLevel.values)}


@dataclass(frozen=True)
class Counted:
    """One figure of a table or a bar of a chart: a stable machine key, what a user reads, the count."""

    key: str
    label: str
    count: int


@dataclass(frozen=True)
class Days:
    """How long something took, in whole days: the median and the 90th percentile over `n`
    items (both None when n is 0)."""

    n: int
    median: float | None
    p90: float | None


@dataclass(frozen=True)
class Transition:
    from_key: str
    from_label: str
    to_key: str
    to_label: str
    count: int


@dataclass(frozen=True)
class RiskTransitions:
    """Closures in the period by intake level -> level at closure (non-zero pairs only, in level
    order), and how many went down, stayed, went up, or had no intake level to compare."""

    closures: int
    transitions: tuple[Transition, ...]
    lowered: int
    unchanged: int
    raised: int
    not_assessed_at_intake: int


@dataclass(frozen=True)
class CaseIncidentRate:
    case_id: str
    reference: str
    before: float  # incidents per 30 days in the 6 months before acceptance
    after: float  # incidents per 30 days from acceptance, over at most 6 months
    days_after: int  # how many days the "after" rate is counted over


@dataclass(frozen=True)
class IncidentRates:
    cases: tuple[CaseIncidentRate, ...]
    median_before: float | None
    median_after: float | None


@dataclass(frozen=True)
class ReReferrals:
    """Of the cases in the follow-up cohort, how many the unit heard of again within a year."""

    closed: int
    re_referred: int


@dataclass(frozen=True)
class ScaleChange:
    """Last minus first on one 0-10 scale (higher is better), over the victims measured twice."""

    median: float | None
    improved: int
    same: int
    worse: int


@dataclass(frozen=True)
class VictimChange:
    """Victim-reported safety and wellbeing, first measure against the latest (see
    `victim_reported_change`)."""

    measured_twice: int
    safety: ScaleChange
    wellbeing: ScaleChange


# Time to decision as a distribution: (key, label, first day, last day or None for no end).
DECISION_BANDS: tuple[tuple[str, str, int, int | None], ...] = (
    ("0", "Same day", 0, 0),
    ("1", "1 day", 1, 1),
    ("2-3", "2 to 3 days", 2, 3),
    ("4-7", "4 to 7 days", 4, 7),
    ("8-14", "8 to 14 days", 8, 14),
    ("15-28", "15 to 28 days", 15, 28),
    ("29+", "29 days or more", 29, None),
)


# --- helpers -------------------------------------------------------------------------------------


def _days(values: list[int]) -> Days:
    return Days(n=len(values), median=_float(median(values)), p90=_float(percentile_90(values)))


def _float(value: float | None) -> float | None:
    return None if value is None else float(value)


def _within(field: str, period: Period) -> Q:
    """`field` (a datetime) falls on a day of the period."""
    return Q(**{f"{field}__gte": period.starts_at, f"{field}__lt": period.ends_before})


def _on_a_day_of(field: str, period: Period) -> Q:
    """`field` (a date) is a day of the period."""
    return Q(**{f"{field}__gte": period.start, f"{field}__lte": period.end})


def _counted(choices: Iterable[tuple[str, str]], counts: dict[str, int]) -> tuple[Counted, ...]:
    return tuple(Counted(key, str(label), counts.get(key, 0)) for key, label in choices)


def _raw_rows(queryset: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """The rows of a values_list query as the database driver returns them, without Django's
    per-value converters: for tens of thousands of rows of text and integers, where converting
    each value costs more than the query."""
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _local_day(moment: datetime) -> date:
    """The UK day of an aware instant (the current time zone, read once per call site is not
    needed: the zone object is cached by Django; astimezone is the cheap part)."""
    return moment.astimezone(timezone.get_current_timezone()).date()


def _local_days(pairs: Iterable[tuple[datetime, datetime]]) -> list[int]:
    """Whole UK days from the first instant of each pair to the second (thousands of pairs: the
    zone is looked up once)."""
    zone = timezone.get_current_timezone()
    return [(end.astimezone(zone).date() - start.astimezone(zone).date()).days for start, end in pairs]


# --- the unit dashboard ------------------------------------------------------------------------


def referrals_by_source(*, unit_ids: Collection[int], period: Period) -> tuple[Counted, ...]:
    """Referrals received (`received_at`, drafts never are) in the period, by source agency:
    key `agency:<id>`, label the agency's name; only agencies that referred, most first."""
    rows = (
        Referral.unscoped.filter(_within("received_at", period), unit_id__in=unit_ids)
        .values("source_agency_id", "source_agency__name")
        .annotate(count=Count("id"))
        .order_by("-count", "source_agency__name")
    )
    return tuple(Counted(f"agency:{row['source_agency_id']}", row["source_agency__name"], row["count"]) for row in rows)


def referrals_per_month(*, unit_ids: Collection[int], period: Period) -> tuple[Counted, ...]:
    """Referrals received in the period, by calendar month in UK time (key `YYYY-MM`, label
    "Mar 2025"), every month the period touches, zero included, oldest first. The months are
    counted in Python from the received times: a unit receives a few thousand a year."""
    zone = timezone.get_current_timezone()
    months: Counter[str] = Counter(
        f"{received.astimezone(zone):%Y-%m}"
        for received in Referral.unscoped.filter(_within("received_at", period), unit_id__in=unit_ids).values_list(
            "received_at", flat=True
        )
        if received is not None  # the filter says so; the type does not
    )
    rows = []
    month = period.start.replace(day=1)
    while month <= period.end:
        rows.append(Counted(f"{month:%Y-%m}", f"{month:%b %Y}", months.get(f"{month:%Y-%m}", 0)))
        month = (month + timedelta(days=32)).replace(day=1)
    return tuple(rows)


def decisions(*, unit_ids: Collection[int], period: Period) -> tuple[Counted, ...]:
    """Triage decisions made (`decided_at`) in the period, one row per TriageDecision, zero included."""
    rows = (
        Referral.unscoped.filter(_within("decided_at", period), unit_id__in=unit_ids)
        .exclude(decision="")
        .values("decision")
        .annotate(count=Count("id"))
    )
    return _counted(TriageDecision.choices, {row["decision"]: row["count"] for row in rows})


def _days_to_decision(unit_ids: Collection[int], period: Period) -> list[int]:
    pairs = (
        Referral.unscoped.filter(_within("decided_at", period), unit_id__in=unit_ids, received_at__isnull=False)
        .exclude(decision="")
        .values_list("received_at", "decided_at")
    )
    return _local_days((received, decided) for received, decided in pairs if received and decided)


def time_to_decision(*, unit_ids: Collection[int], period: Period) -> Days:
    """Days from referral to triage decision, over the referrals decided in the period: the UK
    day of `decided_at` minus the UK day of `received_at` (decided the day it came = 0)."""
    return _days(_days_to_decision(unit_ids, period))


def time_to_decision_bands(*, unit_ids: Collection[int], period: Period) -> tuple[Counted, ...]:
    """The same days as `time_to_decision` (referrals decided in the period), counted in bands:
    same day (0), 1, 2-3, 4-7, 8-14, 15-28, 29 or more; every band, zero included, shortest first."""
    return _bands(_days_to_decision(unit_ids, period))


def time_to_decision_and_bands(*, unit_ids: Collection[int], period: Period) -> tuple[Days, tuple[Counted, ...]]:
    """`time_to_decision` and `time_to_decision_bands` from one read of the days (the dashboard
    shows both)."""
    days = _days_to_decision(unit_ids, period)
    return _days(days), _bands(days)


def _bands(days: list[int]) -> tuple[Counted, ...]:
    return tuple(
        Counted(key, label, sum(1 for n in days if n >= low and (high is None or n <= high)))
        for key, label, low, high in DECISION_BANDS
    )


def time_to_first_contact(*, unit_ids: Collection[int], period: Period) -> Days:
    """Days from referral to first victim contact, over the cases whose first victim contact
    was in the period.

    First victim contact: the earliest `contact_at` of the case's contact records (CaseNote of
    kind `contact`, any compartment) made with a participant whose role is victim. The
    first-contact task is not used: ticking it off says someone closed a task, the contact
    record says when the victim was actually spoken to, by whom and how. Referral: the UK day
    the earliest referral linked to the case was received (the case's `opened_at` for a case
    opened without one). Days are UK day minus UK day.
    """
    victim_contacts = CaseNote.unscoped.filter(kind=NoteKind.CONTACT, contact_with__role=ParticipantRole.VICTIM)
    first_contact = (
        victim_contacts.filter(case_id=OuterRef("pk")).order_by().values("case_id").annotate(first=Min("contact_at"))
    )
    first_referral = (
        Referral.unscoped.filter(case_id=OuterRef("pk")).order_by().values("case_id").annotate(first=Min("received_at"))
    )
    # Only cases with a victim contact in the period can have their first one in it.
    pairs = (
        Case.unscoped.filter(
            unit_id__in=unit_ids,
            pk__in=victim_contacts.filter(_within("contact_at", period)).values("case_id"),
        )
        .annotate(
            first_contact=Subquery(first_contact.values("first")),
            referred=Coalesce(Subquery(first_referral.values("first")), F("opened_at")),
        )
        .filter(first_contact__gte=period.starts_at, first_contact__lt=period.ends_before)
        .values_list("referred", "first_contact")
    )
    return _days(_local_days(pairs))


def open_caseload_by_risk(*, unit_ids: Collection[int], period: Period) -> tuple[Counted, ...]:
    """Cases open at the end of the period's last day (opened before then, and not closed
    before then), by risk level, every level zero included.

    The level is the case's risk level as it now stands (the case keeps no history of its
    level); a case closed and later reopened counts by its current state.
    """
    rows = (
        Case.unscoped.filter(unit_id__in=unit_ids, opened_at__lt=period.ends_before)
        .exclude(status=CaseStatus.CLOSED, closed_at__lt=period.ends_before)
        .values("risk_level")
        .annotate(count=Count("id"))
    )
    return _counted(RiskLevel.choices, {row["risk_level"]: row["count"] for row in rows})


def red_flags(*, unit_ids: Collection[int], period: Period) -> tuple[Counted, ...]:
    """Red-flag alerts raised (first found, `created_at`) and acknowledged (`acknowledged_at`)
    in the period; an alert raised before and acknowledged in the period counts once, as acknowledged."""
    totals = RedFlagAlert.unscoped.filter(case__unit_id__in=unit_ids).aggregate(
        raised=Count("id", filter=_within("created_at", period)),
        acknowledged=Count("id", filter=_within("acknowledged_at", period)),
    )
    return (
        Counted("raised", "Red flags raised", totals["raised"]),
        Counted("acknowledged", "Red flags acknowledged", totals["acknowledged"]),
    )


def orders(*, unit_ids: Collection[int], period: Period) -> tuple[Counted, ...]:
    """Orders applied for, granted and breached in the period.

    Applied for: orders entered in the case's orders register in the period (`created_at`;
    the register keeps no separate application date). Granted: orders whose status is or was
    granted (granted, in force, expired, discharged) starting (`starts_on`) in the period.
    Breached: breaches recorded on the timeline (an entry linked to an order of the register,
    or to an SPO process) that happened (`occurred_on`) in the period, one per entry.
    """
    totals = Order.unscoped.filter(case__unit_id__in=unit_ids).aggregate(
        applied=Count("id", filter=_within("created_at", period)),
        granted=Count("id", filter=_on_a_day_of("starts_on", period) & Q(status__in=WAS_GRANTED)),
    )
    breached = (
        TimelineEntry.unscoped.filter(_on_a_day_of("occurred_on", period), case__unit_id__in=unit_ids)
        .filter(Q(order__isnull=False) | Q(order_breached__isnull=False))
        .count()
    )
    return (
        Counted("applied", "Orders applied for", totals["applied"]),
        Counted("granted", "Orders granted", totals["granted"]),
        Counted("breached", "Breaches of orders", breached),
    )


def vcop_on_time(*, unit_ids: Collection[int], period: Period) -> tuple[Counted, ...]:
    """Victims' Code updates (event and regular) due (`due_on`) in the period, those no longer
    due (withdrawn) left out: given on time (UK day of `sent_at` on or before `due_on`), given
    late, still open and overdue (due before today), still open and not yet due."""
    today = timezone.localdate()
    zone = timezone.get_current_timezone()
    rows = (
        VcopUpdateDue.unscoped.filter(_on_a_day_of("due_on", period), case__unit_id__in=unit_ids)
        .exclude(status=VcopUpdateStatus.WITHDRAWN)
        .values_list("status", "due_on", "sent_at")
    )
    totals: Counter[str] = Counter()
    for status, due_on, sent_at in rows:
        if status == VcopUpdateStatus.SENT and sent_at is not None:
            totals["on_time" if sent_at.astimezone(zone).date() <= due_on else "late"] += 1
        elif status == VcopUpdateStatus.OPEN:
            totals["overdue" if due_on < today else "not_yet_due"] += 1
    return (
        Counted("on_time", "Given on time", totals["on_time"]),
        Counted("late", "Given late", totals["late"]),
        Counted("overdue", "Still to give and overdue", totals["overdue"]),
        Counted("not_yet_due", "Still to give, not yet due", totals["not_yet_due"]),
    )


def interventions(*, unit_ids: Collection[int], period: Period) -> tuple[Counted, ...]:
    """Perpetrator interventions (every kind) started (`started_on`) in the period, and
    completed (status completed, `ended_on`) in the period."""
    totals = PerpetratorIntervention.unscoped.filter(case__unit_id__in=unit_ids).aggregate(
        started=Count("id", filter=_on_a_day_of("started_on", period)),
        completed=Count("id", filter=_on_a_day_of("ended_on", period) & Q(status=InterventionStatus.COMPLETED)),
    )
    return (
        Counted("started", "Interventions started", totals["started"]),
        Counted("completed", "Interventions completed", totals["completed"]),
    )


def closures_by_reason(*, unit_ids: Collection[int], period: Period) -> tuple[Counted, ...]:
    """Closures made in the period (status changes to closed, `created_at`; a case closed,
    reopened and closed again counts twice), by reason, every ClosureReason zero included."""
    rows = (
        CaseStatusChange.unscoped.filter(
            _within("created_at", period), case__unit_id__in=unit_ids, to_status=CaseStatus.CLOSED
        )
        .values("closure_reason")
        .annotate(count=Count("id"))
    )
    return _counted(ClosureReason.choices, {row["closure_reason"]: row["count"] for row in rows})


# --- outcome measures --------------------------------------------------------------------------


def intake_level(case: str = "case_id") -> Subquery:
    """The level of the case's first completed assessment (earliest `assessed_on`), judgement
    included; a screening made at triage is moved to the case on acceptance, so it counts.
    `case` names the outer query's field that holds the case (its pk on a Case query)."""
    first = (
        Assessment.unscoped.filter(case_id=OuterRef(case), status=AssessmentStatus.COMPLETED)
        .annotate(final=Coalesce(NullIf("level", Value("")), "computed_level"))
        .order_by("assessed_on", "created_at")
        .values("final")[:1]
    )
    return Subquery(first)


def risk_transitions(*, unit_ids: Collection[int], period: Period) -> RiskTransitions:
    """Closures made in the period: the case's intake level -> its level at closure.

    Intake level: the level of the case's first completed risk assessment (earliest
    `assessed_on`; the final level, professional judgement included), `not_assessed` when it has
    none. The case keeps no "level at acceptance" of its own. Formulations are not intake.
    Closure level: `risk_at_closure` of the status change that closed it.
    """
    rows = (
        CaseStatusChange.unscoped.filter(
            _within("created_at", period), case__unit_id__in=unit_ids, to_status=CaseStatus.CLOSED
        )
        .annotate(intake=Coalesce(intake_level(), Value(RiskLevel.NOT_ASSESSED.value)))
        .values_list("intake", "risk_at_closure")
    )
    pairs = Counter((intake, closure or RiskLevel.NOT_ASSESSED.value) for intake, closure in rows)
    labels = dict(RiskLevel.choices)
    transitions = tuple(
        Transition(intake, str(labels[intake]), closure, str(labels[closure]), count)
        for (intake, closure), count in sorted(
            pairs.items(), key=lambda item: (_LEVEL_ORDER[item[0][0]], _LEVEL_ORDER[item[0][1]])
        )
    )
    compared = [(i, c, n) for (i, c), n in pairs.items() if RiskLevel.NOT_ASSESSED not in (i, c)]
    return RiskTransitions(
        closures=sum(pairs.values()),
        transitions=transitions,
        lowered=sum(n for i, c, n in compared if _LEVEL_ORDER[c] < _LEVEL_ORDER[i]),
        unchanged=sum(n for i, c, n in compared if c == i),
        raised=sum(n for i, c, n in compared if _LEVEL_ORDER[c] > _LEVEL_ORDER[i]),
        not_assessed_at_intake=sum(n for (i, _c), n in pairs.items() if i == RiskLevel.NOT_ASSESSED),
    )


def incidents_per_month(*, unit_ids: Collection[int], period: Period) -> IncidentRates:
    """Per case open at some time in the period (opened before its end, not closed before its
    start): timeline incidents per 30 days before and after acceptance, and the median of each.

    Acceptance: the UK day of the case's `opened_at` (a case opens when its referral is
    accepted). Before: the 180 days before that day; rate = incidents / 180 x 30. After: from
    that day for at most 180 days, stopping at the closure day of a closed case, else at the
    period's last day; rate = incidents / days x 30. Incidents: the `incidents` of each timeline
    entry (every compartment), counted on its first day (`occurred_on`). Rates are rounded to
    two decimals; the medians are of the rounded rates.
    """
    open_in_period = Case.unscoped.filter(unit_id__in=unit_ids, opened_at__lt=period.ends_before).exclude(
        closed_at__lt=period.starts_at
    )
    # Case ids and days are read as text: thousands of rows, and converting each to a UUID and
    # a date costs more than the query. ISO days compare as text in date order.
    cases = list(
        open_in_period.order_by("opened_at", "reference").values_list(
            "id", Cast("id", CharField()), "reference", "opened_at", "closed_at"
        )
    )
    if not cases:
        return IncidentRates(cases=(), median_before=None, median_after=None)
    windows: dict[str, tuple[str, str, str]] = {}
    spans: dict[str, int] = {}
    zone = timezone.get_current_timezone()
    for _case_id, key, _reference, opened_at, closed_at in cases:
        accepted = opened_at.astimezone(zone).date()
        last = min(accepted + timedelta(days=OUTCOME_WINDOW_DAYS - 1), period.end)
        if closed_at is not None:
            last = min(last, closed_at.astimezone(zone).date())
        last = max(last, accepted)
        first = accepted - timedelta(days=OUTCOME_WINDOW_DAYS)
        windows[key] = (first.isoformat(), accepted.isoformat(), last.isoformat())
        spans[key] = (last - accepted).days + 1
    earliest = min(first for first, _accepted, _last in windows.values())
    latest = max(last for _first, _accepted, last in windows.values())
    days = (
        TimelineEntry.unscoped.filter(
            case__in=open_in_period,
            occurred_on__gte=date.fromisoformat(earliest),
            occurred_on__lte=date.fromisoformat(latest),
        )
        # Each entry as it is (summed here): grouping them in SQL would sort tens of thousands
        # of rows for a few per cent fewer.
        .order_by()
        .values_list(Cast("case_id", CharField()), Cast("occurred_on", CharField()), "incidents")
    )
    before: Counter[str] = Counter()
    after: Counter[str] = Counter()
    for key, day, incidents in _raw_rows(days):
        since, from_day, until = windows[key]
        if since <= day < from_day:
            before[key] += incidents
        elif from_day <= day <= until:
            after[key] += incidents
    rates = [
        CaseIncidentRate(
            case_id=str(case_id),
            reference=reference,
            before=round(before[key] * MONTH_DAYS / OUTCOME_WINDOW_DAYS, 2),
            after=round(after[key] * MONTH_DAYS / spans[key], 2),
            days_after=spans[key],
        )
        for case_id, key, reference, _opened, _closed in cases
    ]
    return IncidentRates(
        cases=tuple(rates),
        median_before=_float(median([rate.before for rate in rates])),
        median_after=_float(median([rate.after for rate in rates])),
    )


def re_referrals(*, unit_ids: Collection[int], period: Period) -> ReReferrals:
    """Re-referral within 12 months of closure, for the cases whose 12 months of follow-up end
    in the period: cases now closed whose `closed_at` falls in the period moved back 365 days.

    Re-referred: the unit received (`received_at`) a referral within 365 days after the
    closure naming, as a linked person (ReferralSubject.person), someone who was the case's
    victim, perpetrator or suspect; or a later case is marked `repeat_of` it.

    Two queries whatever the size of the cohort (`referred_again`).
    """
    cohort = Case.unscoped.filter(
        unit_id__in=unit_ids,
        status=CaseStatus.CLOSED,
        closed_at__gte=period.starts_at - FOLLOW_UP,
        closed_at__lt=period.ends_before - FOLLOW_UP,
    )
    again = referred_again(cohort)
    return ReReferrals(closed=len(again), re_referred=sum(again.values()))


def referred_again(closed_cases: QuerySet[Case]) -> dict[Any, bool]:
    """For each of the given closed cases (by id): was it referred again within 365 days of its
    closure? The rule of `re_referrals`, whatever the cases: a referral to the case's unit
    received in the year after `closed_at` naming one of its principal people, or a later case
    marked `repeat_of` it. Two queries whatever their number: the cases with their principal
    people (and whether a later case repeats them), then the referrals received in the
    follow-up years naming one of those people; matched here by person, unit and time.
    """
    rows = closed_cases.annotate(repeated=Exists(Case.unscoped.filter(repeat_of_id=OuterRef("pk")))).values_list(
        "pk", "unit_id", "closed_at", "repeated", "participants__person_id", "participants__role"
    )
    cases: dict[Any, tuple[int, datetime, bool]] = {}
    people: dict[Any, set[object]] = {}
    for case_id, unit_id, closed_at, repeated, person_id, role in rows:
        if closed_at is None:  # a closed case has its closing time; nothing to follow up otherwise
            continue
        cases[case_id] = (unit_id, closed_at, repeated)
        if person_id is not None and role in PRINCIPAL_ROLES:
            people.setdefault(case_id, set()).add(person_id)
    if not cases:
        return {}
    named = (
        ReferralSubject.unscoped.filter(
            referral__unit_id__in={unit_id for unit_id, _closed, _repeated in cases.values()},
            referral__received_at__gt=min(closed for _unit, closed, _repeated in cases.values()),
            referral__received_at__lte=max(closed for _unit, closed, _repeated in cases.values()) + FOLLOW_UP,
            person_id__in=CaseParticipant.unscoped.filter(case__in=closed_cases, role__in=PRINCIPAL_ROLES).values(
                "person_id"
            ),
        )
        .values_list("person_id", "referral__unit_id", "referral__received_at")
        .order_by()
    )
    referred: dict[tuple[object, int], list[datetime]] = {}
    for person_id, unit_id, received_at in named:
        if received_at is not None:
            referred.setdefault((person_id, unit_id), []).append(received_at)
    return {
        case_id: repeated
        or any(
            closed_at < received <= closed_at + FOLLOW_UP
            for person_id in people.get(case_id, ())
            for received in referred.get((person_id, unit_id), ())
        )
        for case_id, (unit_id, closed_at, repeated) in cases.items()
    }


def treatment_completion(*, unit_ids: Collection[int], period: Period) -> tuple[Counted, ...]:
    """Perpetrator treatment programmes (kind treatment programme): started (`started_on`) in
    the period; ended (`ended_on`) in the period, whatever the outcome; of those, completed
    (status completed). Completion rate = completed / ended."""
    totals = PerpetratorIntervention.unscoped.filter(
        case__unit_id__in=unit_ids, kind=InterventionKind.TREATMENT_PROGRAMME
    ).aggregate(
        started=Count("id", filter=_on_a_day_of("started_on", period)),
        ended=Count("id", filter=_on_a_day_of("ended_on", period)),
        completed=Count("id", filter=_on_a_day_of("ended_on", period) & Q(status=InterventionStatus.COMPLETED)),
    )
    return (
        Counted("started", "Programmes started", totals["started"]),
        Counted("ended", "Programmes ended", totals["ended"]),
        Counted("completed", "Programmes completed", totals["completed"]),
    )


def _scale_change(differences: list[int]) -> ScaleChange:
    return ScaleChange(
        median=_float(median(differences)),
        improved=sum(1 for n in differences if n > 0),
        same=sum(1 for n in differences if n == 0),
        worse=sum(1 for n in differences if n < 0),
    )


def victim_reported_change(*, unit_ids: Collection[int], period: Period) -> VictimChange:
    """Victim-reported feeling of safety and wellbeing (VictimMeasure, scales 0-10, higher is
    better): how they changed between a victim's first measure and their latest one.

    For each victim (case participant) of the unit's cases with a measure taken (`measured_on`)
    on a day of the period: the first measure is their earliest ever (the baseline, whatever its
    occasion: normally the intake one); the latest is their last taken on or before the period's
    last day (ties on a day broken by when it was recorded). The victim counts when that latest
    measure is not the first one, i.e. they were measured at least twice by the period's end and
    once within it. Change = latest - first, on safety and on wellbeing separately: improved
    (> 0), same (0), worse (< 0), and the median change. Daily impact is not summarised.
    One query: every measure, up to the period's end, of the victims measured in the period.
    """
    measured_in_period = VictimMeasure.unscoped.filter(
        _on_a_day_of("measured_on", period), case__unit_id__in=unit_ids
    ).values("participant_id")
    rows = (
        VictimMeasure.unscoped.filter(
            case__unit_id__in=unit_ids, participant_id__in=measured_in_period, measured_on__lte=period.end
        )
        .order_by("participant_id", "measured_on", "created_at")
        .values_list("participant_id", "safety", "wellbeing")
    )
    first: dict[object, tuple[int, int]] = {}
    latest: dict[object, tuple[int, int]] = {}
    times: Counter[object] = Counter()
    for participant_id, safety, wellbeing in rows:
        first.setdefault(participant_id, (safety, wellbeing))
        latest[participant_id] = (safety, wellbeing)
        times[participant_id] += 1
    twice = [participant_id for participant_id, n in times.items() if n >= 2]
    return VictimChange(
        measured_twice=len(twice),
        safety=_scale_change([latest[p][0] - first[p][0] for p in twice]),
        wellbeing=_scale_change([latest[p][1] - first[p][1] for p in twice]),
    )
