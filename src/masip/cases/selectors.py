"""Reads of cases that views and the API share. All of them are scoped with visible_to."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from masip.access.lookup import get_visible_or_404
from masip.access.policy import Action, Capability, Compartment
from masip.access.principal import principal_for
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.cases.models import Case, CaseNote


class BreakGlassRequired(Exception):
    """The case exists in the user's unit, outside their caseload, and they may break glass."""

    def __init__(self, case_id: uuid.UUID) -> None:
        super().__init__("break-glass required")
        self.case_id = case_id


def case_list_for(*, user: Any) -> QuerySet[Case]:
    return Case.objects.visible_to(user).select_related("unit", "lead_agency")


def case_get_for(*, user: Any, case_id: Any, request: HttpRequest | None = None) -> Case:
    """One case the user may see, its reading audited; otherwise Http404 (audited as refused).

    A case of a unit where the user holds the break-glass capability, but outside their
    caseload, raises BreakGlassRequired instead, so the view can ask for a reason.
    """
    principal = principal_for(user)
    glass_units = principal.units_with(Capability.BREAK_GLASS)
    if glass_units:
        try:
            wanted = uuid.UUID(str(case_id))
        except ValueError:
            wanted = None
        if (
            wanted is not None
            and not Case.objects.visible_to(user).filter(pk=wanted).exists()
            and Case.objects.filter(pk=wanted, unit_id__in=glass_units).exists()
        ):
            raise BreakGlassRequired(wanted)
    case = get_visible_or_404(Case.objects.visible_to(user).select_related("unit"), case_id, user=user, request=request)
    audit_record(action=AuditAction.VIEW, actor=user, request=request, unit=case.unit, obj=case, case_id=case.pk)
    return case


def case_notes_for(*, user: Any, case: Case) -> QuerySet[CaseNote]:
    """The case's notes in compartments the user may view."""
    return CaseNote.objects.visible_to(user, Action.VIEW).filter(case=case).select_related("created_by")


def victim_contact_visible(*, user: Any, case: Case) -> bool:
    return principal_for(user).may(case.unit_id, Compartment.VICTIM_CONTACT, Action.VIEW)
