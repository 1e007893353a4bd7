"""What the cross-unit comparison shows: the figures of several units over one period side by
side, small numbers suppressed, rates with their 95% Wilson intervals, and the reading audited.

Suppression (`reports.suppression`, threshold 5):
- counts by category (decisions, closures by reason, open caseload by risk) are a units x
  category table with totals; "All units" is the row of column totals;
- referrals received is one list over the units, its total the "All units" figure;
- a rate is a units x (counted, not counted) table whose row totals are its denominators: the
  rate, its interval and its numerator are shown only when the counted cell and the row total
  are shown (showing k of n would give away n - k, so a small "not counted" hides the rate too);
- a median and its n are shown when n is at least 5 (n under 5 reads "<5").
Nothing here names a case, a person or a reference.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils.safestring import SafeString

from masip.accounts.models import Unit
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.cases.models import ClosureReason, RiskLevel
from masip.referrals.models import TriageDecision
from masip.reports import charts, stats
from masip.reports.comparison import Figures, StoredFigures, figures_for
from masip.reports.period import Period
from masip.reports.suppression import DEFAULT_THRESHOLD, Cell, Suppression, Table, suppress_list, suppress_table

ALL_UNITS = "All units"


@dataclass(frozen=True)
class RateLine:
    """One unit's (or all units') rate: the counts as shown and, when they may be shown, the
    rate and its interval; otherwise `hidden` says why."""

    label: str
    counted: Cell
    of: Cell
    interval: stats.Interval | None
    hidden: str  # "" when the rate is shown, or when there is nothing to count

    @property
    def no_data(self) -> bool:
        return self.interval is None and not self.hidden

    @property
    def rate_text(self) -> str:
        return "" if self.interval is None else percent(self.interval.estimate)

    @property
    def interval_text(self) -> str:
        return "" if self.interval is None else f"{percent(self.interval.low)} to {percent(self.interval.high)}"


def percent(proportion: float) -> str:
    """A proportion as a percentage with one decimal: 0.6 -> "60.0%"."""
    return f"{100 * proportion:.1f}%"


@dataclass(frozen=True)
class Rate:
    key: str
    title: str
    counted_label: str
    of_label: str
    lines: tuple[RateLine, ...]  # one per unit, then all units


@dataclass(frozen=True)
class MedianCell:
    n: Cell
    median: float | None  # None when n < threshold (or no data)


@dataclass(frozen=True)
class MedianRow:
    key: str
    label: str
    unit: str
    cells: tuple[MedianCell, ...]


@dataclass(frozen=True)
class IncidentLine:
    label: str
    cases: Cell
    median_before: float | None  # None when fewer than the threshold (or no case)
    median_after: float | None


@dataclass(frozen=True)
class Comparison:
    units: tuple[Unit, ...]
    period: Period
    computed_at: datetime  # the oldest of the figures shown
    referrals: tuple[Cell, ...]  # per unit
    referrals_total: Cell
    decisions: Table
    closures: Table
    open_caseload: Table
    rates: tuple[Rate, ...]
    medians: tuple[MedianRow, ...]
    incidents: tuple[IncidentLine, ...]
    threshold: int

    @property
    def chart(self) -> SafeString:
        """The share of decided referrals accepted, one bar per unit (hatched when not shown);
        empty when no unit's share may be shown (the page says so instead)."""
        accepted = self.rates[0]
        if all(line.interval is None for line in accepted.lines[:-1]):
            return SafeString("")
        items: list[tuple[str, int | Cell]] = []
        for line in accepted.lines[:-1]:
            if line.interval is not None:
                items.append((line.label, round(100 * line.interval.estimate)))
            else:
                reason = line.hidden or "no referral decided"
                items.append((line.label, Cell(None, Suppression.SECONDARY, "-", reason)))
        return charts.horizontal_bar_chart(
            title="Share of decided referrals accepted (%)",
            items=items,
            label_header="Unit",
            value_header="Accepted (%)",
            chart_id="chart-accepted",
        ).svg


def _suppressed(columns: tuple[str, ...], rows: tuple[tuple[str, tuple[int, ...]], ...]) -> Table:
    return suppress_table(columns=columns, rows=rows)


def _table(units: Sequence[StoredFigures], choices: Sequence[tuple[str, Any]], field: str) -> Table:
    return _suppressed(
        tuple(str(label) for _, label in choices),
        tuple((row.unit.name, tuple(getattr(row.figures, field).get(key, 0) for key, _ in choices)) for row in units),
    )


def _why_hidden(counted: Cell, rest: Cell, of: Cell, threshold: int) -> str:
    if of.suppression == Suppression.PRIMARY:
        return f"fewer than {threshold} in all"
    if counted.suppression == Suppression.PRIMARY:
        return f"fewer than {threshold} counted"
    if rest.suppression == Suppression.PRIMARY:
        return f"fewer than {threshold} not counted"
    return "hidden so that a small number elsewhere in the table cannot be worked out"


def _rate(
    key: str,
    title: str,
    counted_label: str,
    of_label: str,
    units: Sequence[StoredFigures],
    pick: Callable[[Figures], tuple[int, int]],
) -> Rate:
    pairs = [pick(row.figures) for row in units]
    table = _suppressed(
        ("counted", "not counted"),
        tuple((row.unit.name, (k, n - k)) for row, (k, n) in zip(units, pairs, strict=True)),
    )
    lines = [(row.label, row.cells[0], row.cells[1], row.total) for row in table.rows]
    lines.append((ALL_UNITS, table.column_totals[0], table.column_totals[1], table.grand_total))
    shaped = []
    for label, counted, rest, of in lines:
        if counted.suppressed or of.suppressed:
            shaped.append(RateLine(label, counted, of, None, _why_hidden(counted, rest, of, table.threshold)))
        else:
            interval = stats.wilson(counted.value or 0, of.value or 0)  # shown cells carry their values
            shaped.append(RateLine(label, counted, of, interval, ""))
    return Rate(key, title, counted_label, of_label, tuple(shaped))


RATES: tuple[tuple[str, str, str, str, Callable[[Figures], tuple[int, int]]], ...] = (
    (
        "accepted",
        "Decided referrals accepted for unit risk management",
        "Accepted",
        "Decided",
        lambda f: (f.accepted, f.decided),
    ),
    (
        "vcop",
        "Victims' Code updates given on time",
        "On time",
        "Due and given, or overdue",
        lambda f: (f.vcop_on_time, f.vcop_due),
    ),
    (
        "flags",
        "Red flags acknowledged by the end of the period",
        "Acknowledged",
        "Raised",
        lambda f: (f.flags_acknowledged, f.flags_raised),
    ),
    (
        "re_referred",
        "Referred again within 12 months of closure",
        "Referred again",
        "Year of follow-up ended",
        lambda f: (f.re_referred, f.followed_up),
    ),
    (
        "treatment",
        "Treatment programmes completed",
        "Completed",
        "Ended",
        lambda f: (f.programmes_completed, f.programmes_ended),
    ),
    (
        "lowered",
        "Risk lowered at closure",
        "Lowered",
        "Closed with a level at intake and at closure",
        lambda f: (f.closures_lowered, f.closures_compared),
    ),
    (
        "safety",
        "Victims feeling safer (latest measure above the first)",
        "Safer",
        "Victims measured twice",
        lambda f: (f.victims_safer, f.victims_measured_twice),
    ),
    (
        "wellbeing",
        "Victims' wellbeing better (latest measure above the first)",
        "Better",
        "Victims measured twice",
        lambda f: (f.victims_wellbeing_better, f.victims_measured_twice),
    ),
)


def _median_cell(n: int, value: float | None, threshold: int) -> MedianCell:
    if 0 < n < threshold:
        return MedianCell(Cell(None, Suppression.PRIMARY, f"<{threshold}", f"fewer than {threshold}"), None)
    return MedianCell(Cell(n, Suppression.SHOWN, str(n), ""), value)


def comparison_for(
    *, user: Any, units: Sequence[Unit], period: Period, request: HttpRequest | None = None
) -> Comparison:
    """The comparison of the units over the period. The caller has checked that the user may
    read every unit's aggregates (units_reported). The reading is audited with the unit ids
    and the period."""
    stored = figures_for(units, period)
    threshold = DEFAULT_THRESHOLD
    referrals = suppress_list(items=[(row.unit.name, row.figures.referrals_received) for row in stored])
    medians = (
        MedianRow(
            "decision",
            "Days from referral to decision",
            "referrals decided",
            tuple(_median_cell(r.figures.decision_days_n, r.figures.decision_days_median, threshold) for r in stored),
        ),
        MedianRow(
            "contact",
            "Days from referral to first contact with the victim",
            "cases first contacted",
            tuple(_median_cell(r.figures.contact_days_n, r.figures.contact_days_median, threshold) for r in stored),
        ),
    )
    incidents = []
    for r in stored:
        before = _median_cell(r.figures.incident_cases, r.figures.incidents_median_before, threshold)
        after = r.figures.incidents_median_after if before.median is not None else None
        incidents.append(IncidentLine(r.unit.name, before.n, before.median, after))
    comparison = Comparison(
        units=tuple(units),
        period=period,
        computed_at=min(row.computed_at for row in stored),
        referrals=referrals.cells,
        referrals_total=referrals.total,
        decisions=_table(stored, TriageDecision.choices, "decisions"),
        closures=_table(stored, ClosureReason.choices, "closures"),
        open_caseload=_table(stored, RiskLevel.choices, "open_caseload"),
        rates=tuple(_rate(*spec[:4], stored, spec[4]) for spec in RATES),
        medians=medians,
        incidents=tuple(incidents),
        threshold=threshold,
    )
    audit_record(
        action=AuditAction.VIEW,
        actor=user,
        request=request,
        object_type="reports.comparison",
        detail={
            "event": "unit_comparison",
            "units": [unit.pk for unit in units],
            "start": period.start.isoformat(),
            "end": period.end.isoformat(),
        },
    )
    return comparison
