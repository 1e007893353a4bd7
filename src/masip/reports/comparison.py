"""The cross-unit comparison's figures: one unit over one period, as plain JSON-able numbers,
computed from `reports.measures` and kept in `UnitFigures` so that a national comparison
(43 units x 10 years) reads stored rows instead of recounting every case.

Public API (the benchmark and the page use nothing else):

- `compute_figures(unit, period) -> Figures`: pure reads (a fixed number of queries, no write,
  no audit, no permission check: the caller decides who may see the unit).
- `figures_for(units, period) -> list[StoredFigures]`: the figures of each unit, in the order
  given, read from `UnitFigures` when a row for the same unit and period was computed today
  (UK day) at the current `FIGURES_VERSION`, otherwise computed now and stored (one row per
  unit and period, replaced in place).
- `standard_periods(today)`: the periods `manage.py reports_precompute` fills every night: the
  last 8 completed calendar quarters, the current quarter to yesterday, the 12 months to yesterday.

Change `Figures` (a field added, renamed or counted differently) and bump `FIGURES_VERSION`:
every stored row of another version is then recomputed when next read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from masip.accounts.models import Unit
from masip.reports import measures
from masip.reports.models import UnitFigures
from masip.reports.period import Period
from masip.timeline.models import RedFlagAlert

__all__ = [
    "FIGURES_VERSION",
    "Figures",
    "StoredFigures",
    "compute_figures",
    "figures_for",
    "standard_periods",
]

FIGURES_VERSION = 2


@dataclass(frozen=True)
class Figures:
    """Everything the comparison shows of one unit over one period; ints, floats, None and
    {key: count} dicts only, so it is stored as JSON as it is."""

    referrals_received: int
    decisions: dict[str, int]  # TriageDecision value -> decided in the period
    closures: dict[str, int]  # ClosureReason value -> closures in the period
    open_caseload: dict[str, int]  # RiskLevel value -> open at the end of the period
    # Victims' Code updates due in the period: given on time, of those given (on time or late)
    # or still open and overdue; those not yet due are not counted either way.
    vcop_on_time: int
    vcop_due: int
    # Red flags raised in the period, and of those, acknowledged by the end of it.
    flags_raised: int
    flags_acknowledged: int
    # Cases whose year of follow-up after closure ended in the period, and those referred again.
    followed_up: int
    re_referred: int
    # Treatment programmes ended in the period, and of those, completed.
    programmes_ended: int
    programmes_completed: int
    # Closures in the period with a level at intake and at closure, and of those, lowered.
    closures_compared: int
    closures_lowered: int
    decision_days_n: int
    decision_days_median: float | None
    contact_days_n: int
    contact_days_median: float | None
    incident_cases: int
    incidents_median_before: float | None
    incidents_median_after: float | None
    # Victims measured twice by the end of the period and once in it (measures.victim_reported_change),
    # and of those, whose latest safety / wellbeing score is above their first.
    victims_measured_twice: int
    victims_safer: int
    victims_wellbeing_better: int

    @property
    def decided(self) -> int:
        return sum(self.decisions.values())

    @property
    def accepted(self) -> int:
        return self.decisions.get("accepted", 0)

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Figures:
        return cls(**data)


@dataclass(frozen=True)
class StoredFigures:
    unit: Unit
    period: Period
    figures: Figures
    computed_at: datetime


def _counts(rows: tuple[measures.Counted, ...]) -> dict[str, int]:
    return {row.key: row.count for row in rows}


def _flags_acknowledged_within(unit: Unit, period: Period) -> tuple[int, int]:
    """Red flags raised in the period, and of those, acknowledged before the period ended (the
    dashboard's "acknowledged" also counts older alerts, which would not make a proportion)."""
    raised = RedFlagAlert.unscoped.filter(
        case__unit_id=unit.pk, created_at__gte=period.starts_at, created_at__lt=period.ends_before
    )
    return raised.count(), raised.filter(acknowledged_at__lt=period.ends_before).count()


def compute_figures(unit: Unit, period: Period) -> Figures:
    """The unit's figures over the period, counted now from the measures (about 20 queries,
    whatever the number of cases). Reads only; nothing is stored or audited."""
    scope: dict[str, Any] = {"unit_ids": [unit.pk], "period": period}
    vcop = _counts(measures.vcop_on_time(**scope))
    transitions = measures.risk_transitions(**scope)
    re_referrals = measures.re_referrals(**scope)
    treatment = _counts(measures.treatment_completion(**scope))
    to_decision = measures.time_to_decision(**scope)
    to_contact = measures.time_to_first_contact(**scope)
    incidents = measures.incidents_per_month(**scope)
    raised, acknowledged = _flags_acknowledged_within(unit, period)
    victims = measures.victim_reported_change(**scope)
    return Figures(
        referrals_received=sum(row.count for row in measures.referrals_by_source(**scope)),
        decisions=_counts(measures.decisions(**scope)),
        closures=_counts(measures.closures_by_reason(**scope)),
        open_caseload=_counts(measures.open_caseload_by_risk(**scope)),
        vcop_on_time=vcop["on_time"],
        vcop_due=vcop["on_time"] + vcop["late"] + vcop["overdue"],
        flags_raised=raised,
        flags_acknowledged=acknowledged,
        followed_up=re_referrals.closed,
        re_referred=re_referrals.re_referred,
        programmes_ended=treatment["ended"],
        programmes_completed=treatment["completed"],
        closures_compared=transitions.lowered + transitions.unchanged + transitions.raised,
        closures_lowered=transitions.lowered,
        decision_days_n=to_decision.n,
        decision_days_median=to_decision.median,
        contact_days_n=to_contact.n,
        contact_days_median=to_contact.median,
        incident_cases=len(incidents.cases),
        incidents_median_before=incidents.median_before,
        incidents_median_after=incidents.median_after,
        victims_measured_twice=victims.measured_twice,
        victims_safer=victims.safety.improved,
        victims_wellbeing_better=victims.wellbeing.improved,
    )


def _start_of_today() -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate(), time.min))


def figures_for(units: Sequence[Unit], period: Period) -> list[StoredFigures]:
    """The figures of each unit over the period, in the order of `units`: stored ones when
    computed today at the current version (one query for all), the others computed and stored
    now. The caller has checked that the reader may see every unit's aggregates, and audits."""
    fresh = {
        row.unit_id: row
        for row in UnitFigures.objects.filter(
            unit__in=[unit.pk for unit in units],
            start=period.start,
            end=period.end,
            version=FIGURES_VERSION,
            computed_at__gte=_start_of_today(),
        )
    }
    result = []
    for unit in units:
        row = fresh.get(unit.pk)
        if row is None:
            row = store_figures(unit, period)
        result.append(StoredFigures(unit, period, Figures.from_json(row.figures), row.computed_at))
    return result


def store_figures(unit: Unit, period: Period) -> UnitFigures:
    """Compute the unit's figures over the period and keep them (replacing any older row)."""
    figures = compute_figures(unit, period)
    with transaction.atomic():
        row, _ = UnitFigures.objects.update_or_create(
            unit=unit,
            start=period.start,
            end=period.end,
            defaults={"version": FIGURES_VERSION, "computed_at": timezone.now(), "figures": figures.as_json()},
        )
    return row


# --- the periods commissioners compare ---------------------------------------------------------


def quarter_of(day: date) -> Period:
    first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    next_first = date(first.year + (first.month + 2) // 12, (first.month + 2) % 12 + 1, 1)
    return Period(first, next_first - timedelta(days=1))


def quarter_label(period: Period) -> str:
    return f"Q{(period.start.month - 1) // 3 + 1} {period.start.year}"


def last_quarters(today: date, count: int = 8) -> list[Period]:
    """The last `count` completed calendar quarters, most recent first."""
    quarters = []
    day = quarter_of(today).start - timedelta(days=1)
    for _ in range(count):
        quarter = quarter_of(day)
        quarters.append(quarter)
        day = quarter.start - timedelta(days=1)
    return quarters


def quarter_to_date(today: date) -> Period | None:
    """The current quarter to yesterday; None on the quarter's first day (nothing to count yet)."""
    start = quarter_of(today).start
    return Period(start, today - timedelta(days=1)) if today > start else None


def twelve_months(today: date) -> Period:
    """The 12 months (365 days) to yesterday: the comparison's default period."""
    yesterday = today - timedelta(days=1)
    return Period(yesterday - timedelta(days=364), yesterday)


PERIOD_KINDS = ("quarters", "quarter-to-date", "twelve-months")


def standard_period_choices(today: date | None = None) -> list[tuple[str, Period]]:
    """The standard periods with the names the page gives them, most recent first."""
    today = today or timezone.localdate()
    choices = [("12 months to yesterday", twelve_months(today))]
    current = quarter_to_date(today)
    if current is not None:
        choices.append((f"{quarter_label(current)} to date", current))
    choices += [(quarter_label(quarter), quarter) for quarter in last_quarters(today)]
    return choices


def standard_periods(today: date | None = None, kinds: Sequence[str] = PERIOD_KINDS) -> list[Period]:
    """The periods precomputed every night, of the kinds asked (all by default)."""
    today = today or timezone.localdate()
    periods: list[Period] = []
    if "quarters" in kinds:
        periods += last_quarters(today)
    current = quarter_to_date(today)
    if "quarter-to-date" in kinds and current is not None:
        periods.append(current)
    if "twelve-months" in kinds:
        periods.append(twelve_months(today))
    return periods
