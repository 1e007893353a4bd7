"""Writes of perpetrator interventions: an intervention (add, edit), the sessions of a treatment
programme (plan, record attendance) and the clinician's suitability decision. Each is one
transaction with its audit row inside (field names only, never values), and each checks the
access policy itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from masip.access.policy import Action, Compartment
from masip.access.principal import principal_for
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.cases.models import Case, CaseParticipant, ParticipantRole
from masip.core.models import locked_at_version, save_versioned
from masip.interventions.models_perpetrator import (
    KIND_COMPARTMENTS,
    Attendance,
    InterventionKind,
    InterventionStatus,
    PerpetratorIntervention,
    ProgrammeSession,
    Suitability,
    SuitabilityDecision,
)

PERPETRATOR_ROLES = (ParticipantRole.PERPETRATOR, ParticipantRole.SUSPECT)
PROVIDER_MAX_LENGTH = 200
TEXT_MAX_LENGTH = 10_000
MAX_WEEKLY_SESSIONS = 52
MAX_FOLLOW_UP_WEEKS = 52
INTERVENTION_FIELDS = ("participant", "kind", "compartment", "provider", "started_on", "ended_on", "status", "outcome")


@dataclass(frozen=True)
class InterventionDraft:
    """What a person entered for an intervention, before it is checked."""

    participant_id: Any
    kind: str
    status: str
    provider: str = ""
    started_on: date | None = None
    ended_on: date | None = None
    outcome: str = ""
    compartment: str = ""  # "" = the usual compartment for the kind


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def perpetrator_participants(*, case: Case) -> list[CaseParticipant]:
    """The case's current perpetrators and suspects (an intervention is always with one of them)."""
    return list(
        CaseParticipant.unscoped.filter(case=case, role__in=PERPETRATOR_ROLES, ended_at__isnull=True)
        .select_related("person")
        .order_by("created_at")
    )


def intervention_compartments_offered(*, user: Any, case: Case) -> list[Compartment]:
    """The compartments the user may add an intervention to, in the order of the policy table."""
    allowed = principal_for(user).compartments(case.unit_id, Action.CREATE)
    usable = {c for kinds in KIND_COMPARTMENTS.values() for c in kinds}
    return [c for c in Compartment if c in usable and c.value in allowed]


def intervention_kinds_offered(*, user: Any, case: Case) -> list[tuple[str, str]]:
    """The kinds the user may record: those with at least one compartment they may write to."""
    allowed = principal_for(user).compartments(case.unit_id, Action.CREATE)
    return [
        (kind.value, kind.label)
        for kind in InterventionKind
        if any(c.value in allowed for c in KIND_COMPARTMENTS[kind])
    ]


def _check(*, actor: Any, case: Case, draft: InterventionDraft, creating: bool) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}

    def refuse(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    participants = {str(p.pk): p for p in perpetrator_participants(case=case)}
    participant = participants.get(str(draft.participant_id))
    if participant is None:
        refuse(
            "participant",
            "Choose the perpetrator or suspect of this case. If they are not listed, add them to the case first.",
        )
    kind = draft.kind
    compartment: Compartment | None = None
    if kind not in InterventionKind.values:
        refuse("kind", "Choose the kind of intervention.")
    else:
        allowed = KIND_COMPARTMENTS[kind]
        if not draft.compartment:
            writable = principal_for(actor).compartments(case.unit_id, Action.CREATE)
            # The usual compartment for the kind, or the next one the actor may write to.
            compartment = next((c for c in allowed if c.value in writable), allowed[0])
        elif draft.compartment not in [c.value for c in allowed]:
            names = " or ".join(f"“{c.label}”" for c in allowed)
            refuse("compartment", f"A {InterventionKind(kind).label.lower()} is kept in {names}. Choose one of those.")
        else:
            compartment = Compartment(draft.compartment)
    if draft.status not in InterventionStatus.values:
        refuse("status", "Choose the status of the intervention.")
    provider = draft.provider.strip()
    if len(provider) > PROVIDER_MAX_LENGTH:
        refuse("provider", f"The provider can be at most {PROVIDER_MAX_LENGTH} characters.")
    outcome = draft.outcome.strip()
    if len(outcome) > TEXT_MAX_LENGTH:
        refuse("outcome", f"The outcome can be at most {TEXT_MAX_LENGTH:,} characters. Put the rest in a case note.")
    if draft.started_on and draft.ended_on and draft.ended_on < draft.started_on:
        refuse(
            "ended_on",
            f"The end date ({_day(draft.ended_on)}) is before the start date ({_day(draft.started_on)}). "
            "Check both dates.",
        )
    if draft.status == InterventionStatus.COMPLETED and draft.started_on is None:
        refuse("started_on", "Enter the date it started: a completed intervention has a start date.")
    if errors:
        raise ValidationError(errors)
    assert compartment is not None  # noqa: S101 - every path without a compartment refused above
    if creating and not principal_for(actor).may(case.unit_id, compartment, Action.CREATE):
        if compartment == Compartment.HEALTH:
            raise ValidationError(
                {
                    "kind": "Clinical interventions are kept in the clinical (health) compartment, which your role "
                    "cannot write to. Ask the unit's clinician to record it."
                }
            )
        raise ValidationError(
            {"compartment": f"Your role cannot add records to “{compartment.label}”. Choose another."}
        )
    return {
        "participant": participant,
        "kind": kind,
        "compartment": compartment,
        "provider": provider,
        "started_on": draft.started_on,
        "ended_on": draft.ended_on,
        "status": draft.status,
        "outcome": outcome,
    }


def perpetrator_intervention_create(
    *, actor: Any, case: Case, draft: InterventionDraft, request: HttpRequest | None = None
) -> PerpetratorIntervention:
    """Record an intervention with the case's perpetrator or suspect.

    Guarantees: the participant is a current perpetrator or suspect of the case; the kind is
    kept in a compartment allowed for it (clinical kinds only in `health`) that the actor may
    write to (else ValidationError by field); the row and its audit (`create`, field names)
    commit together. The caller has checked that the actor may see the case.
    """
    values = _check(actor=actor, case=case, draft=draft, creating=True)
    with transaction.atomic():
        intervention = PerpetratorIntervention.unscoped.create(case=case, created_by=actor, updated_by=actor, **values)
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            request=request,
            unit=case.unit,
            obj=intervention,
            case_id=case.pk,
            fields=sorted(name for name, value in values.items() if value),
        )
    return intervention


def perpetrator_intervention_may_edit(*, actor: Any, intervention: PerpetratorIntervention) -> bool:
    """Its author while they may still write in its compartment, or a role the policy lets change it."""
    principal = principal_for(actor)
    unit_id = intervention.case.unit_id
    if intervention.created_by_id == getattr(actor, "pk", None) and principal.may(
        unit_id, intervention.compartment, Action.CREATE
    ):
        return True
    return principal.may(unit_id, intervention.compartment, Action.CHANGE)


def intervention_snapshot(intervention: PerpetratorIntervention) -> dict[str, Any]:
    return {
        "participant": str(intervention.participant_id),
        "kind": intervention.kind,
        "compartment": str(intervention.compartment),
        "provider": intervention.provider,
        "started_on": intervention.started_on,
        "ended_on": intervention.ended_on,
        "status": intervention.status,
        "outcome": intervention.outcome,
    }


def perpetrator_intervention_update(
    *,
    actor: Any,
    intervention: PerpetratorIntervention,
    expected_version: int,
    draft: InterventionDraft,
    request: HttpRequest | None = None,
) -> PerpetratorIntervention:
    """Change an intervention if nobody saved it since the editor opened it.

    Guarantees: the actor may edit it (else PermissionDenied); its kind may change only within
    its compartment's kinds and its compartment only to one the actor may write to; when the
    stored version is not `expected_version`, StaleEditError carries the current row
    and nothing is written; otherwise the change (versioned) and its audit (`change`, the names
    of the fields that changed) commit together. Saving the same values again writes nothing.
    """
    if not perpetrator_intervention_may_edit(actor=actor, intervention=intervention):
        raise PermissionDenied("Only its author, or a role allowed to change records in its compartment, can edit it.")
    case = intervention.case
    values = _check(
        actor=actor,
        case=case,
        draft=InterventionDraft(**{**draft.__dict__, "compartment": draft.compartment or intervention.compartment}),
        creating=False,
    )
    if values["compartment"] != intervention.compartment and not principal_for(actor).may(
        case.unit_id, values["compartment"], Action.CREATE
    ):
        raise ValidationError({"compartment": "Your role cannot move this record to that compartment."})
    if intervention.sessions.exists() and values["kind"] != InterventionKind.TREATMENT_PROGRAMME:
        raise ValidationError({"kind": "This programme has sessions planned: it stays a treatment programme."})
    with transaction.atomic():
        current = locked_at_version(
            PerpetratorIntervention.unscoped, intervention.pk, expected_version=expected_version, label="intervention"
        )
        before = intervention_snapshot(current)
        for name, value in values.items():
            setattr(current, name, value)
        changed = sorted(name for name, value in intervention_snapshot(current).items() if before[name] != value)
        if not changed:
            return current
        current.updated_by = actor
        save_versioned(current, expected_version=expected_version, fields=[*values, "updated_by"])
        if "compartment" in changed:
            ProgrammeSession.unscoped.filter(programme=current).update(compartment=current.compartment)
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=case.unit,
            obj=current,
            case_id=case.pk,
            fields=changed,
            detail={"version": current.version},
        )
    return current


# Treatment programme sessions -------------------------------------------------------------------


def programme_session_dates(*, first_on: date, weekly: int, follow_up_weeks: int | None) -> list[tuple[date, bool]]:
    """(planned date, is follow-up) for `weekly` sessions a week apart from `first_on`, then a
    follow-up `follow_up_weeks` after the last weekly session."""
    planned = [(first_on + timedelta(weeks=n), False) for n in range(weekly)]
    if follow_up_weeks:
        planned.append((planned[-1][0] + timedelta(weeks=follow_up_weeks), True))
    return planned


def _require_health(actor: Any, case: Case, action: Action, what: str) -> None:
    if not principal_for(actor).may(case.unit_id, Compartment.HEALTH, action):
        raise PermissionDenied(f"Only a clinician can {what}: it is clinical (health) information.")


def perpetrator_programme_plan(
    *,
    actor: Any,
    programme: PerpetratorIntervention,
    first_on: date,
    weekly: int,
    follow_up_weeks: int | None,
    request: HttpRequest | None = None,
) -> list[ProgrammeSession]:
    """Plan the sessions of a treatment programme: `weekly` sessions a week apart from
    `first_on`, and a follow-up when `follow_up_weeks` is given.

    Guarantees: the actor may write clinical records; the intervention is a treatment programme
    with no sessions yet (plans are not silently replaced); the sessions and the audit row
    commit together."""
    case = programme.case
    _require_health(actor, case, Action.CREATE, "plan programme sessions")
    if not programme.is_programme:
        raise ValidationError("Only a treatment programme has sessions.")
    errors: dict[str, str] = {}
    if not 1 <= weekly <= MAX_WEEKLY_SESSIONS:
        errors["weekly"] = f"Enter between 1 and {MAX_WEEKLY_SESSIONS} weekly sessions."
    if follow_up_weeks is not None and not 1 <= follow_up_weeks <= MAX_FOLLOW_UP_WEEKS:
        errors["follow_up_weeks"] = f"Enter between 1 and {MAX_FOLLOW_UP_WEEKS} weeks, or leave it empty."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        PerpetratorIntervention.unscoped.select_for_update().get(pk=programme.pk)
        if ProgrammeSession.unscoped.filter(programme=programme).exists():
            raise ValidationError("This programme's sessions are already planned.")
        sessions = ProgrammeSession.unscoped.bulk_create(
            [
                ProgrammeSession(
                    case=case,
                    programme=programme,
                    compartment=programme.compartment,
                    number=number,
                    planned_on=day,
                    is_follow_up=follow_up,
                    created_by=actor,
                )
                for number, (day, follow_up) in enumerate(
                    programme_session_dates(first_on=first_on, weekly=weekly, follow_up_weeks=follow_up_weeks), start=1
                )
            ]
        )
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            request=request,
            unit=case.unit,
            object_type=ProgrammeSession._meta.label_lower,
            case_id=case.pk,
            fields=["number", "planned_on", "is_follow_up"],
            detail={"programme": str(programme.pk), "count": len(sessions)},
        )
    return sessions


def perpetrator_session_record(
    *,
    actor: Any,
    session: ProgrammeSession,
    expected_version: int,
    attendance: str,
    note: str = "",
    request: HttpRequest | None = None,
) -> ProgrammeSession:
    """Record whether the person came to a session (attended, did not attend, cancelled by
    the provider or by the client), with a note.

    Guarantees: the actor may write clinical records; a stale form is refused (StaleEditError,
    nothing written); the change and its audit row commit together."""
    case = session.case
    _require_health(actor, case, Action.CREATE, "record attendance")
    errors: dict[str, str] = {}
    if attendance not in Attendance.values:
        errors["attendance"] = "Choose whether the person attended."
    note = note.strip()
    if len(note) > TEXT_MAX_LENGTH:
        errors["note"] = f"The note can be at most {TEXT_MAX_LENGTH:,} characters."
    if errors:
        raise ValidationError(errors)
    changed = [name for name, value in (("attendance", attendance), ("note", note)) if getattr(session, name) != value]
    with transaction.atomic():
        session.attendance, session.note = attendance, note
        session.recorded_by, session.recorded_at = actor, timezone.now()
        save_versioned(
            session, expected_version=expected_version, fields=["attendance", "note", "recorded_by", "recorded_at"]
        )
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=case.unit,
            obj=session,
            case_id=case.pk,
            fields=changed or ["recorded_at"],
        )
    return session


@dataclass(frozen=True)
class AttendanceSummary:
    attended: int
    recorded: int
    planned: int

    def __str__(self) -> str:
        return f"attended {self.attended} of {self.recorded} recorded ({self.planned} planned)"


def attendance_summary(sessions: list[ProgrammeSession]) -> AttendanceSummary:
    """Attended x of y: y counts sessions whose attendance is recorded and not cancelled by the
    provider (a session the provider cancelled was never offered)."""
    offered = [s for s in sessions if s.attendance and s.attendance != Attendance.CANCELLED_BY_PROVIDER]
    return AttendanceSummary(
        attended=sum(1 for s in offered if s.attendance == Attendance.ATTENDED),
        recorded=len(offered),
        planned=len(sessions),
    )


# Suitability ------------------------------------------------------------------------------------


def perpetrator_suitability_decide(
    *,
    actor: Any,
    case: Case,
    participant_id: Any,
    decision: str,
    reasons: str,
    decided_on: date | None = None,
    review_on: date | None = None,
    request: HttpRequest | None = None,
) -> SuitabilityDecision:
    """Record a clinician's decision on therapeutic intervention with the case's perpetrator.

    Guarantees: only a role that may change clinical (health) records decides (else
    PermissionDenied); reasons are required; a later decision supersedes the current one for
    that person, which is kept unchanged; the decision, the link and the audit commit together."""
    if not principal_for(actor).may(case.unit_id, Compartment.HEALTH, Action.CHANGE):
        raise PermissionDenied("Only a clinician can decide whether therapeutic intervention is suitable.")
    errors: dict[str, str] = {}
    participant = {str(p.pk): p for p in perpetrator_participants(case=case)}.get(str(participant_id))
    if participant is None:
        errors["participant"] = "Choose the perpetrator or suspect of this case the decision is about."
    if decision not in Suitability.values:
        errors["decision"] = "Choose the decision: suitable, not suitable or deferred."
    reasons = reasons.strip()
    if not reasons:
        errors["reasons"] = "Enter the reasons for the decision."
    elif len(reasons) > TEXT_MAX_LENGTH:
        errors["reasons"] = f"The reasons can be at most {TEXT_MAX_LENGTH:,} characters."
    today = timezone.localdate()
    decided_on = decided_on or today
    if decided_on > today:
        errors["decided_on"] = "The date of the decision cannot be in the future."
    if review_on is not None and review_on < decided_on:
        errors["review_on"] = "The review date must be on or after the date of the decision."
    if errors or participant is None:
        raise ValidationError(errors)
    with transaction.atomic():
        previous = (
            SuitabilityDecision.unscoped.select_for_update()
            .filter(case=case, participant=participant, superseded_by__isnull=True)
            .first()
        )
        made = SuitabilityDecision.unscoped.create(
            case=case,
            participant=participant,
            decision=decision,
            reasons=reasons,
            decided_on=decided_on,
            review_on=review_on,
            created_by=actor,
        )
        if previous is not None:
            SuitabilityDecision.unscoped.filter(pk=previous.pk).update(superseded_by=made)
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            request=request,
            unit=case.unit,
            obj=made,
            case_id=case.pk,
            fields=sorted(["participant", "decision", "reasons", "decided_on", *(["review_on"] if review_on else [])]),
            detail={"supersedes": str(previous.pk)} if previous is not None else None,
        )
    return made
