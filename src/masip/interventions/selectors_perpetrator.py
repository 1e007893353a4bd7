"""Reads of perpetrator interventions the pages share, scoped with visible_to (case and
compartment). Showing them is audited; fetching one by a URL id gives the same 404 for missing,
another case's and not visible."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from masip.access.lookup import get_visible_or_404
from masip.access.policy import Action, Compartment
from masip.access.principal import principal_for
from masip.audit.models import AuditAction
from masip.audit.services import audit_listing, audit_record
from masip.cases.models import Case
from masip.interventions.models_perpetrator import (
    InterventionKind,
    PerpetratorIntervention,
    ProgrammeSession,
    SuitabilityDecision,
)

LISTED_FIELDS = ["compartment", "ended_on", "kind", "participant", "provider", "started_on", "status"]
DETAIL_FIELDS = [*LISTED_FIELDS, "outcome"]
SESSION_FIELDS = ["attendance", "note", "number", "planned_on"]
DECISION_FIELDS = ["decided_on", "decision", "participant", "reasons", "review_on"]


def _interventions(user: Any, case: Case) -> QuerySet[PerpetratorIntervention]:
    return (
        PerpetratorIntervention.objects.visible_to(user, Action.VIEW)
        .filter(case=case)
        .select_related("participant__person", "created_by", "updated_by")
    )


def perpetrator_interventions_for(
    *, user: Any, case: Case, request: HttpRequest | None = None
) -> list[PerpetratorIntervention]:
    """The case's interventions in compartments the user may read, newest first (outcome not
    loaded); listing them is one audited consultation."""
    shown = list(_interventions(user, case).defer("outcome").order_by("-created_at"))
    audit_listing(
        actor=user,
        object_type=PerpetratorIntervention._meta.label_lower,
        ids=(i.pk for i in shown),
        unit=case.unit,
        case_id=case.pk,
        fields=LISTED_FIELDS,
        request=request,
    )
    return shown


def perpetrator_intervention_get_for(
    *, user: Any, case: Case, intervention_id: Any, request: HttpRequest | None = None
) -> PerpetratorIntervention:
    """One intervention of `case` the user may read, with its outcome; the read is audited."""
    intervention = get_visible_or_404(_interventions(user, case), intervention_id, user=user, request=request)
    intervention.case = case
    audit_record(
        action=AuditAction.VIEW,
        actor=user,
        request=request,
        unit=case.unit,
        obj=intervention,
        case_id=case.pk,
        fields=DETAIL_FIELDS,
    )
    return intervention


def perpetrator_programme_get_for(
    *, user: Any, case: Case, programme_id: Any, request: HttpRequest | None = None
) -> PerpetratorIntervention:
    """A treatment programme of `case` the user may read (any other intervention is a 404)."""
    queryset = _interventions(user, case).filter(kind=InterventionKind.TREATMENT_PROGRAMME)
    programme = get_visible_or_404(queryset, programme_id, user=user, request=request)
    programme.case = case
    audit_record(
        action=AuditAction.VIEW,
        actor=user,
        request=request,
        unit=case.unit,
        obj=programme,
        case_id=case.pk,
        fields=DETAIL_FIELDS,
    )
    return programme


def programme_sessions_for(
    *, user: Any, programme: PerpetratorIntervention, request: HttpRequest | None = None
) -> list[ProgrammeSession]:
    """The programme's sessions the user may read, in order; showing them is audited."""
    sessions = list(
        ProgrammeSession.objects.visible_to(user, Action.VIEW)
        .filter(programme=programme)
        .select_related("recorded_by")
        .order_by("number")
    )
    audit_listing(
        actor=user,
        object_type=ProgrammeSession._meta.label_lower,
        ids=(s.pk for s in sessions),
        unit=programme.case.unit,
        case_id=programme.case_id,
        fields=SESSION_FIELDS,
        request=request,
    )
    return sessions


def programme_session_get_for(
    *, user: Any, programme: PerpetratorIntervention, session_id: Any, request: HttpRequest | None = None
) -> ProgrammeSession:
    """One session of `programme` the user may read; the read is audited."""
    queryset = ProgrammeSession.objects.visible_to(user, Action.VIEW).filter(programme=programme)
    session = get_visible_or_404(queryset, session_id, user=user, request=request)
    session.case = programme.case
    session.programme = programme
    audit_record(
        action=AuditAction.VIEW,
        actor=user,
        request=request,
        unit=programme.case.unit,
        obj=session,
        case_id=programme.case_id,
        fields=SESSION_FIELDS,
    )
    return session


def suitability_decisions_for(
    *, user: Any, case: Case, request: HttpRequest | None = None
) -> list[SuitabilityDecision]:
    """Every suitability decision of the case the user may read, newest first (the current one
    for each person has no `superseded_by`); showing them is audited."""
    decisions = list(
        SuitabilityDecision.objects.visible_to(user, Action.VIEW)
        .filter(case=case)
        .select_related("participant__person", "created_by")
        .order_by("-decided_on", "-created_at")
    )
    audit_listing(
        actor=user,
        object_type=SuitabilityDecision._meta.label_lower,
        ids=(d.pk for d in decisions),
        unit=case.unit,
        case_id=case.pk,
        fields=DECISION_FIELDS,
        request=request,
    )
    return decisions


def may_read_clinical(*, user: Any, case: Case) -> bool:
    return principal_for(user).may(case.unit_id, Compartment.HEALTH, Action.VIEW)


def may_decide_suitability(*, user: Any, case: Case) -> bool:
    return principal_for(user).may(case.unit_id, Compartment.HEALTH, Action.CHANGE)
