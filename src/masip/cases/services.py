"""Writes to cases: notes, break-glass, the status workflow, participants, the case team and
parallel processes. Each is one transaction with its audit row inside."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from masip.access.models import BREAK_GLASS_LIFETIME, BreakGlassGrant, CaseRole, CaseTeamMember
from masip.access.policy import Action, Capability, Compartment, roles_with_capability
from masip.access.principal import principal_for
from masip.accounts.models import Agency, Membership, Role, Unit
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.cases.models import (
    PRINCIPAL_ROLES,
    Case,
    CaseNote,
    CaseNoteRevision,
    CaseParticipant,
    CaseStatus,
    CaseStatusChange,
    ClosureReason,
    ContactChannel,
    MappaCategory,
    MappaLevel,
    NoteKind,
    ParallelProcess,
    ParticipantRole,
    ProcessKind,
    RiskLevel,
    SpoStage,
    case_reference,
)
from masip.core.mail import email_after_commit
from masip.core.models import StaleEditError, locked_at_version, save_versioned
from masip.core.references import last_number

BREAK_GLASS_REASON_MIN_LENGTH = 20
NOTE_MAX_LENGTH = 20_000
CONTACT_WITH_MAX_LENGTH = 200
# A contact "now" typed on a device whose clock runs a little fast is not in the future.
CONTACT_CLOCK_SKEW = timedelta(minutes=5)


def case_note_add(
    *, actor: Any, case: Case, compartment: str, body: str, request: HttpRequest | None = None
) -> CaseNote:
    """Add a note to `case` in `compartment`, audited as `create` in the same transaction.

    Guarantees: the actor's roles in the case's unit allow `create` in that compartment
    (checked here, whatever the form offered), else PermissionDenied and nothing is written;
    an empty note is refused with ValidationError. The caller has already checked that the
    actor may see the case.
    """
    try:
        chosen = Compartment(compartment)
    except ValueError:
        raise ValidationError("Choose who may read this note.") from None
    if not principal_for(actor).may(case.unit_id, chosen, Action.CREATE):
        raise PermissionDenied(
            f"Your role does not allow adding notes to the “{chosen.label}” compartment. "
            "Choose one of the compartments offered on the case page."
        )
    text = body.strip()
    if not text:
        raise ValidationError("Enter the note.")
    if len(text) > NOTE_MAX_LENGTH:
        raise ValidationError(f"A note can be at most {NOTE_MAX_LENGTH} characters. Split it into two notes.")
    with transaction.atomic():
        note = CaseNote.unscoped.create(case=case, compartment=chosen, body=text, created_by=actor)
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            request=request,
            unit=case.unit,
            obj=note,
            case_id=case.pk,
            fields=["body", "compartment"],
        )
    return note


def break_glass_refusal_record(*, actor: Any, case: Case, request: HttpRequest | None = None) -> None:
    """Record that the actor asked for a case outside their caseload and was asked for a reason."""
    audit_record(
        action=AuditAction.DENIED,
        actor=actor,
        request=request,
        unit=case.unit,
        obj=case,
        case_id=case.pk,
        detail={"reason": "outside caseload"},
    )


def break_glass_open(*, actor: Any, case: Case, reason: str, request: HttpRequest | None = None) -> BreakGlassGrant:
    """Open `case` to the actor for BREAK_GLASS_LIFETIME, for a written reason.

    Guarantees: the actor holds the break-glass capability in the case's unit and the reason
    has at least BREAK_GLASS_REASON_MIN_LENGTH characters (else nothing is written); the grant
    and its `break_glass` audit row (with the reason as justification) commit together; the
    unit's managers are emailed once the transaction commits, with the case reference only.
    """
    if not principal_for(actor).can(Capability.BREAK_GLASS, unit_id=case.unit_id):
        raise PermissionDenied("Your role does not allow opening cases outside your caseload.")
    text = reason.strip()
    if len(text) < BREAK_GLASS_REASON_MIN_LENGTH:
        raise ValidationError(
            f"Explain in at least {BREAK_GLASS_REASON_MIN_LENGTH} characters why you need this case now."
        )
    now = timezone.now()
    with transaction.atomic():
        grant = BreakGlassGrant.objects.create(
            case=case, user=actor, reason=text, since=now, until=now + BREAK_GLASS_LIFETIME
        )
        audit_record(
            action=AuditAction.BREAK_GLASS,
            actor=actor,
            request=request,
            unit=case.unit,
            obj=grant,
            case_id=case.pk,
            justification=text,
            detail={"until": grant.until.isoformat()},
        )
        _notify_managers_on_commit(actor=actor, case=case, request=request)
    return grant


def _notify_managers_on_commit(*, actor: Any, case: Case, request: HttpRequest | None) -> None:
    overseers = roles_with_capability(Capability.OVERSEE_UNIT_CASELOAD)
    recipients = sorted(
        set(
            Membership.objects.active()
            .filter(unit_id=case.unit_id, role__in=overseers)
            .exclude(user=actor)
            .values_list("user__email", flat=True)
        )
    )
    if not recipients:
        return
    path = reverse("cases:break_glass_reviews")
    link = request.build_absolute_uri(path) if request is not None else path
    who = actor.get_full_name() or actor.email
    # The email leaves masip: it names the case by reference only, never the reason or any detail.
    subject = f"Break-glass access to case {case.reference}"
    message = (
        f"{who} opened case {case.reference} outside their caseload.\n\nPlease review this access in masip: {link}\n"
    )
    email_after_commit([(subject, message, [email]) for email in recipients])


def break_glass_review(*, actor: Any, grant: BreakGlassGrant, request: HttpRequest | None = None) -> BreakGlassGrant:
    """Mark a break-glass grant as reviewed by the actor, audited as `change`.

    Guarantees: the actor oversees the caseload of the case's unit (else PermissionDenied);
    a grant already reviewed is refused with ValidationError and left as it was.
    """
    case = grant.case
    if not principal_for(actor).can(Capability.OVERSEE_UNIT_CASELOAD, unit_id=case.unit_id):
        raise PermissionDenied("Only a manager of the case's unit can review its break-glass access.")
    with transaction.atomic():
        updated = BreakGlassGrant.objects.filter(pk=grant.pk, reviewed_at__isnull=True).update(
            reviewed_by=actor, reviewed_at=timezone.now()
        )
        if updated != 1:
            raise ValidationError("This access has already been reviewed. Nothing was changed.")
        grant.refresh_from_db(fields=["reviewed_by", "reviewed_at"])
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=case.unit,
            obj=grant,
            case_id=case.pk,
            fields=["reviewed_at", "reviewed_by"],
        )
    return grant


# Which case-team role a screener takes on the case they accept, by their unit role.
_CASE_ROLE_FOR = {
    Role.UNIT_MANAGER: CaseRole.UNIT_MANAGER,
    Role.POLICE_INVESTIGATOR: CaseRole.INVESTIGATOR,
    Role.CLINICIAN: CaseRole.CLINICIAN,
    Role.STALKING_ADVOCATE: CaseRole.ADVOCATE,
    Role.OUTREACH_WORKER: CaseRole.OUTREACH_WORKER,
    Role.SUPPORT_OFFICER: CaseRole.SUPPORT,
}
_PARTICIPANT_ROLE_FOR = {"victim": ParticipantRole.VICTIM, "suspect": ParticipantRole.SUSPECT}


def _next_case_reference(unit: Unit) -> str:
    """`<UNIT CODE>-<year>-<nnnn>`, the next free number; the caller holds the unit's row lock."""
    year = timezone.localdate().year
    prefix = case_reference(unit.code, year, 0).removesuffix("0000")
    return case_reference(unit.code, year, last_number(Case.unscoped.all(), prefix) + 1)


def case_open_from_referral(*, actor: Any, referral: Any, request: HttpRequest | None = None) -> Case:
    """Open a case in the referral's unit for an accepted referral, audited as `create`.

    Guarantees: the actor may triage the unit's referrals; the case gets the unit's next
    unique `<UNIT CODE>-<year>-<nnnn>` reference; every subject linked to a person becomes a
    participant (victims as victims, suspects as suspects; an unidentified suspect adds no
    one); the actor joins the case team; a case is marked `repeat_of` the unit's case closed
    within REPEAT_WINDOW about one of the same victims or perpetrators. Runs inside the caller's
    transaction (triage_decide), which links the referral to the case; subjects not yet linked
    must be linked first.
    """
    from masip.referrals.models import ReferralSubject
    from masip.risk.services import assessments_move_to_case
    from masip.work.services import RuleReason, work_rules_apply

    if not principal_for(actor).can(Capability.TRIAGE_REFERRALS, unit_id=referral.unit_id):
        raise PermissionDenied("Your role does not allow accepting this unit's referrals.")
    subjects = list(ReferralSubject.unscoped.filter(referral=referral, unidentified=False))
    if any(subject.person_id is None for subject in subjects):
        raise ValidationError("Link or create a person for everyone the referral names before opening a case.")
    with transaction.atomic():
        unit = Unit.objects.select_for_update().get(pk=referral.unit_id)
        repeat_of = repeat_case_for(unit_id=unit.pk, person_ids=[s.person_id for s in subjects])
        case = Case.unscoped.create(
            unit=unit,
            reference=_next_case_reference(unit),
            lead_agency_id=unit.lead_agency_id,
            repeat_of=repeat_of,
            # The referrer's account of what has happened is where the case file starts.
            summary=referral.summary,
            created_by=actor,
        )
        participants = {
            (subject.person_id, _PARTICIPANT_ROLE_FOR[subject.role]) for subject in subjects if subject.person_id
        }
        CaseParticipant.unscoped.bulk_create(
            [
                CaseParticipant(case=case, person_id=person_id, role=role, created_by=actor)
                for person_id, role in sorted(participants, key=str)
            ]
        )
        roles = principal_for(actor).roles_by_unit.get(unit.pk, frozenset())
        role_on_case = next(
            (_CASE_ROLE_FOR[Role(r)] for r in sorted(roles) if Role(r) in _CASE_ROLE_FOR), CaseRole.SUPPORT
        )
        CaseTeamMember.objects.create(
            case=case,
            user=actor,
            role_on_case=role_on_case,
            granted_by=actor,
            purpose=f"Accepted referral {referral.reference} at triage",
        )
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            request=request,
            unit=unit,
            obj=case,
            case_id=case.pk,
            fields=["reference", "summary", "participants", "team", *(["repeat_of"] if repeat_of else [])],
            detail={"referral": referral.reference, **({"repeat_of": repeat_of.reference} if repeat_of else {})},
        )
        work_rules_apply(case=case, reason=RuleReason.CASE_OPENED, actor=actor, request=request)
        assessments_move_to_case(referral=referral, case=case, actor=actor, request=request)
    return case


# Status workflow ---------------------------------------------------------------------------

# The one table of status moves. Under review may go back to active risk management (a review
# that finds the risk still live); everything else follows open → active → under review →
# closed → reopened → active / under review / closed.
TRANSITIONS: dict[CaseStatus, tuple[CaseStatus, ...]] = {
    CaseStatus.OPEN: (CaseStatus.ACTIVE,),
    CaseStatus.ACTIVE: (CaseStatus.UNDER_REVIEW,),
    CaseStatus.UNDER_REVIEW: (CaseStatus.ACTIVE, CaseStatus.CLOSED),
    CaseStatus.CLOSED: (CaseStatus.REOPENED,),
    CaseStatus.REOPENED: (CaseStatus.ACTIVE, CaseStatus.UNDER_REVIEW, CaseStatus.CLOSED),
}
# Case-team roles that lead a case and so may move its status (beside the unit's managers).
LEAD_CASE_ROLES = (CaseRole.LEAD_INVESTIGATOR, CaseRole.LEAD_CLINICIAN, CaseRole.UNIT_MANAGER)
CLOSING_RISK_LEVELS = (RiskLevel.LOW, RiskLevel.MODERATE, RiskLevel.HIGH)
STATUS_REASON_MAX_LENGTH = 5_000


class CaseStatusConflict(StaleEditError):
    """Someone else changed the case after the form was opened: the message names what they did."""

    def __init__(self, message: str) -> None:
        Exception.__init__(self, message)


def allowed_transitions(status: str) -> tuple[CaseStatus, ...]:
    return TRANSITIONS.get(CaseStatus(status), ())


def may_change_status(*, actor: Any, case: Case, team: Iterable[CaseTeamMember] | None = None) -> bool:
    """The case's lead investigator, lead clinician or unit manager on its team, or a manager
    who allocates the unit's cases; each needs `change` in the team compartment too.

    `team`: the case's current team when the caller has it already (saves a query)."""
    principal = principal_for(actor)
    if not principal.may(case.unit_id, Compartment.TEAM, Action.CHANGE):
        return False
    if principal.can(Capability.ALLOCATE_CASES, unit_id=case.unit_id):
        return True
    if team is not None:
        return any(m.user_id == principal.user_id and m.role_on_case in LEAD_CASE_ROLES for m in team)
    return (
        CaseTeamMember.objects.active()
        .filter(case_id=case.pk, user_id=principal.user_id, role_on_case__in=LEAD_CASE_ROLES)
        .exists()
    )


def _local(moment: datetime) -> str:
    when = timezone.localtime(moment)
    return f"{when:%H:%M} on {when.day} {when:%B %Y}"


def _conflict_message(case_id: Any, expected_version: int) -> str:
    missed = list(
        CaseStatusChange.unscoped.filter(case_id=case_id, case_version__gt=expected_version)
        .select_related("created_by")
        .order_by("created_at")
    )
    if not missed:
        return (
            "Someone else changed this case after you opened the page. Nothing you entered was saved: "
            "check the case as it is now, then change its status again if it is still needed."
        )
    done = "; ".join(
        f"{change.created_by or 'Someone'} moved this case to {change.get_to_status_display()} "
        f"at {_local(change.created_at)}"
        for change in missed
    )
    return (
        f"{done}. Nothing you entered was saved: check the status now shown, "
        "then decide whether your change still applies."
    )


def case_transition(
    *,
    actor: Any,
    case: Case,
    to: str,
    reason: str = "",
    closure_reason: str = "",
    risk_at_closure: str = "",
    expected_version: int,
    request: HttpRequest | None = None,
) -> CaseStatusChange:
    """Move `case` to status `to`, recording a CaseStatusChange and a `change` audit row together.

    Guarantees: only a lead of the case team or a manager allocating the unit's cases may do it
    (PermissionDenied); a move not in TRANSITIONS is refused with a message naming the allowed
    ones; closing needs a closure reason from ClosureReason, an explanation and the risk level at
    closure; reopening needs a reason; a case changed since `expected_version` raises
    CaseStatusConflict naming who moved it to what and when. Refusals write nothing. Closing
    cancels the case's open rule-made tasks; reopening gives it its next review again.
    """
    from masip.work.services import RuleReason, work_case_closed, work_rules_apply

    if not may_change_status(actor=actor, case=case):
        raise PermissionDenied(
            "Only the case's lead investigator, lead clinician or the unit manager can change its status. "
            "Ask one of them to do it."
        )
    try:
        target = CaseStatus(to)
    except ValueError:
        raise ValidationError({"to": "Choose the status to move the case to."}) from None
    text = reason.strip()
    errors: dict[str, str] = {}
    if len(text) > STATUS_REASON_MAX_LENGTH:
        errors["reason"] = f"Keep the reason to {STATUS_REASON_MAX_LENGTH} characters or fewer."
    if target == CaseStatus.CLOSED:
        if closure_reason not in ClosureReason.values:
            errors["closure_reason"] = "Choose why the case is being closed."
        if risk_at_closure not in CLOSING_RISK_LEVELS:
            errors["risk_at_closure"] = "Choose the risk level at closure: low, moderate or high."
        if not text:
            errors["reason"] = "Explain the closure: what has changed and who has been told."
    elif target == CaseStatus.REOPENED and not text:
        errors["reason"] = "Give the reason for reopening the case."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current = Case.unscoped.select_for_update().get(pk=case.pk)
        if current.version != expected_version:
            raise CaseStatusConflict(_conflict_message(case.pk, expected_version))
        allowed = allowed_transitions(current.status)
        if target not in allowed:
            names = " or ".join(f"“{s.label}”" for s in allowed)
            raise ValidationError(
                {
                    "to": f"A case that is “{current.get_status_display()}” cannot move to “{target.label}”. "
                    f"It can move to {names}."
                }
            )
        from_status = current.status
        current.status = target
        fields = ["status"]
        if target == CaseStatus.CLOSED:
            current.closed_at = timezone.now()
            current.closure_reason = closure_reason
            current.closure_details = text
            current.risk_at_closure = risk_at_closure
            fields += ["closed_at", "closure_reason", "closure_details", "risk_at_closure"]
        elif from_status == CaseStatus.CLOSED:
            # The closure stays in the status history; the case itself is no longer closed.
            current.closed_at = None
            current.closure_reason = current.closure_details = current.risk_at_closure = ""
            fields += ["closed_at", "closure_reason", "closure_details", "risk_at_closure"]
        save_versioned(current, expected_version=expected_version, fields=fields)
        change = CaseStatusChange.unscoped.create(
            case=current,
            from_status=from_status,
            to_status=target,
            reason=text,
            closure_reason=closure_reason if target == CaseStatus.CLOSED else "",
            risk_at_closure=risk_at_closure if target == CaseStatus.CLOSED else "",
            case_version=current.version,
            created_by=actor,
        )
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=current.unit,
            obj=current,
            case_id=current.pk,
            fields=fields,
            detail={"from": from_status, "to": str(target)},
        )
        if target == CaseStatus.CLOSED:
            work_case_closed(case=current, actor=actor, request=request)
        elif from_status == CaseStatus.CLOSED:
            work_rules_apply(case=current, reason=RuleReason.CASE_REOPENED, actor=actor, request=request)
    for name in ("status", "version", "updated_at", *fields):
        setattr(case, name, getattr(current, name))
    return change


# Repeats and further referrals ------------------------------------------------------------

REPEAT_WINDOW = timedelta(days=365)


def repeat_case_for(*, unit_id: int, person_ids: Iterable[Any], now: datetime | None = None) -> Case | None:
    """The unit's case most recently closed within REPEAT_WINDOW in which one of `person_ids`
    was a victim, perpetrator or suspect; None when there is none."""
    ids = [pk for pk in person_ids if pk is not None]
    if not ids:
        return None
    since = (now or timezone.now()) - REPEAT_WINDOW
    return (
        Case.unscoped.filter(
            unit_id=unit_id,
            status=CaseStatus.CLOSED,
            closed_at__gte=since,
            participants__person_id__in=ids,
            participants__role__in=PRINCIPAL_ROLES,
        )
        .order_by("-closed_at")
        .first()
    )


def open_cases_for(*, unit_id: int, person_ids: Iterable[Any]) -> list[Case]:
    """The unit's cases that are not closed in which one of `person_ids` is a current victim,
    perpetrator or suspect: a further referral about them belongs there."""
    ids = [pk for pk in person_ids if pk is not None]
    if not ids:
        return []
    return list(
        Case.unscoped.filter(
            unit_id=unit_id,
            participants__person_id__in=ids,
            participants__role__in=PRINCIPAL_ROLES,
            participants__ended_at__isnull=True,
        )
        .exclude(status=CaseStatus.CLOSED)
        .distinct()
        .order_by("-opened_at")
    )


def case_attach_referral(*, actor: Any, case: Case, referral: Any, request: HttpRequest | None = None) -> Case:
    """Attach an accepted referral to an open case instead of opening a duplicate.

    Guarantees: the actor may triage the unit's referrals; the case is of the referral's unit,
    not closed, and one of the referral's linked people is a current victim, perpetrator or
    suspect in it (else ValidationError); people the referral names who are not yet on the case
    join it in their role; one `change` audit row on the case names the referral. Runs inside
    the caller's transaction (triage_decide), which links the referral to the case.
    """
    from masip.referrals.models import ReferralSubject
    from masip.risk.services import assessments_move_to_case

    if not principal_for(actor).can(Capability.TRIAGE_REFERRALS, unit_id=referral.unit_id):
        raise PermissionDenied("Your role does not allow accepting this unit's referrals.")
    subjects = list(ReferralSubject.unscoped.filter(referral=referral, unidentified=False))
    if any(subject.person_id is None for subject in subjects):
        raise ValidationError("Link or create a person for everyone the referral names before attaching it.")
    person_ids = {subject.person_id for subject in subjects}
    with transaction.atomic():
        current = Case.unscoped.select_for_update().select_related("unit").get(pk=case.pk)
        if current.pk not in {c.pk for c in open_cases_for(unit_id=referral.unit_id, person_ids=person_ids)}:
            raise ValidationError(
                f"Case {current.reference} is closed or no longer involves the people this referral names, "
                "so the referral cannot be attached to it. Choose to open a new case instead."
            )
        present: set[tuple[Any, str]] = set(
            CaseParticipant.unscoped.filter(case=current, ended_at__isnull=True).values_list("person_id", "role")
        )
        wanted: set[tuple[Any, str]] = {(s.person_id, str(_PARTICIPANT_ROLE_FOR[s.role])) for s in subjects}
        added = sorted(wanted - present, key=str)
        CaseParticipant.unscoped.bulk_create(
            [CaseParticipant(case=current, person_id=pid, role=role, created_by=actor) for pid, role in added]
        )
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=current.unit,
            obj=current,
            case_id=current.pk,
            fields=["referrals", *(["participants"] if added else [])],
            detail={"referral": referral.reference, "attached": True, "participants_added": len(added)},
        )
        assessments_move_to_case(referral=referral, case=current, actor=actor, request=request)
    return current


# Participants ------------------------------------------------------------------------------

RELATIONSHIP_MAX_LENGTH = 200


def _require_team_change(actor: Any, case: Case) -> None:
    if not principal_for(actor).may(case.unit_id, Compartment.TEAM, Action.CHANGE):
        raise PermissionDenied("Your role does not allow changing this case. Ask the case's lead to do it.")


def case_participant_add(
    *,
    actor: Any,
    case: Case,
    person: Any,
    role: str,
    relationship: str = "",
    request: HttpRequest | None = None,
) -> CaseParticipant:
    """Add `person` to `case` in `role`, audited as `create`.

    Guarantees: the actor may change the case's team data; the person is a record of the case's
    unit; a person already taking part in the same role is refused; nothing is written on refusal.
    """
    from masip.interventions import hooks as interventions_hooks

    _require_team_change(actor, case)
    errors: dict[str, str] = {}
    if role not in ParticipantRole.values:
        errors["role"] = "Choose the person's role in this case."
    text = relationship.strip()
    if len(text) > RELATIONSHIP_MAX_LENGTH:
        errors["relationship"] = f"Describe their part in {RELATIONSHIP_MAX_LENGTH} characters or fewer."
    if errors:
        raise ValidationError(errors)
    if person.unit_id != case.unit_id:
        raise ValidationError("That person is not a record of this unit. Search again and choose one offered.")
    with transaction.atomic():
        Case.unscoped.select_for_update().filter(pk=case.pk).exists()
        if CaseParticipant.unscoped.filter(case=case, person=person, role=role, ended_at__isnull=True).exists():
            raise ValidationError(
                f"{person.display_name} is already on this case as {ParticipantRole(role).label.lower()}."
            )
        participant = CaseParticipant.unscoped.create(
            case=case, person=person, role=role, relationship=text, created_by=actor
        )
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            request=request,
            unit=case.unit,
            obj=participant,
            case_id=case.pk,
            person_id=person.pk,
            fields=["person", "role", *(["relationship"] if text else [])],
        )
        interventions_hooks.case_participant_added(participant=participant, actor=actor, request=request)
    return participant


def case_participant_end(
    *, actor: Any, participant: CaseParticipant, expected_version: int, request: HttpRequest | None = None
) -> CaseParticipant:
    """End a participation (the person is no longer involved); the row is kept, audited as `change`.

    Guarantees: the actor may change the case's team data; an ended participation is refused;
    a participation changed since `expected_version` raises StaleEditError.
    """
    case = participant.case
    _require_team_change(actor, case)
    if participant.ended_at is not None:
        raise ValidationError(f"{participant.person.display_name}'s part in this case has already ended.")
    participant.ended_at = timezone.now()
    participant.ended_by = actor
    with transaction.atomic():
        save_versioned(participant, expected_version=expected_version, fields=["ended_at", "ended_by"])
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=case.unit,
            obj=participant,
            case_id=case.pk,
            person_id=participant.person_id,
            fields=["ended_at", "ended_by"],
        )
    return participant


# Case team and lead agency -----------------------------------------------------------------

# Which unit roles may fill each role on a case.
UNIT_ROLES_FOR_CASE_ROLE: dict[CaseRole, tuple[Role, ...]] = {
    CaseRole.LEAD_INVESTIGATOR: (Role.POLICE_INVESTIGATOR,),
    CaseRole.INVESTIGATOR: (Role.POLICE_INVESTIGATOR,),
    CaseRole.LEAD_CLINICIAN: (Role.CLINICIAN,),
    CaseRole.CLINICIAN: (Role.CLINICIAN,),
    CaseRole.ADVOCATE: (Role.STALKING_ADVOCATE,),
    CaseRole.OUTREACH_WORKER: (Role.OUTREACH_WORKER,),
    CaseRole.UNIT_MANAGER: (Role.UNIT_MANAGER,),
    CaseRole.SUPPORT: (Role.SUPPORT_OFFICER,),
}
# One person at a time holds each of these on a case; allocating another replaces them.
SINGLE_HOLDER_ROLES = (CaseRole.LEAD_INVESTIGATOR, CaseRole.LEAD_CLINICIAN)
PURPOSE_MAX_LENGTH = 300


def _require_allocate(actor: Any, case: Case) -> None:
    if not principal_for(actor).can(Capability.ALLOCATE_CASES, unit_id=case.unit_id):
        raise PermissionDenied("Only the unit manager can allocate this case's team.")


def case_team_allocate(
    *,
    actor: Any,
    case: Case,
    user: Any,
    role_on_case: str,
    purpose: str = "",
    request: HttpRequest | None = None,
) -> CaseTeamMember:
    """Allocate `user` to `case` in `role_on_case`, audited as `create`.

    Guarantees: the actor allocates the unit's cases; the user holds an active membership of the
    case's unit in a role that fits (UNIT_ROLES_FOR_CASE_ROLE); the same person in the same role
    twice is refused; allocating a lead investigator or lead clinician ends the current holder's
    membership (reallocation, audited as `change`) in the same transaction.
    """
    _require_allocate(actor, case)
    try:
        role = CaseRole(role_on_case)
    except ValueError:
        raise ValidationError({"role_on_case": "Choose the person's role on this case."}) from None
    text = purpose.strip() or f"Allocated as {role.label.lower()} by the unit manager"
    if len(text) > PURPOSE_MAX_LENGTH:
        raise ValidationError({"purpose": f"Keep the purpose to {PURPOSE_MAX_LENGTH} characters or fewer."})
    fits = UNIT_ROLES_FOR_CASE_ROLE[role]
    if not Membership.objects.active().filter(user=user, unit_id=case.unit_id, role__in=fits).exists():
        raise ValidationError(
            {
                "user": f"{user} is not a {' or '.join(str(r.label).lower() for r in fits)} of this unit, "
                f"so they cannot be the case's {role.label.lower()}. Choose someone else."
            }
        )
    now = timezone.now()
    with transaction.atomic():
        Case.unscoped.select_for_update().filter(pk=case.pk).exists()
        current = CaseTeamMember.objects.active().filter(case=case)
        if current.filter(user=user, role_on_case=role).exists():
            raise ValidationError({"user": f"{user} is already on this case as {role.label.lower()}."})
        if role in SINGLE_HOLDER_ROLES:
            for previous in current.filter(role_on_case=role).select_related("user"):
                CaseTeamMember.objects.filter(pk=previous.pk).update(until=now)
                audit_record(
                    action=AuditAction.CHANGE,
                    actor=actor,
                    request=request,
                    unit=case.unit,
                    obj=previous,
                    case_id=case.pk,
                    fields=["until"],
                    detail={"reallocated_to": user.pk, "role_on_case": str(role)},
                )
        member = CaseTeamMember.objects.create(
            case=case, user=user, role_on_case=role, granted_by=actor, purpose=text, since=now
        )
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            request=request,
            unit=case.unit,
            obj=member,
            case_id=case.pk,
            fields=["user", "role_on_case", "purpose"],
            detail={"role_on_case": str(role)},
        )
    return member


def case_team_end(*, actor: Any, member: CaseTeamMember, request: HttpRequest | None = None) -> CaseTeamMember:
    """End a team membership: the date left is kept, the row never deleted; audited as `change`.

    Guarantees: the actor allocates the unit's cases; a membership already ended is refused.
    """
    case = member.case
    _require_allocate(actor, case)
    now = timezone.now()
    with transaction.atomic():
        ended = (
            CaseTeamMember.objects.filter(pk=member.pk)
            .filter(models.Q(until__isnull=True) | models.Q(until__gt=now))
            .update(until=now)
        )
        if ended != 1:
            raise ValidationError(f"{member.user} has already left this case's team.")
        member.until = now
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=case.unit,
            obj=member,
            case_id=case.pk,
            fields=["until"],
        )
    return member


def case_set_lead_agency(
    *, actor: Any, case: Case, agency: Agency, expected_version: int, request: HttpRequest | None = None
) -> Case:
    """Set the case's lead agency, audited as `change`; the unit manager only; stale edits refused."""
    _require_allocate(actor, case)
    previous = case.lead_agency_id
    case.lead_agency = agency
    with transaction.atomic():
        save_versioned(case, expected_version=expected_version, fields=["lead_agency"])
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=case.unit,
            obj=case,
            case_id=case.pk,
            fields=["lead_agency"],
            detail={"from": previous, "to": agency.pk},
        )
    return case


# Parallel processes ------------------------------------------------------------------------

LEAD_AGENCY_MAX_LENGTH = 200


def case_process_add(
    *,
    actor: Any,
    case: Case,
    kind: str,
    lead_agency: str,
    started_on: date,
    marac_heard_on: date | None = None,
    mappa_category: str = "",
    mappa_level: str = "",
    spo_stage: str = "",
    other_unit: str = "",
    request: HttpRequest | None = None,
) -> ParallelProcess:
    """Record a process run beside the case (MARAC, MAPPA, an SPO, another unit), audited as `create`.

    Guarantees: the actor may change the case's team data; each kind carries its particulars
    (MAPPA its category and level, an SPO its stage, another unit its name); a lead agency is
    always named; dates are not in the future; nothing is written on refusal.
    """
    _require_team_change(actor, case)
    errors: dict[str, str] = {}
    today = timezone.localdate()
    if kind not in ProcessKind.values:
        errors["kind"] = "Choose the kind of process."
    agency = lead_agency.strip()
    if not agency:
        errors["lead_agency"] = "Name the agency that leads this process."
    elif len(agency) > LEAD_AGENCY_MAX_LENGTH:
        errors["lead_agency"] = f"Keep the agency name to {LEAD_AGENCY_MAX_LENGTH} characters or fewer."
    if started_on > today:
        errors["started_on"] = "The start date cannot be in the future."
    if kind == ProcessKind.MARAC and marac_heard_on is not None and marac_heard_on < started_on:
        errors["marac_heard_on"] = "The MARAC cannot have heard the case before the referral to it."
    if kind == ProcessKind.MAPPA:
        if mappa_category not in MappaCategory.values:
            errors["mappa_category"] = "Choose the MAPPA category."
        if mappa_level not in MappaLevel.values:
            errors["mappa_level"] = "Choose the MAPPA level."
    if kind == ProcessKind.SPO and spo_stage not in SpoStage.values:
        errors["spo_stage"] = "Choose the stage the Stalking Protection Order has reached."
    unit_name = other_unit.strip()
    if kind == ProcessKind.OTHER_UNIT and not unit_name:
        errors["other_unit"] = "Name the other unit or agency involved."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        process = ParallelProcess.unscoped.create(
            case=case,
            kind=kind,
            lead_agency=agency,
            started_on=started_on,
            marac_heard_on=marac_heard_on if kind == ProcessKind.MARAC else None,
            mappa_category=mappa_category if kind == ProcessKind.MAPPA else "",
            mappa_level=mappa_level if kind == ProcessKind.MAPPA else "",
            spo_stage=spo_stage if kind == ProcessKind.SPO else "",
            other_unit=unit_name[:200] if kind == ProcessKind.OTHER_UNIT else "",
            created_by=actor,
        )
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            request=request,
            unit=case.unit,
            obj=process,
            case_id=case.pk,
            fields=["kind", "lead_agency", "started_on"],
            detail={"kind": kind},
        )
    return process


def case_process_end(
    *,
    actor: Any,
    process: ParallelProcess,
    ended_on: date,
    expected_version: int,
    request: HttpRequest | None = None,
) -> ParallelProcess:
    """Record that a parallel process has ended, audited as `change`.

    Guarantees: the actor may change the case's team data; the end date is neither before the
    start nor in the future; an ended process is refused; a stale edit raises StaleEditError.
    """
    case = process.case
    _require_team_change(actor, case)
    if process.ended_on is not None:
        raise ValidationError(f"This {process.get_kind_display()} has already ended.")
    if ended_on < process.started_on:
        raise ValidationError({"ended_on": "The end date cannot be before the process started."})
    if ended_on > timezone.localdate():
        raise ValidationError({"ended_on": "The end date cannot be in the future."})
    process.ended_on = ended_on
    with transaction.atomic():
        save_versioned(process, expected_version=expected_version, fields=["ended_on"])
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=case.unit,
            obj=process,
            case_id=case.pk,
            fields=["ended_on"],
        )
    return process


def case_participant_add_new_person(
    *,
    actor: Any,
    case: Case,
    details: Any,
    role: str,
    relationship: str = "",
    request: HttpRequest | None = None,
) -> CaseParticipant:
    """Record a new person in the case's unit (see `person_create`) and add them to the case in
    `role`; both, with their audit rows, commit together or not at all."""
    from masip.people.services import person_create

    _require_team_change(actor, case)
    if role not in ParticipantRole.values:
        raise ValidationError({"role": "Choose the person's role in this case."})
    with transaction.atomic():
        person = person_create(actor=actor, unit=case.unit, details=details, request=request)
        return case_participant_add(
            actor=actor, case=case, person=person, role=role, relationship=relationship, request=request
        )


# Contact records, edits with revisions, and clinical summaries released to the team -------


def _note_text(body: str, *, what: str = "note") -> str:
    text = body.strip()
    if not text:
        raise ValidationError(f"Enter the {what}.")
    if len(text) > NOTE_MAX_LENGTH:
        raise ValidationError(f"A {what} can be at most {NOTE_MAX_LENGTH} characters. Split it into two entries.")
    return text


@dataclass(frozen=True)
class ContactDetails:
    """What a contact record says besides its summary: when, who made it, with whom, how."""

    contact_at: datetime
    contact_by: Any
    channel: str
    contact_with: CaseParticipant | None = None
    contact_with_text: str = ""


def _checked_contact(*, case: Case, actor: Any, details: ContactDetails) -> ContactDetails:
    if details.channel not in ContactChannel.values:
        raise ValidationError("Choose how the contact was made.")
    if details.contact_at > timezone.now() + CONTACT_CLOCK_SKEW:
        raise ValidationError("The date and time of the contact cannot be in the future.")
    by = details.contact_by
    if by is None or not (by == actor or CaseTeamMember.objects.active().filter(case=case, user=by).exists()):
        raise ValidationError("Choose who made the contact from the case team.")
    if details.contact_with is not None and details.contact_with.case_id != case.pk:
        raise ValidationError("Choose who the contact was with from the people on this case.")
    with_text = details.contact_with_text.strip()
    if details.contact_with is None and not with_text:
        raise ValidationError("Say who the contact was with: a person on the case, or describe them.")
    if len(with_text) > CONTACT_WITH_MAX_LENGTH:
        raise ValidationError(f"Describe who the contact was with in {CONTACT_WITH_MAX_LENGTH} characters or fewer.")
    return ContactDetails(
        contact_at=details.contact_at,
        contact_by=details.contact_by,
        channel=details.channel,
        contact_with=details.contact_with,
        contact_with_text="" if details.contact_with is not None else with_text,
    )


def case_contact_record(
    *,
    actor: Any,
    case: Case,
    compartment: str,
    summary: str,
    details: ContactDetails,
    request: HttpRequest | None = None,
) -> CaseNote:
    """Record a contact (when, who, with whom, channel, summary) on `case` in `compartment`.

    Guarantees the same compartment rule as a note (PermissionDenied, nothing written); the
    person who made it is on the case team (or is the actor), the person it was with is on this
    case (or described in words), the time is not in the future; audited as `create` in the
    same transaction.
    """
    chosen = _writable_compartment(actor=actor, case=case, compartment=compartment)
    text = _note_text(summary, what="summary of the contact")
    checked = _checked_contact(case=case, actor=actor, details=details)
    with transaction.atomic():
        note = CaseNote.unscoped.create(
            case=case,
            kind=NoteKind.CONTACT,
            compartment=chosen,
            body=text,
            created_by=actor,
            contact_at=checked.contact_at,
            contact_by=checked.contact_by,
            contact_with=checked.contact_with,
            contact_with_text=checked.contact_with_text,
            channel=checked.channel,
        )
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            request=request,
            unit=case.unit,
            obj=note,
            case_id=case.pk,
            fields=["body", "channel", "compartment", "contact_at", "contact_by", "contact_with", "kind"],
        )
    return note


def _writable_compartment(*, actor: Any, case: Case, compartment: str) -> Compartment:
    try:
        chosen = Compartment(compartment)
    except ValueError:
        raise ValidationError("Choose who may read this entry.") from None
    if not principal_for(actor).may(case.unit_id, chosen, Action.CREATE):
        raise PermissionDenied(
            f"Your role does not allow adding notes to the “{chosen.label}” compartment. "
            "Choose one of the compartments offered on the case page."
        )
    return chosen


def case_note_may_edit(*, actor: Any, note: CaseNote) -> bool:
    """Its author while they may still write in its compartment, or a role the policy lets change it.

    A released clinical summary is the clinician's wording of what the team may know: only a
    role that writes health notes may change it, never the team at large.
    """
    principal = principal_for(actor)
    unit_id = note.case.unit_id
    if note.is_released_summary and not principal.may(unit_id, Compartment.HEALTH, Action.CREATE):
        return False
    if note.created_by_id == getattr(actor, "pk", None) and principal.may(unit_id, note.compartment, Action.CREATE):
        return True
    return principal.may(unit_id, note.compartment, Action.CHANGE)


_REVISED_FIELDS = ("body", "contact_at", "contact_by", "contact_with", "contact_with_text", "channel")


def case_note_edit(
    *,
    actor: Any,
    note: CaseNote,
    expected_version: int,
    body: str,
    details: ContactDetails | None = None,
    request: HttpRequest | None = None,
) -> CaseNote:
    """Change a note's text (and a contact record's details) if nobody saved it in between.

    Guarantees: the actor may edit it (case_note_may_edit, else PermissionDenied); its
    compartment and kind never change here (moving clinical text out of `health` is a release);
    the version as it stood is kept as a CaseNoteRevision (encrypted) and the change audited as
    `change`, all in one transaction. When the stored version is no longer `expected_version`
    it raises StaleEditError carrying the current note, and writes nothing. Saving the same
    text again changes nothing and writes nothing.
    """
    if not case_note_may_edit(actor=actor, note=note):
        raise PermissionDenied(
            "Only the note's author, or a role allowed to change notes in its compartment, can edit it."
        )
    text = _note_text(body, what="summary of the contact" if note.is_contact else "note")
    changes: dict[str, Any] = {"body": text}
    if note.is_contact:
        if details is None:
            raise ValidationError("Say when, by whom, with whom and how the contact was made.")
        checked = _checked_contact(case=note.case, actor=actor, details=details)
        changes |= {
            "contact_at": checked.contact_at,
            "contact_by": checked.contact_by,
            "contact_with": checked.contact_with,
            "contact_with_text": checked.contact_with_text,
            "channel": checked.channel,
        }
    with transaction.atomic():
        # The row lock makes two editors of one note queue here; the second sees the first's version.
        current = locked_at_version(CaseNote.unscoped, note.pk, expected_version=expected_version, label="note")
        changed = sorted(name for name, value in changes.items() if getattr(current, name) != value)
        if not changed:
            return current
        CaseNoteRevision.unscoped.create(
            note=current,
            version=current.version,
            created_by=current.updated_by or current.created_by,
            replaced_by=actor,
            replaced_at=timezone.now(),
            **{name: getattr(current, name) for name in _REVISED_FIELDS},
        )
        for name, value in changes.items():
            setattr(current, name, value)
        current.updated_by = actor
        save_versioned(current, expected_version=expected_version, fields=[*changes, "updated_by"])
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=note.case.unit,
            obj=current,
            case_id=note.case.pk,
            fields=changed,
            detail={"version": current.version},
        )
    return current


def case_note_release_summary(
    *, actor: Any, note: CaseNote, summary: str, request: HttpRequest | None = None
) -> CaseNote:
    """Release a clinician's summary of a health note to the whole case team.

    Guarantees: only a health-compartment note or contact record can be summarised, and only
    by a role that may write in `health` (PermissionDenied otherwise); the clinician's summary,
    not the note, becomes a new `team` entry linked to its source; the release is audited as a
    `disclose` (source, from and to compartments) in the same transaction. The note itself stays
    in `health`, unchanged.
    """
    case = note.case
    if note.compartment != Compartment.HEALTH or note.is_released_summary:
        raise ValidationError("Only a clinical (health) note can have a summary released to the team.")
    if not principal_for(actor).may(case.unit_id, Compartment.HEALTH, Action.CREATE):
        raise PermissionDenied("Only a clinician can release a summary of a clinical note to the team.")
    text = _note_text(summary, what="summary")
    with transaction.atomic():
        released = CaseNote.unscoped.create(
            case=case,
            kind=NoteKind.RELEASED_SUMMARY,
            compartment=Compartment.TEAM,
            body=text,
            released_from=note,
            created_by=actor,
        )
        audit_record(
            action=AuditAction.DISCLOSE,
            actor=actor,
            request=request,
            unit=case.unit,
            obj=released,
            case_id=case.pk,
            fields=["body"],
            detail={"source": str(note.pk), "from": Compartment.HEALTH.value, "to": Compartment.TEAM.value},
        )
    return released
