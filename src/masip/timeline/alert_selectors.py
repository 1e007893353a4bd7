"""Reads of red-flag alerts that pages share: always scoped by `visible_to`, so an alert kept in a
restricted compartment is listed only to those who may read that compartment. Each page that
shows alerts audits what it listed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Case as When_
from django.db.models import IntegerField, Prefetch, QuerySet, Value, When
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from masip.access.lookup import get_visible_or_404
from masip.access.models import CaseTeamMember
from masip.access.policy import Capability
from masip.access.principal import principal_for
from masip.audit.models import AuditAction
from masip.audit.services import audit_listings_by_unit, audit_record
from masip.cases.models import Case, CaseStatus
from masip.timeline.models import AlertStatus, RedFlagAlert, TimelineEntry

ALERT_TYPE = "timeline.redflagalert"


@dataclass(frozen=True)
class EntryLink:
    """An entry an alert rests on: its day, its behaviours, and its page once there is one."""

    entry: TimelineEntry
    url: str | None


def _open_first(alerts: QuerySet[RedFlagAlert]) -> QuerySet[RedFlagAlert]:
    return alerts.annotate(
        acknowledged=When_(When(status=AlertStatus.OPEN, then=Value(0)), default=Value(1), output_field=IntegerField())
    ).order_by("acknowledged", "-occurred_on", "-created_at")


def _entry_url(case_id: Any, entry_id: Any) -> str | None:
    try:
        return reverse("timeline:entry_detail", kwargs={"case_id": case_id, "entry_id": entry_id})
    except NoReverseMatch:  # the entry pages are not installed
        return None


def _audit(*, user: Any, request: HttpRequest | None, alerts: list[RedFlagAlert]) -> None:
    """One `view` row per unit listing the alerts shown (their explanations were on the page)."""
    audit_listings_by_unit(
        actor=user, object_type=ALERT_TYPE, rows=((a.case.unit, a.pk) for a in alerts), request=request
    )


def case_alerts_for(*, user: Any, case: Case, request: HttpRequest | None = None) -> list[RedFlagAlert]:
    """The case's alerts the user may read, open first then newest, each with `entry_links`: the
    entries it rests on that the user may read (all of them: an alert is kept in the compartment
    of its narrowest fact). Three queries; the listing is audited."""
    entries = TimelineEntry.objects.visible_to(user).prefetch_related("behaviours").order_by("occurred_on")
    alerts = list(
        _open_first(RedFlagAlert.objects.visible_to(user).filter(case=case))
        .select_related("acknowledged_by", "case__unit")
        .prefetch_related(Prefetch("entries", queryset=entries))
    )
    for alert in alerts:
        alert.entry_links = [EntryLink(e, _entry_url(case.pk, e.pk)) for e in alert.entries.all()]  # type: ignore[attr-defined]
    _audit(user=user, request=request, alerts=alerts)
    return alerts


def alert_get_for(*, user: Any, case: Case, alert_id: Any, request: HttpRequest | None = None) -> RedFlagAlert:
    """One alert of `case` the user may read, its reading audited; otherwise the audited 404."""
    alerts = RedFlagAlert.objects.visible_to(user).filter(case=case).select_related("case__unit", "acknowledged_by")
    alert = get_visible_or_404(alerts, alert_id, user=user, request=request)
    audit_record(
        action=AuditAction.VIEW,
        actor=user,
        request=request,
        unit=case.unit,
        obj=alert,
        case_id=case.pk,
        fields=["title", "explanation", "status", "acknowledgement"],
    )
    return alert


def open_alerts_on_my_cases(*, user: Any, request: HttpRequest | None = None) -> list[RedFlagAlert]:
    """Open alerts the user may read on the open cases where they are on the case team ("My
    work"). One query; the listing is audited."""
    mine = CaseTeamMember.objects.active().filter(user_id=principal_for(user).user_id).values("case_id")
    alerts = list(
        RedFlagAlert.objects.visible_to(user)
        .filter(case_id__in=mine, status=AlertStatus.OPEN)
        .exclude(case__status=CaseStatus.CLOSED)
        .select_related("case__unit")
        .defer("case__summary")
        .order_by("-occurred_on", "-created_at")
    )
    _audit(user=user, request=request, alerts=alerts)
    return alerts


def unit_open_alerts_for(*, user: Any, request: HttpRequest | None = None) -> list[RedFlagAlert]:
    """Open alerts the user may read on the open cases of the units whose caseload they oversee
    (the manager's caseloads page and the unit alerts page). One query; the listing is audited."""
    units = principal_for(user).units_with(Capability.OVERSEE_UNIT_CASELOAD)
    alerts = list(
        RedFlagAlert.objects.visible_to(user)
        .filter(case__unit_id__in=units, status=AlertStatus.OPEN)
        .exclude(case__status=CaseStatus.CLOSED)
        .select_related("case__unit")
        .defer("case__summary")
        .order_by("case__unit__name", "-occurred_on", "-created_at")
    )
    _audit(user=user, request=request, alerts=alerts)
    return alerts
