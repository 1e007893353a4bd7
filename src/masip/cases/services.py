"""Writes to cases: notes and break-glass. Each is one transaction with its audit row inside."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
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
from masip.cases.models import (
    Case,
    CaseNote,
    CaseNoteRevision,
    CaseParticipant,
    ContactChannel,
    NoteKind,
    ParticipantRole,
    case_reference,
)
from masip.core.mail import email_after_commit
from masip.core.models import StaleEditError, save_versioned
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


# Contact records, edits with revisions, and clinical summaries released to the team -------


class NoteEditConflict(StaleEditError):
    """Someone saved the note after the editor opened it. Nothing of the editor's was written;
    `current` is the note as it now stands, for the page to show beside the editor's text."""

    def __init__(self, current: CaseNote) -> None:
        super().__init__("note")
        self.current = current


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
    """Its author while they may still write in its compartment, or a role the policy lets change it."""
    principal = principal_for(actor)
    unit_id = note.case.unit_id
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
    it raises NoteEditConflict carrying the current note, and writes nothing. Saving the same
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
        current = CaseNote.unscoped.select_for_update().get(pk=note.pk)
        if current.version != expected_version:
            raise NoteEditConflict(current)
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
        try:
            save_versioned(current, expected_version=expected_version, fields=[*changes, "updated_by"])
        except StaleEditError:  # only reachable if a writer bypassed the row lock
            raise NoteEditConflict(CaseNote.unscoped.get(pk=note.pk)) from None
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
