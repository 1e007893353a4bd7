"""Writes to cases: notes and break-glass. Each is one transaction with its audit row inside."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from masip.access.models import BREAK_GLASS_LIFETIME, BreakGlassGrant, CaseRole, CaseTeamMember
from masip.access.policy import Action, Capability, Compartment, roles_with_capability
from masip.access.principal import principal_for
from masip.accounts.models import Membership, Role, Unit
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.cases.models import Case, CaseNote, CaseParticipant, ParticipantRole, case_reference
from masip.core.mail import email_after_commit
from masip.core.references import last_number

BREAK_GLASS_REASON_MIN_LENGTH = 20
NOTE_MAX_LENGTH = 20_000


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
    one); the actor joins the case team. Runs inside the caller's transaction (triage_decide),
    which links the referral to the case; subjects not yet linked must be linked first.
    """
    from masip.referrals.models import ReferralSubject
    from masip.work.services import RuleReason, work_rules_apply

    if not principal_for(actor).can(Capability.TRIAGE_REFERRALS, unit_id=referral.unit_id):
        raise PermissionDenied("Your role does not allow accepting this unit's referrals.")
    subjects = list(ReferralSubject.unscoped.filter(referral=referral, unidentified=False))
    if any(subject.person_id is None for subject in subjects):
        raise ValidationError("Link or create a person for everyone the referral names before opening a case.")
    with transaction.atomic():
        unit = Unit.objects.select_for_update().get(pk=referral.unit_id)
        case = Case.unscoped.create(
            unit=unit,
            reference=_next_case_reference(unit),
            lead_agency_id=unit.lead_agency_id,
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
            fields=["reference", "summary", "participants", "team"],
            detail={"referral": referral.reference},
        )
        work_rules_apply(case=case, reason=RuleReason.CASE_OPENED, actor=actor, request=request)
    return case
