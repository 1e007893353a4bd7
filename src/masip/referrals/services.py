"""Writes to referrals: drafting and submitting, screening, linking the people named, and the
triage decision. Each service checks the access policy itself, runs in one transaction and
writes its audit row inside it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from masip.access.policy import Capability
from masip.access.principal import principal_for
from masip.accounts.models import Agency, Unit
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.core.mail import email_after_commit
from masip.core.models import StaleEditError, save_versioned
from masip.core.references import last_number
from masip.core.workdays import add_working_days
from masip.referrals.models import (
    OPEN_STATUSES,
    Behaviour,
    Channel,
    FourAnswer,
    Referral,
    ReferralStatus,
    ReferralSubject,
    Relationship,
    Screening,
    SubjectRole,
    TriageDeadlines,
    TriageDecision,
    Urgency,
)
from masip.referrals.questions import ANSWERS, CURRENT_QUESTION_SET

if TYPE_CHECKING:
    from masip.cases.models import Case
    from masip.people.matching import PersonDetails
    from masip.people.models import Person

MAX_APPROXIMATE_AGE = 120
REASONS_MAX_LENGTH = 10_000
SUMMARY_MAX_LENGTH = 20_000
ORDERS_MAX_LENGTH = 5_000
# The longest value each field of a person named may hold, as the web form takes them.
SUBJECT_MAX_LENGTHS = {
    "given_name": ("A name", 100),
    "family_name": ("A name", 100),
    "pnc_id": ("A PNC id", 32),
    "nhs_number": ("An NHS number", 20),
    "phone": ("A phone number", 40),
    "email": ("An email address", 254),
    "address": ("An address", 1000),
}


@dataclass(frozen=True)
class SubjectEntry:
    """One person a referral names, as the referrer entered them; any field may be blank."""

    role: str
    unidentified: bool = False
    given_name: str = ""
    family_name: str = ""
    date_of_birth: date | None = None
    approximate_age: int | None = None
    gender: str = ""
    pnc_id: str = ""
    nhs_number: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class ReferralDraft:
    """What a referrer has entered so far. A draft may be incomplete; `referral_submit` checks
    that it is whole."""

    urgency: str = Urgency.ROUTINE
    relationship: str = ""
    behaviours: tuple[str, ...] = ()
    crime_reference: str = ""
    existing_orders: str = ""
    consent_to_referral: bool | None = None
    consent_to_referral_on: date | None = None
    consent_to_sharing: bool | None = None
    consent_to_sharing_on: date | None = None
    summary: str = ""
    external_reference: str = ""
    subjects: tuple[SubjectEntry, ...] = field(default_factory=tuple)


_DRAFT_FIELDS = (
    "urgency",
    "relationship",
    "behaviours",
    "crime_reference",
    "existing_orders",
    "consent_to_referral",
    "consent_to_referral_on",
    "consent_to_sharing",
    "consent_to_sharing_on",
    "summary",
    "external_reference",
)
_SUBJECT_FIELDS = tuple(name for name in SubjectEntry.__dataclass_fields__ if name != "role")


# Permission checks -------------------------------------------------------------------------


def _require(actor: Any, capability: Capability, unit_id: int, message: str) -> None:
    if not principal_for(actor).can(capability, unit_id=unit_id):
        raise PermissionDenied(message)


def _require_triage(actor: Any, referral: Referral) -> None:
    _require(
        actor,
        Capability.TRIAGE_REFERRALS,
        referral.unit_id,
        "Your role does not allow screening or triaging this unit's referrals.",
    )


def _require_open(referral: Referral) -> None:
    if referral.status not in OPEN_STATUSES:
        raise ValidationError(
            f"Referral {referral.reference} is “{referral.get_status_display()}”, so it can no longer be "
            "changed at triage. Reload the screening queue to see its current state."
        )


# Drafting and submitting -------------------------------------------------------------------


def _next_reference(*, unit: Unit, prefix: str, queryset: Any) -> str:
    """The next `<prefix>-<nnnn>` in the unit; the caller holds the unit's row lock."""
    return f"{prefix}-{last_number(queryset, f'{prefix}-') + 1:04d}"


def _clean_draft(draft: ReferralDraft) -> None:
    """Refuse values no form could offer; completeness waits for submission."""
    errors: dict[str, str] = {}
    if draft.urgency not in Urgency.values:
        errors["urgency"] = "Choose how urgent the referral is: routine, urgent or immediate."
    if draft.relationship and draft.relationship not in Relationship.values:
        errors["relationship"] = "Choose the relationship between the victim and the suspect from the list."
    unknown = [b for b in draft.behaviours if b not in Behaviour.values]
    if unknown:
        errors["behaviours"] = "Choose the behaviours from the list offered."
    if len(draft.external_reference) > 64:
        errors["external_reference"] = "Your own reference can be at most 64 characters."
    if len(draft.crime_reference) > 64:
        errors["crime_reference"] = "The crime reference can be at most 64 characters."
    if len(draft.summary) > SUMMARY_MAX_LENGTH:
        errors["summary"] = f"The description can be at most {SUMMARY_MAX_LENGTH} characters."
    if len(draft.existing_orders) > ORDERS_MAX_LENGTH:
        errors["existing_orders"] = f"Existing orders or bail conditions can be at most {ORDERS_MAX_LENGTH} characters."
    for subject in draft.subjects:
        if subject.role not in SubjectRole.values:
            errors["subjects"] = "Each person named must be a victim or a suspect."
        elif subject.role == SubjectRole.VICTIM and subject.unidentified:
            errors["subjects"] = "Only a suspect can be recorded as not identified."
        elif subject.approximate_age is not None and not 0 <= subject.approximate_age <= MAX_APPROXIMATE_AGE:
            errors["subjects"] = f"An approximate age must be between 0 and {MAX_APPROXIMATE_AGE}."
        elif subject.gender and subject.gender not in _gender_values():
            errors["subjects"] = "Choose a gender from the list, or leave it blank."
        else:
            for name, (label, longest) in SUBJECT_MAX_LENGTHS.items():
                if len(getattr(subject, name)) > longest:
                    errors["subjects"] = f"{label} can be at most {longest} characters."
                    break
    if errors:
        raise ValidationError(errors)


def _gender_values() -> set[str]:
    from masip.people.models import Gender  # the identity part owns the list

    return set(Gender.values)


def referral_save_draft(
    *,
    actor: Any,
    unit: Unit,
    draft: ReferralDraft,
    referral: Referral | None = None,
    expected_version: int | None = None,
    request: HttpRequest | None = None,
    source_agency: Agency | None = None,
) -> Referral:
    """Create (no `referral`) or update the actor's draft referral to `unit`, with the people it
    names replacing those saved before. A new draft comes from the actor's agency unless
    `source_agency` names another (a unit importing a partner's records).

    Guarantees: the actor may submit referrals to the unit and has an agency (the referral's
    source); only the draft's author can change it, and only while it is a draft; an update
    whose `expected_version` is stale raises StaleEditError; choices outside the lists and
    impossible values raise ValidationError; nothing is written on any refusal. A new draft
    gets the unit's next `<UNIT>-REF-<year>-<nnnn>` reference.
    """
    _require(actor, Capability.SUBMIT_REFERRALS, unit.pk, "Your role does not allow making referrals to this unit.")
    agency_id = source_agency.pk if source_agency is not None else actor.agency_id
    if agency_id is None:
        raise ValidationError(
            "Your account has no agency, so a referral cannot say where it comes from. "
            "Ask your unit's manager to set your agency."
        )
    _clean_draft(draft)
    values = {name: getattr(draft, name) for name in _DRAFT_FIELDS}
    values["behaviours"] = list(dict.fromkeys(draft.behaviours))
    with transaction.atomic():
        if referral is None:
            Unit.objects.select_for_update().filter(pk=unit.pk).first()
            _refuse_duplicate_external_reference(agency_id=agency_id, external_reference=draft.external_reference)
            prefix = f"{unit.code.upper()}-REF-{timezone.localdate().year}"
            referral = Referral.unscoped.create(
                unit=unit,
                reference=_next_reference(unit=unit, prefix=prefix, queryset=Referral.unscoped.filter(unit=unit)),
                source_agency_id=agency_id,
                referred_by=actor,
                created_by=actor,
                status=ReferralStatus.DRAFT,
                received_at=None,
                **values,
            )
            action = AuditAction.CREATE
        else:
            if referral.referred_by_id != actor.pk or referral.unit_id != unit.pk:
                raise PermissionDenied("Only the person who started this draft can change it.")
            if referral.status != ReferralStatus.DRAFT:
                raise ValidationError("This referral has already been submitted, so it can no longer be changed.")
            if expected_version is None:
                raise StaleEditError("referral")
            if draft.external_reference != referral.external_reference:
                _refuse_duplicate_external_reference(
                    agency_id=referral.source_agency_id, external_reference=draft.external_reference
                )
            for name, value in values.items():
                setattr(referral, name, value)
            save_versioned(referral, expected_version=expected_version, fields=list(values))
            ReferralSubject.unscoped.filter(referral=referral).delete()
            action = AuditAction.CHANGE
        ReferralSubject.unscoped.bulk_create(
            [
                ReferralSubject(
                    referral=referral,
                    created_by=actor,
                    role=entry.role,
                    **{name: getattr(entry, name) for name in _SUBJECT_FIELDS},
                )
                for entry in draft.subjects
            ]
        )
        audit_record(
            action=action,
            actor=actor,
            request=request,
            unit=unit,
            obj=referral,
            fields=[*values, "subjects"],
        )
    return referral


def _refuse_duplicate_external_reference(*, agency_id: int, external_reference: str) -> None:
    if (
        external_reference
        and Referral.unscoped.filter(source_agency_id=agency_id, external_reference=external_reference).exists()
    ):
        raise ValidationError(
            {
                "external_reference": f"Your agency has already sent a referral with the reference "
                f"“{external_reference}”. Check your referrals list before sending it again."
            }
        )


def _submission_errors(referral: Referral, received: datetime) -> dict[str, str]:
    errors: dict[str, str] = {}
    received_on = timezone.localdate(received)
    subjects = list(ReferralSubject.unscoped.filter(referral=referral))
    victims = [s for s in subjects if s.role == SubjectRole.VICTIM]
    suspects = [s for s in subjects if s.role == SubjectRole.SUSPECT]
    if received > timezone.now():
        errors["received_at"] = "The referral date is in the future. Enter the date the referral was made."
    if not victims:
        errors["victims"] = "Add at least one victim: the person being stalked."
    elif any(not (v.given_name.strip() or v.family_name.strip()) for v in victims):
        errors["victims"] = "Enter a name for each victim."
    if not suspects:
        errors["suspects"] = "Add the suspect, or record that the suspect has not been identified."
    elif any(
        not s.unidentified
        and not (s.given_name.strip() or s.family_name.strip() or s.pnc_id.strip() or s.nhs_number.strip())
        for s in suspects
    ):
        errors["suspects"] = (
            "Enter a name or an identifier for each suspect, or record that the suspect has not been identified."
        )
    born_late = [s for s in subjects if s.date_of_birth is not None and s.date_of_birth > received_on]
    if born_late:
        errors["date_of_birth"] = (
            f"The date of birth of {born_late[0].display_name} is after the referral date. Check and correct it."
        )
    bad_nhs = [s for s in subjects if s.nhs_number.strip() and not _valid_nhs_number(s.nhs_number.strip())]
    if bad_nhs:
        errors["nhs_number"] = (
            f"The NHS number of {bad_nhs[0].display_name} is not a valid NHS number. Check it, or leave it blank."
        )
    if referral.consent_to_referral is None:
        errors["consent_to_referral"] = "Record whether the victim consents to this referral."
    for name, label in (("consent_to_referral", "to this referral"), ("consent_to_sharing", "to sharing information")):
        given_on = getattr(referral, f"{name}_on")
        if getattr(referral, name) is not None and given_on is None:
            errors.setdefault(name, f"Enter the date the victim gave their answer about consent {label}.")
        elif given_on is not None and given_on > received_on:
            errors.setdefault(name, f"The date of consent {label} is after the referral date. Check and correct it.")
    return errors


def decision_deadline_for(*, unit_id: int, urgency: str, received_on: date) -> date:
    """The last day for a triage decision: the unit's working days for the urgency (or the
    defaults), counted from the day after receipt, skipping weekends and bank holidays."""
    return add_working_days(received_on, TriageDeadlines.days_for_unit(unit_id, urgency))


def _valid_nhs_number(value: str) -> bool:
    from masip.people.models import validate_nhs_number

    try:
        validate_nhs_number(value)
    except ValidationError:
        return False
    return True


def referral_submit(
    *,
    actor: Any,
    referral: Referral,
    expected_version: int,
    received_at: datetime | None = None,
    request: HttpRequest | None = None,
) -> Referral:
    """Submit the actor's draft: it becomes `received` and joins the unit's screening queue.

    Guarantees: only the draft's author, still allowed to refer to the unit, can submit; the
    referral names at least one victim (with a name), a suspect or an unidentified suspect, and
    records the victim's answer on consent to the referral; no date of birth or consent date
    falls after the referral date and the referral date (`received_at`, now unless the sender
    gave one) is not in the future. Every problem found is reported at once, by field, and
    nothing is written. The decision deadline is the unit's working days for its urgency.
    """
    _require(
        actor, Capability.SUBMIT_REFERRALS, referral.unit_id, "Your role does not allow making referrals to this unit."
    )
    if referral.referred_by_id != actor.pk:
        raise PermissionDenied("Only the person who started this draft can submit it.")
    if referral.status != ReferralStatus.DRAFT:
        raise ValidationError("This referral has already been submitted.")
    received = received_at or timezone.now()
    errors = _submission_errors(referral, received)
    if errors:
        raise ValidationError(errors)
    referral.status = ReferralStatus.RECEIVED
    referral.received_at = received
    referral.decision_deadline = decision_deadline_for(
        unit_id=referral.unit_id, urgency=referral.urgency, received_on=timezone.localdate(received)
    )
    fields = ["status", "received_at", "decision_deadline"]
    with transaction.atomic():
        save_versioned(referral, expected_version=expected_version, fields=fields)
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=referral.unit,
            obj=referral,
            fields=fields,
            detail={"event": "submitted"},
        )
    return referral


class ExternalReferenceConflict(ValidationError):
    """The sender's agency already holds a different referral under this external reference."""


def _intake_fingerprint(draft: ReferralDraft, received_at: datetime | None) -> str:
    from masip.people.blind_index import keyed_digest

    content = asdict(draft)
    content["received_at"] = received_at
    return keyed_digest("referral-intake", json.dumps(content, sort_keys=True, default=str))


def _already_received(*, agency_id: int, external_reference: str, fingerprint: str, unit: Unit) -> Referral | None:
    existing = Referral.unscoped.filter(source_agency_id=agency_id, external_reference=external_reference).first()
    if existing is None:
        return None
    if existing.unit_id != unit.pk:
        # Another unit's referral: the sender learns neither its reference nor what became of it.
        raise ExternalReferenceConflict(
            {
                "external_reference": f"The sending agency has already used the reference “{external_reference}” "
                "for another referral. Nothing was changed: use a new reference if this is a different referral."
            }
        )
    if existing.status == ReferralStatus.DRAFT or existing.intake_fingerprint != fingerprint:
        raise ExternalReferenceConflict(
            {
                "external_reference": f"Your agency already has referral {existing.reference} under the reference "
                f"“{external_reference}” with different content. Nothing was changed: send a correction to the "
                "unit, or use a new reference if this is a different referral."
            }
        )
    return existing


def referral_receive(
    *,
    actor: Any,
    unit: Unit,
    draft: ReferralDraft,
    channel: str,
    received_at: datetime | None = None,
    request: HttpRequest | None = None,
    source_agency: Agency | None = None,
) -> tuple[Referral, bool]:
    """Take in a whole referral sent by another system (API or file import): drafted and
    submitted in one transaction, so it is either received whole or not written at all.

    The referral comes from the actor's agency, or from `source_agency` when given (a unit
    importing the records of a police force: the force is the source, the importer the
    referrer); the sender's reference is unique within that agency.

    Idempotent on the sender's external reference, which is required: sending the same content
    under the same reference again returns the referral already received with `created` False
    and writes nothing; different content under a reference already used raises
    ExternalReferenceConflict (a ValidationError) and changes nothing. Two identical sends at
    the same moment give one referral. Otherwise the guarantees of `referral_save_draft` and
    `referral_submit` hold, and their errors are raised by field.
    """
    if channel not in (Channel.API, Channel.IMPORT):
        raise ValueError(f"referral_receive takes referrals from other systems, not from {channel!r}")
    reference = draft.external_reference.strip()
    if not reference:
        raise ValidationError(
            {"external_reference": "Give your own reference for the referral: it lets masip recognise a resend."}
        )
    _require(actor, Capability.SUBMIT_REFERRALS, unit.pk, "Your role does not allow making referrals to this unit.")
    draft = replace(draft, external_reference=reference)
    fingerprint = _intake_fingerprint(draft, received_at)
    agency_id = source_agency.pk if source_agency is not None else actor.agency_id
    if agency_id is not None:
        existing = _already_received(
            agency_id=agency_id, external_reference=reference, fingerprint=fingerprint, unit=unit
        )
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            referral = referral_save_draft(
                actor=actor, unit=unit, draft=draft, request=request, source_agency=source_agency
            )
            referral.channel = channel
            referral.intake_fingerprint = fingerprint
            Referral.unscoped.filter(pk=referral.pk).update(channel=channel, intake_fingerprint=fingerprint)
            referral_submit(
                actor=actor,
                referral=referral,
                expected_version=referral.version,
                received_at=received_at,
                request=request,
            )
    except (IntegrityError, ValidationError):
        # Another send with this reference may have committed between the check and the insert.
        existing = (
            _already_received(agency_id=agency_id, external_reference=reference, fingerprint=fingerprint, unit=unit)
            if agency_id is not None
            else None
        )
        if existing is None:
            raise
        return existing, False
    return referral, True


def referral_withdraw(
    *, actor: Any, referral: Referral, reason: str, expected_version: int, request: HttpRequest | None = None
) -> Referral:
    """Withdraw a referral that has no decision yet, for a written reason.

    Guarantees: only its referrer (still allowed to refer to the unit) or someone who may triage
    the unit's referrals can withdraw it; a decided or already withdrawn referral is refused; a
    stale version raises StaleEditError; the reason is audited as the justification.
    """
    principal = principal_for(actor)
    own = referral.referred_by_id == actor.pk and principal.can(Capability.SUBMIT_REFERRALS, unit_id=referral.unit_id)
    if not own and not principal.can(Capability.TRIAGE_REFERRALS, unit_id=referral.unit_id):
        raise PermissionDenied("Only the referrer or the unit's screeners can withdraw this referral.")
    if referral.status not in (ReferralStatus.DRAFT, *OPEN_STATUSES):
        raise ValidationError(
            f"Referral {referral.reference} is “{referral.get_status_display()}” and cannot be withdrawn."
        )
    text = reason.strip()
    if not text:
        raise ValidationError({"reason": "Say why the referral is being withdrawn."})
    referral.status = ReferralStatus.WITHDRAWN
    with transaction.atomic():
        save_versioned(referral, expected_version=expected_version, fields=["status"])
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=referral.unit,
            obj=referral,
            fields=["status"],
            justification=text,
            detail={"event": "withdrawn"},
        )
    return referral


def draft_of(referral: Referral) -> ReferralDraft:
    """The stored referral as a ReferralDraft, the people it names in the order they were entered.

    `referral_save_draft` replaces everything from the draft it is given, so a page that changes
    one part starts from this and replaces only that part (`dataclasses.replace`).
    """
    subjects = ReferralSubject.unscoped.filter(referral=referral).order_by("created_at", "id")
    return ReferralDraft(
        **{name: getattr(referral, name) for name in _DRAFT_FIELDS if name != "behaviours"},
        behaviours=tuple(referral.behaviours or ()),
        subjects=tuple(
            SubjectEntry(role=subject.role, **{name: getattr(subject, name) for name in _SUBJECT_FIELDS})
            for subject in subjects
        ),
    )


# Screening ---------------------------------------------------------------------------------


def referral_assign_screener(
    *,
    actor: Any,
    referral: Referral,
    screener: Any,
    expected_version: int,
    request: HttpRequest | None = None,
) -> Referral:
    """Give an open referral to `screener`; a received referral moves to `screening`.

    Guarantees: both the actor and the screener may triage the referral's unit's referrals;
    a decided or withdrawn referral is refused; a stale version raises StaleEditError.
    """
    _require_triage(actor, referral)
    _require_open(referral)
    if not principal_for(screener).can(Capability.TRIAGE_REFERRALS, unit_id=referral.unit_id):
        raise ValidationError(
            {"screener": "This person cannot screen this unit's referrals. Choose someone with a screening role."}
        )
    referral.screener = screener
    referral.status = ReferralStatus.SCREENING
    fields = ["screener", "status"]
    with transaction.atomic():
        save_versioned(referral, expected_version=expected_version, fields=fields)
        audit_record(
            action=AuditAction.CHANGE, actor=actor, request=request, unit=referral.unit, obj=referral, fields=fields
        )
    return referral


def screening_save(
    *,
    actor: Any,
    referral: Referral,
    fixated: str,
    obsessive: str,
    unwanted: str,
    repeated: str,
    answers: Mapping[str, str],
    harassment_not_stalking: bool = False,
    harassment_reason: str = "",
    notes: str = "",
    expected_version: int | None = None,
    request: HttpRequest | None = None,
) -> Screening:
    """Record (first save: `expected_version` None) or revise the referral's screening.

    Guarantees: the actor may triage the unit's referrals and the referral is still open; each
    FOUR answer is yes / no / not known; answers name only questions of the current question set
    (unanswered ones are stored as not known) and the set's id and version are stored with them;
    judging the conduct harassment rather than stalking requires the reason. Two first saves or
    a stale revision raise StaleEditError and write nothing. Nothing is scored here: the
    decision stays the screener's.
    """
    _require_triage(actor, referral)
    _require_open(referral)
    errors: dict[str, str] = {}
    four = {"fixated": fixated, "obsessive": obsessive, "unwanted": unwanted, "repeated": repeated}
    for name, value in four.items():
        if value not in FourAnswer.values:
            errors[name] = f"Answer whether the conduct is {name}: yes, no or not known."
    question_set = CURRENT_QUESTION_SET
    known = question_set.question_ids()
    if any(key not in known for key in answers) or any(value not in ANSWERS for value in answers.values()):
        errors["answers"] = "Answer each screening question with yes, no or not known."
    reason = harassment_reason.strip()
    if harassment_not_stalking and not reason:
        errors["harassment_reason"] = "Explain why the conduct is harassment rather than stalking."
    if errors:
        raise ValidationError(errors)
    values: dict[str, Any] = {
        **four,
        "answers": {key: answers.get(key, "unknown") for key in known},
        "question_set_id": question_set.id,
        "question_set_version": question_set.version,
        "harassment_not_stalking": harassment_not_stalking,
        "harassment_reason": reason if harassment_not_stalking else "",
        "notes": notes.strip(),
        "screened_by": actor,
    }
    with transaction.atomic():
        # Decided (or withdrawn) since the page was loaded: the screening is refused, not saved
        # onto a closed referral. The row lock orders this save against a concurrent decision.
        current = Referral.unscoped.select_for_update().only("status").get(pk=referral.pk)
        referral.status = current.status
        _require_open(referral)
        if expected_version is None:
            try:
                with transaction.atomic():
                    screening = Screening.unscoped.create(referral=referral, created_by=actor, **values)
            except IntegrityError:
                raise StaleEditError("screening") from None
            action = AuditAction.CREATE
        else:
            screening = Screening.unscoped.get(referral=referral)
            for name, value in values.items():
                setattr(screening, name, value)
            save_versioned(screening, expected_version=expected_version, fields=list(values))
            action = AuditAction.CHANGE
        # Screening work moves a received referral on without touching its version: a
        # screener's open triage form stays valid.
        Referral.unscoped.filter(pk=referral.pk, status=ReferralStatus.RECEIVED).update(status=ReferralStatus.SCREENING)
        audit_record(
            action=action,
            actor=actor,
            request=request,
            unit=referral.unit,
            obj=screening,
            fields=sorted(n for n in values if n != "screened_by"),
            detail={"question_set": f"{question_set.id} v{question_set.version}"},
        )
    return screening


# The people a referral names ---------------------------------------------------------------


def subject_details(subject: ReferralSubject) -> PersonDetails:
    """What the referral says about one person, in the identity part's terms."""
    from masip.people.matching import PersonDetails

    return PersonDetails(
        given_name=subject.given_name,
        family_name=subject.family_name,
        date_of_birth=subject.date_of_birth,
        approximate_age=subject.approximate_age,
        gender=subject.gender,
        pnc_id=subject.pnc_id,
        nhs_number=subject.nhs_number,
    )


def _check_subject_linkable(actor: Any, subject: ReferralSubject) -> Referral:
    referral = subject.referral
    _require_triage(actor, referral)
    _require_open(referral)
    if subject.unidentified:
        raise ValidationError("This suspect has not been identified, so there is no one to link.")
    return referral


def _link(*, actor: Any, subject: ReferralSubject, person: Person, how: str, request: HttpRequest | None) -> None:
    referral = subject.referral
    subject.person = person
    save_versioned(subject, expected_version=subject.version, fields=["person"])
    audit_record(
        action=AuditAction.CHANGE,
        actor=actor,
        request=request,
        unit=referral.unit,
        obj=subject,
        person_id=person.pk,
        fields=["person"],
        detail={"decision": how, "referral": referral.reference},
    )


def referral_subject_link(
    *, actor: Any, subject: ReferralSubject, person: Person, request: HttpRequest | None = None
) -> ReferralSubject:
    """Record the screener's decision that `subject` is the existing `person`.

    Guarantees: the actor may triage the referral's unit and the referral is open; the person
    is in the referral's unit (never another unit's record); a subject already linked to
    another person is refused (linking it to the same person again changes nothing); the link
    and its audit row (with the person's id) commit together; a subject changed since it was
    loaded raises StaleEditError.
    """
    referral = _check_subject_linkable(actor, subject)
    if person.unit_id != referral.unit_id:
        raise ValidationError("That person is not a record of this unit. Choose one of the people offered.")
    if subject.person_id == person.pk:
        return subject  # the same decision again (a second click): nothing to change
    if subject.person_id is not None:
        # Someone decided meanwhile: their link is never silently replaced.
        raise ValidationError("This person is already linked to a record. Reload the page to see it.")
    with transaction.atomic():
        _link(actor=actor, subject=subject, person=person, how="linked to existing person", request=request)
    return subject


def referral_subject_create_person(
    *, actor: Any, subject: ReferralSubject, request: HttpRequest | None = None
) -> Person:
    """Record the screener's decision that `subject` is nobody the unit knows: a new person is
    created in the referral's unit from the details entered, and linked.

    Guarantees as for `referral_subject_link`; a subject already linked is refused.
    """
    referral = _check_subject_linkable(actor, subject)
    if subject.person_id is not None:
        raise ValidationError("This person is already linked to a record. Reload the page to see it.")
    with transaction.atomic():
        person = _create_person_for(actor=actor, subject=subject, unit=referral.unit, request=request)
    return person


def _create_person_for(*, actor: Any, subject: ReferralSubject, unit: Unit, request: HttpRequest | None) -> Person:
    from masip.people.models import Person
    from masip.people.services import person_create

    person = person_create(
        actor=actor,
        unit=unit,
        details=subject_details(subject),
        contact={name: getattr(subject, name) for name in Person.CONTACT_FIELDS},
        request=request,
    )
    _link(actor=actor, subject=subject, person=person, how="created new person", request=request)
    return person


# Triage ------------------------------------------------------------------------------------


def triage_decide(
    *,
    actor: Any,
    referral: Referral,
    decision: str,
    reasons: str,
    advice: str = "",
    expected_version: int,
    attach_to: Case | None = None,
    request: HttpRequest | None = None,
) -> Referral:
    """Record the triage decision on an open referral, with its reasons.

    An accepted referral opens a new case, or, when `attach_to` is given (the screener confirmed
    it), is attached to that open case of the unit about the same victim or perpetrator (see
    `case_attach_referral`): no second case is opened.

    Guarantees: the actor may triage the referral's unit; reasons are always required and advice
    too when the referral is left with the partner; the decision, a case for an accepted
    referral (see `case_open_from_referral`; subjects not yet linked get a new person first) and
    the audit rows commit together or not at all. When two screeners decide at once the second
    gets StaleEditError and nothing of theirs is written. A partner-managed referrer is emailed,
    after commit, that advice is waiting (the advice itself stays in masip).
    """
    from masip.cases.services import case_attach_referral, case_open_from_referral

    _require_triage(actor, referral)
    errors: dict[str, str] = {}
    if decision not in TriageDecision.values:
        errors["decision"] = "Choose a decision: accepted, partner-managed, signposted or no further action."
    elif attach_to is not None and decision != TriageDecision.ACCEPTED:
        errors["decision"] = "Only an accepted referral can be attached to a case. Choose “accepted” or open no case."
    text = reasons.strip()
    if not text:
        errors["reasons"] = "Give the reasons for the decision."
    elif len(text) > REASONS_MAX_LENGTH:
        errors["reasons"] = f"Reasons can be at most {REASONS_MAX_LENGTH} characters."
    advice_text = advice.strip()
    if decision == TriageDecision.PARTNER_MANAGED and not advice_text:
        errors["advice"] = "Write the advice the unit gives the referrer: they will read it."
    if errors:
        raise ValidationError(errors)
    if referral.version != expected_version:
        raise StaleEditError("referral")
    _require_open(referral)
    referral.status = ReferralStatus.DECIDED
    referral.decision = decision
    referral.decided_at = timezone.now()
    referral.decided_by = actor
    referral.decision_reasons = text
    referral.advice = advice_text
    fields = ["status", "decision", "decided_at", "decided_by", "decision_reasons", "advice"]
    with transaction.atomic():
        # The versioned write comes first: the losing screener stops here, before a case exists.
        save_versioned(referral, expected_version=expected_version, fields=fields)
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=referral.unit,
            obj=referral,
            fields=fields,
            detail={"decision": decision},
        )
        if decision == TriageDecision.ACCEPTED:
            for subject in ReferralSubject.unscoped.filter(referral=referral, person__isnull=True, unidentified=False):
                subject.referral = referral
                _create_person_for(actor=actor, subject=subject, unit=referral.unit, request=request)
            if attach_to is not None:
                case = case_attach_referral(actor=actor, case=attach_to, referral=referral, request=request)
            else:
                case = case_open_from_referral(actor=actor, referral=referral, request=request)
            Referral.unscoped.filter(pk=referral.pk).update(case=case)
            referral.case = case
        if decision == TriageDecision.PARTNER_MANAGED:
            _tell_referrer_of_advice(referral=referral, request=request)
    return referral


def _tell_referrer_of_advice(*, referral: Referral, request: HttpRequest | None) -> None:
    referrer = referral.referred_by
    if referrer is None or not referrer.email or referrer.is_service_account:
        return  # a system that sent the referral by API reads the advice there
    path = reverse("referrals:mine")
    link = request.build_absolute_uri(path) if request is not None else path
    # Email leaves masip: it names the referral by reference only; the advice is read in masip.
    subject = f"Advice from the stalking unit on referral {referral.reference}"
    body = (
        f"The unit has screened your referral {referral.reference} and it stays with your agency, "
        f"with the unit's advice.\n\nSign in to masip to read the advice: {link}\n"
    )
    email_after_commit([(subject, body, [referrer.email])])
