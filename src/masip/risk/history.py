"""A case's risk over time, as one viewer may see it: dated points from completed assessments and
formulations, risk events and red flags. Reads are scoped with visible_to and audited.

The case's current risk and the day it was last assessed come from the case itself: they are
shown to the whole case team, whatever compartments the points behind them are in.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.http import HttpRequest

from masip.access.lookup import get_visible_or_404
from masip.audit.models import AuditAction
from masip.audit.services import audit_listing, audit_record
from masip.cases.models import Case
from masip.risk.models import Assessment, AssessmentStatus, Formulation, RiskEvent, RiskScenario
from masip.timeline.models import RedFlagAlert

MARKER_EVENT = "event"
MARKER_RED_FLAG = "red_flag"


@dataclass(frozen=True)
class RiskPoint:
    """One completed assessment or formulation: the level it set (a formulation's risk state)
    and, for a formulation, its risk status."""

    day: date
    level: str
    source: str  # "Instrument v1" or "Formulation"
    kind: str  # "assessment" or "formulation"
    assessor: str
    status: str = ""  # risk status (formulations only)
    object_id: str = ""
    raised_from: str = ""  # the level the answers gave, when judgement raised it (assessments only)


@dataclass(frozen=True)
class RiskMarker:
    """Something dated that bears on risk: a risk event (or, later, a red flag)."""

    day: date
    kind: str  # MARKER_EVENT or MARKER_RED_FLAG
    label: str
    compartment: str = ""
    object_id: str = ""


@dataclass(frozen=True)
class TableRow:
    day: date
    point: RiskPoint | None = None
    markers: list[RiskMarker] = field(default_factory=list)


@dataclass(frozen=True)
class RiskHistory:
    case: Case
    points: list[RiskPoint]  # oldest first
    markers: list[RiskMarker]  # oldest first
    rows: list[TableRow]  # newest first

    @property
    def empty(self) -> bool:
        return not self.points and not self.markers


def red_flag_markers(*, user: Any, case: Case) -> list[RiskMarker]:
    """The case's red flags `user` may see, as markers on the day of the latest fact each rests on
    (one query), their listing audited; the chart and the table show them beside the events."""
    alerts = list(
        RedFlagAlert.objects.visible_to(user)
        .filter(case=case)
        .only("pk", "case_id", "occurred_on", "title", "compartment", "created_at")
        .order_by("occurred_on", "created_at")
    )
    audit_listing(
        actor=user,
        unit=case.unit,
        case_id=case.pk,
        request=None,
        object_type="timeline.redflagalert",
        ids=[str(a.pk) for a in alerts],
    )
    return [RiskMarker(a.occurred_on, MARKER_RED_FLAG, a.title, a.compartment, str(a.pk)) for a in alerts]


def risk_history_for(*, user: Any, case: Case, request: HttpRequest | None = None) -> RiskHistory:
    """The points and markers of `case` the user may see (three queries whatever their number),
    the listing audited per kind."""
    assessments = list(
        Assessment.objects.visible_to(user)
        .filter(case=case, status=AssessmentStatus.COMPLETED)
        .exclude(level="")
        .select_related("instrument_version__instrument", "assessor")
        .only(
            "pk",
            "assessed_on",
            "level",
            "completed_at",
            "case_id",
            "instrument_version__version",
            "instrument_version__instrument__name",
            "assessor__full_name",
            "assessor__email",
        )
    )
    formulations = list(
        Formulation.objects.visible_to(user)
        .filter(case=case, status=AssessmentStatus.COMPLETED)
        .exclude(risk_state="")
        .select_related("assessor")
        .only(
            "pk",
            "assessed_on",
            "risk_state",
            "risk_status",
            "completed_at",
            "case_id",
            "assessor__full_name",
            "assessor__email",
        )
    )
    events = list(
        RiskEvent.objects.visible_to(user)
        .filter(case=case)
        .only("pk", "kind", "occurred_on", "compartment", "case_id", "created_at")
    )
    dated = [
        (
            a.assessed_on,
            a.completed_at,
            RiskPoint(
                a.assessed_on,
                a.level,
                f"{a.instrument_version.instrument.name} v{a.instrument_version.version}",
                "assessment",
                str(a.assessor),
                object_id=str(a.pk),
                raised_from=a.computed_level if a.raised else "",
            ),
        )
        for a in assessments
    ] + [
        (
            f.assessed_on,
            f.completed_at,
            RiskPoint(
                f.assessed_on, f.risk_state, "Formulation", "formulation", str(f.assessor), f.risk_status, str(f.pk)
            ),
        )
        for f in formulations
    ]
    dated.sort(key=lambda row: (row[0], row[1] is None, row[1]))
    points = [row[2] for row in dated]
    markers = [
        RiskMarker(e.occurred_on, MARKER_EVENT, e.get_kind_display(), e.compartment, str(e.pk))
        for e in sorted(events, key=lambda e: (e.occurred_on, e.created_at))
    ]
    markers += red_flag_markers(user=user, case=case)
    markers.sort(key=lambda m: m.day)
    audit_listing(
        actor=user,
        unit=case.unit,
        case_id=case.pk,
        request=request,
        object_type="risk.assessment",
        ids=[str(a.pk) for a in assessments],
    )
    audit_listing(
        actor=user,
        unit=case.unit,
        case_id=case.pk,
        request=request,
        object_type="risk.formulation",
        ids=[str(f.pk) for f in formulations],
    )
    audit_listing(
        actor=user,
        unit=case.unit,
        case_id=case.pk,
        request=request,
        object_type="risk.riskevent",
        ids=[str(e.pk) for e in events],
    )
    return RiskHistory(case, points, markers, _rows(points, markers))


def _rows(points: list[RiskPoint], markers: list[RiskMarker]) -> list[TableRow]:
    """One row per point, newest first; markers go on the row of a point of the same day, or on
    a row of their own."""
    by_day: dict[date, list[RiskMarker]] = defaultdict(list)
    for marker in markers:
        by_day[marker.day].append(marker)
    rows = []
    days_with_points = {p.day for p in points}
    seen: set[date] = set()
    for point in points:
        first = point.day not in seen
        seen.add(point.day)
        rows.append(TableRow(point.day, point, by_day[point.day] if first else []))
    rows += [TableRow(day, None, found) for day, found in by_day.items() if day not in days_with_points]
    rows.sort(key=lambda row: row.day, reverse=True)
    return rows


# --- formulations ---------------------------------------------------------------------------------


def formulations_for(*, user: Any, case: Case) -> list[Formulation]:
    """The case's formulations the user may see, newest first (no free text is read)."""
    return list(
        Formulation.objects.visible_to(user)
        .filter(case=case)
        .select_related("assessor")
        .only(
            "pk",
            "assessed_on",
            "status",
            "compartment",
            "risk_state",
            "case_id",
            "assessor__full_name",
            "assessor__email",
        )
        .order_by("-assessed_on", "-created_at")
    )


def formulation_get_for(
    *, user: Any, case: Case, formulation_id: Any, request: HttpRequest | None = None
) -> Formulation:
    """One formulation of `case` the user may see, with its scenarios, its reading audited;
    otherwise the audited 404 (the same for missing and outside the user's compartments)."""
    found = Formulation.objects.visible_to(user).filter(case=case).select_related("case", "case__unit", "assessor")
    formulation = get_visible_or_404(found, formulation_id, user=user, request=request)
    formulation.scenario_list = list(
        RiskScenario.unscoped.filter(formulation=formulation).order_by("position", "created_at")
    )
    audit_record(
        action=AuditAction.VIEW,
        actor=user,
        request=request,
        unit=case.unit,
        obj=formulation,
        case_id=case.pk,
        fields=["stalker_type", "domains", "risk_status", "risk_state", "scenarios", "recommendations"],
    )
    return formulation


def risk_event_get_for(*, user: Any, case: Case, event_id: Any, request: HttpRequest | None = None) -> RiskEvent:
    """One risk event of `case` the user may see, its reading audited; otherwise the audited 404."""
    event = get_visible_or_404(
        RiskEvent.objects.visible_to(user).filter(case=case).select_related("created_by"),
        event_id,
        user=user,
        request=request,
    )
    audit_record(
        action=AuditAction.VIEW,
        actor=user,
        request=request,
        unit=case.unit,
        obj=event,
        case_id=case.pk,
        fields=["kind", "occurred_on", "details"],
    )
    return event
