"""What the unit dashboard shows: every measure for one unit over one period, aggregates only
(no case, person or reference), and its reading audited.

Counting a busy unit's measures takes most of a second at ten years' size (bench/results/
reports.md), so the dashboard keeps what it counted (`DashboardFigures`, one row per unit and
period): a reading the same day shows the stored figures with the time they were counted, and
the reader may count again at once. `manage.py reports_precompute` counts the default period
of every unit after midnight, so the first reader of the day does not wait.
"""

from __future__ import annotations

import dataclasses
import types
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, TypedDict, Union, cast, get_args, get_origin, get_type_hints

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from masip.access.policy import Capability
from masip.access.principal import principal_for
from masip.accounts.models import Unit
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.reports import charts, measures
from masip.reports.models import DashboardFigures
from masip.reports.period import Period

# The shape of the stored figures: change `Dashboard` (a field added, renamed or counted
# differently) and bump it, and every stored row of another version is counted again when read.
DASHBOARD_VERSION = 1


def units_reported(*, user: Any) -> list[Unit]:
    """The units whose aggregates the user may read, by name."""
    return list(Unit.objects.filter(pk__in=principal_for(user).units_with(Capability.VIEW_AGGREGATES)).order_by("name"))


@dataclass(frozen=True)
class Dashboard:
    unit: Unit
    period: Period
    referrals_per_month: tuple[measures.Counted, ...]
    referrals_by_source: tuple[measures.Counted, ...]
    decisions: tuple[measures.Counted, ...]
    time_to_decision: measures.Days
    time_to_first_contact: measures.Days
    open_caseload_by_risk: tuple[measures.Counted, ...]
    red_flags: tuple[measures.Counted, ...]
    orders: tuple[measures.Counted, ...]
    vcop_on_time: tuple[measures.Counted, ...]
    interventions: tuple[measures.Counted, ...]
    closures_by_reason: tuple[measures.Counted, ...]
    risk_transitions: measures.RiskTransitions
    incidents_median_before: float | None
    incidents_median_after: float | None
    incidents_cases: int
    re_referrals: measures.ReReferrals
    treatment_completion: tuple[measures.Counted, ...]
    time_to_decision_bands: tuple[measures.Counted, ...]
    victim_change: measures.VictimChange
    # When these figures were counted (None: just now, not stored).
    counted_at: datetime | None = None

    @property
    def charts(self) -> dict[str, charts.Chart]:
        """The pictures of the page; each table beside them carries the same numbers."""
        return {
            "per_month": charts.vertical_bar_chart(
                title="Referrals received each month",
                items=[(row.label, row.count) for row in self.referrals_per_month],
                label_header="Month",
                value_header="Referrals",
            ),
            "decisions": charts.horizontal_bar_chart(
                title="Decisions made",
                items=[(row.label, row.count) for row in self.decisions],
                label_header="Decision",
                value_header="Referrals",
            ),
            "time_to_decision": charts.vertical_bar_chart(
                title="Days from referral to decision",
                items=[(row.label, row.count) for row in self.time_to_decision_bands],
                label_header="Days to decision",
                value_header="Referrals",
            ),
            "risk_transitions": charts.horizontal_bar_chart(
                title="Risk at closure compared with intake",
                items=[(row.label, row.count) for row in self.risk_changes],
                label_header="Risk level at closure",
                value_header="Cases closed",
            ),
        }

    @property
    def victim_change_rows(self) -> list[tuple[str, measures.ScaleChange]]:
        return [("Feeling of safety", self.victim_change.safety), ("Wellbeing", self.victim_change.wellbeing)]

    @property
    def risk_changes(self) -> tuple[measures.Counted, ...]:
        """The closures of the period by how the risk level moved from intake to closure."""
        moved = self.risk_transitions
        return (
            measures.Counted("lowered", "Lowered", moved.lowered),
            measures.Counted("unchanged", "Unchanged", moved.unchanged),
            measures.Counted("raised", "Raised", moved.raised),
            measures.Counted("not_assessed", "Not assessed at intake", moved.not_assessed_at_intake),
        )

    @property
    def referrals_received(self) -> int:
        return sum(row.count for row in self.referrals_by_source)

    @property
    def decided(self) -> int:
        return sum(row.count for row in self.decisions)

    @property
    def is_empty(self) -> bool:
        return not self.referrals_received and not self.decided and not any(r.count for r in self.open_caseload_by_risk)


class _Scope(TypedDict):
    unit_ids: list[int]
    period: Period


def dashboard_for(
    *, user: Any, unit: Unit, period: Period, request: HttpRequest | None = None, recount: bool = False
) -> Dashboard:
    """Every measure of the unit over the period, as stored today or counted now (`recount`:
    counted now whatever is stored). The caller has checked that the user may read the unit's
    aggregates (units_reported). The reading is audited with the period only."""
    dashboard = stored_dashboard(unit=unit, period=period, recount=recount)
    audit_record(
        action=AuditAction.VIEW,
        actor=user,
        request=request,
        unit=unit,
        object_type="reports.dashboard",
        object_id=unit.pk,
        detail={"event": "unit_dashboard", "start": period.start.isoformat(), "end": period.end.isoformat()},
    )
    return dashboard


def dashboard_figures(*, unit: Unit, period: Period) -> Dashboard:
    """Every measure of the unit over the period, not audited: for a caller that audits its own
    reading (the dashboard above, the quarterly report)."""
    scope = _Scope(unit_ids=[unit.pk], period=period)
    incidents = measures.incidents_per_month(**scope)
    to_decision, decision_bands = measures.time_to_decision_and_bands(**scope)
    return Dashboard(
        unit=unit,
        period=period,
        referrals_per_month=measures.referrals_per_month(**scope),
        referrals_by_source=measures.referrals_by_source(**scope),
        decisions=measures.decisions(**scope),
        time_to_decision=to_decision,
        time_to_first_contact=measures.time_to_first_contact(**scope),
        open_caseload_by_risk=measures.open_caseload_by_risk(**scope),
        red_flags=measures.red_flags(**scope),
        orders=measures.orders(**scope),
        vcop_on_time=measures.vcop_on_time(**scope),
        interventions=measures.interventions(**scope),
        closures_by_reason=measures.closures_by_reason(**scope),
        risk_transitions=measures.risk_transitions(**scope),
        incidents_median_before=incidents.median_before,
        incidents_median_after=incidents.median_after,
        incidents_cases=len(incidents.cases),
        re_referrals=measures.re_referrals(**scope),
        treatment_completion=measures.treatment_completion(**scope),
        time_to_decision_bands=decision_bands,
        victim_change=measures.victim_reported_change(**scope),
    )


_NOT_STORED = {"unit", "period", "counted_at"}


def stored_dashboard(*, unit: Unit, period: Period, recount: bool = False) -> Dashboard:
    """The unit's dashboard over the period: the stored figures when they were counted today (UK
    day) at the current version, otherwise (or with `recount`) counted now and stored, replacing
    any older row. Not audited: for callers that audit their reading."""
    if not recount:
        row = DashboardFigures.objects.filter(
            unit=unit,
            start=period.start,
            end=period.end,
            version=DASHBOARD_VERSION,
            computed_at__gte=timezone.make_aware(datetime.combine(timezone.localdate(), time.min)),
        ).first()
        if row is not None:
            return _from_json(Dashboard, {**row.figures, "unit": unit, "period": period, "counted_at": row.computed_at})
    dashboard = dashboard_figures(unit=unit, period=period)
    counted_at = timezone.now()
    figures = {k: v for k, v in dataclasses.asdict(dashboard).items() if k not in _NOT_STORED}
    with transaction.atomic():
        DashboardFigures.objects.update_or_create(
            unit=unit,
            start=period.start,
            end=period.end,
            defaults={"version": DASHBOARD_VERSION, "computed_at": counted_at, "figures": figures},
        )
    return dataclasses.replace(dashboard, counted_at=counted_at)


def _from_json(kind: Any, value: Any) -> Any:
    """A value of type `kind` from its JSON form (dataclasses.asdict, then JSON): dataclasses by
    their fields' types, tuples item by item, optional values; numbers and text as they are."""
    if value is None:
        return None
    if dataclasses.is_dataclass(kind):
        hints = get_type_hints(kind)
        fields = {
            name: entry if name in _NOT_STORED else _from_json(hints[name], entry) for name, entry in value.items()
        }
        return cast(Any, kind)(**fields)
    origin = get_origin(kind)
    if origin is tuple:
        item = get_args(kind)[0]
        return tuple(_from_json(item, entry) for entry in value)
    if origin in (Union, types.UnionType):
        (present,) = [arg for arg in get_args(kind) if arg is not type(None)]
        return _from_json(present, value)
    return value
