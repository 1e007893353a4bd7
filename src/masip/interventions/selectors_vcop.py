"""Reads of the Victims' Code part, always scoped by `visible_to`; each page audits what it shows.

An update is overdue once its due working day has ended without it being given: open, and
`due_on` before today (Europe/London). Selectors take `today` so a page, a test or a report can
ask about any day."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from masip.access.lookup import get_visible_or_404
from masip.access.policy import Capability
from masip.access.principal import principal_for
from masip.audit.models import AuditAction
from masip.audit.services import audit_listing, audit_listings_by_unit, audit_record
from masip.cases.models import Case, CaseParticipant, CaseStatus, ParticipantRole
from masip.interventions.models_vcop import (
    VcopUpdateDue,
    VcopUpdateKind,
    VcopUpdateStatus,
    VcopVictimSettings,
    VcopView,
)

UPDATE_TYPE = "interventions.vcopupdatedue"


def is_overdue(update: VcopUpdateDue, today: date) -> bool:
    return update.status == VcopUpdateStatus.OPEN and update.due_on < today


@dataclass
class VictimRow:
    """One victim on the Victims' Code page: what was agreed (None: the defaults), their views,
    and their updates, open first."""

    participant: CaseParticipant
    settings: VcopVictimSettings | None
    views: list[VcopView] = field(default_factory=list)
    updates: list[VcopUpdateDue] = field(default_factory=list)

    @property
    def enhanced_rights(self) -> bool:
        return True if self.settings is None else self.settings.enhanced_rights


def _victims(user: Any, case: Case) -> Any:
    return (
        CaseParticipant.objects.visible_to(user)
        .filter(case=case, role=ParticipantRole.VICTIM)
        .select_related("person")
        .order_by("ended_at", "created_at")
    )


def vcop_page_for(
    *, user: Any, case: Case, today: date | None = None, request: HttpRequest | None = None
) -> list[VictimRow]:
    """Every victim of the case with their agreement, views and updates (each update marked
    `overdue`). Four queries; the agreements, views and updates shown are audited."""
    today = today or timezone.localdate()
    victims = list(_victims(user, case))
    settings = {s.participant_id: s for s in VcopVictimSettings.objects.visible_to(user).filter(case=case)}
    rows = {v.pk: VictimRow(participant=v, settings=settings.get(v.pk)) for v in victims}
    views = list(VcopView.objects.visible_to(user).filter(case=case).select_related("created_by"))
    for view in views:
        if view.participant_id in rows:
            rows[view.participant_id].views.append(view)
    updates = list(
        VcopUpdateDue.objects.visible_to(user)
        .filter(case=case)
        .exclude(status=VcopUpdateStatus.WITHDRAWN)
        .select_related("event", "sent_by")
        .order_by("status", "due_on", "created_at")
    )
    for update in updates:
        update.overdue = is_overdue(update, today)
        if update.participant_id in rows:
            rows[update.participant_id].updates.append(update)
    for object_type, ids, fields in (
        ("interventions.vcopvictimsettings", [s.pk for s in settings.values()], ["enhanced_reason"]),
        ("interventions.vcopview", [v.pk for v in views], ["views"]),
        (UPDATE_TYPE, [u.pk for u in updates], ["summary"]),
    ):
        audit_listing(
            actor=user,
            object_type=object_type,
            ids=ids,
            unit=case.unit,
            case_id=case.pk,
            fields=fields,
            request=request,
        )
    return list(rows.values())


def victim_get_for(
    *, user: Any, case: Case, participant_id: Any, request: HttpRequest | None = None
) -> CaseParticipant:
    """A current victim of `case` the user may read, or the audited 404."""
    victims = _victims(user, case).filter(ended_at__isnull=True).select_related("vcop_settings")
    return get_visible_or_404(victims, participant_id, user=user, request=request)


def update_get_for(*, user: Any, case: Case, update_id: Any, request: HttpRequest | None = None) -> VcopUpdateDue:
    """One update of `case` the user may read, its reading audited; otherwise the audited 404."""
    updates = (
        VcopUpdateDue.objects.visible_to(user)
        .filter(case=case)
        .select_related("case__unit", "event", "participant__person", "sent_by")
    )
    update = get_visible_or_404(updates, update_id, user=user, request=request)
    audit_record(
        action=AuditAction.VIEW,
        actor=user,
        request=request,
        unit=case.unit,
        obj=update,
        case_id=case.pk,
        fields=["status", "due_on", "summary"],
    )
    return update


def case_update_counts(*, user: Any, case: Case, today: date | None = None) -> dict[str, int]:
    """How many of the case's updates the user may read are still to be given, and how many of
    those are overdue, for the case page. One query; counts only, so nothing to audit."""
    today = today or timezone.localdate()
    due_days = list(
        VcopUpdateDue.objects.visible_to(user)
        .filter(case=case, status=VcopUpdateStatus.OPEN)
        .values_list("due_on", flat=True)
    )
    return {"open": len(due_days), "overdue": sum(1 for d in due_days if d < today)}


def unit_overdue_updates_for(
    *, user: Any, today: date | None = None, request: HttpRequest | None = None
) -> list[VcopUpdateDue]:
    """Overdue updates (of events, and regular ones of victims still involved) the user may read
    on the open cases of the units whose caseload they oversee, longest overdue first. One
    query; the listing is audited per unit."""
    today = today or timezone.localdate()
    units = principal_for(user).units_with(Capability.OVERSEE_UNIT_CASELOAD)
    updates = list(
        VcopUpdateDue.objects.visible_to(user)
        .filter(case__unit_id__in=units, status=VcopUpdateStatus.OPEN, due_on__lt=today)
        .exclude(case__status=CaseStatus.CLOSED)
        .exclude(kind=VcopUpdateKind.REGULAR, participant__ended_at__isnull=False)
        .select_related("case__unit", "event")
        .defer("case__summary", "case__closure_details", "summary")
        .order_by("due_on", "case__reference")
    )
    audit_listings_by_unit(
        actor=user, object_type=UPDATE_TYPE, rows=((u.case.unit, u.pk) for u in updates), request=request
    )
    return updates


__all__ = [
    "VictimRow",
    "case_update_counts",
    "is_overdue",
    "unit_overdue_updates_for",
    "update_get_for",
    "vcop_page_for",
    "victim_get_for",
]


def victim_settings_for(*, user: Any, participant: CaseParticipant) -> VcopVictimSettings | None:
    """The victim's agreed updates and rights, if recorded and the user may read them."""
    return VcopVictimSettings.objects.visible_to(user).filter(participant=participant).first()
