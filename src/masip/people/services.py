"""Writes to person records. Each is one transaction with its audit row inside."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from masip.access.policy import Action, Capability, Compartment
from masip.access.principal import principal_for
from masip.accounts.models import Unit, User
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.core.models import StaleEditError, save_versioned
from masip.people.matching import PersonDetails
from masip.people.models import AliasKind, Gender, Person, PersonAlias, validate_flags, validate_nhs_number


def _check(details: PersonDetails) -> None:
    errors: dict[str, list[str]] = {}
    if details.nhs_number:
        try:
            validate_nhs_number(details.nhs_number)
        except ValidationError as exc:
            errors["nhs_number"] = exc.messages
    if details.gender and details.gender not in Gender.values:
        errors["gender"] = ["Choose a gender from the list, or 'Not known'."]
    if details.date_of_birth and details.date_of_birth > timezone.localdate():
        errors["date_of_birth"] = ["Date of birth must be today or in the past."]
    if details.approximate_age is not None and not 0 <= details.approximate_age <= 120:
        errors["approximate_age"] = ["Approximate age must be a number of years from 0 to 120."]
    if errors:
        raise ValidationError(errors)


def person_create(
    *,
    actor: User,
    unit: Unit,
    details: PersonDetails,
    contact: Mapping[str, str] | None = None,
    request: Any = None,
) -> Person:
    """Record a new person in `unit` from what a referral says about them.

    Guarantees: the details are validated first (a bad NHS number, a future date of birth or an
    unknown gender raises ValidationError with a message per field, and nothing is written);
    matching keys and blind indexes are computed by the model; an approximate age is kept
    only when the date of birth is unknown, stamped with today's date; `contact` (address,
    phone, email, as the referrer gave them) is stored encrypted; one `create` audit event
    names the fields given, never their values.
    """
    contact = contact or {}
    unknown = set(contact) - set(Person.CONTACT_FIELDS)
    if unknown:
        raise ValueError(f"person_create: {sorted(unknown)} are not contact fields")
    _check(details)
    age = details.approximate_age if details.date_of_birth is None else None
    with transaction.atomic():
        person = Person(
            unit=unit,
            created_by=actor,
            given_name=details.given_name.strip(),
            family_name=details.family_name.strip(),
            date_of_birth=details.date_of_birth,
            approximate_age=age,
            approximate_age_given_on=timezone.localdate() if age is not None else None,
            gender=details.gender,
            pnc_id=details.pnc_id.strip(),
            nhs_number=details.nhs_number.strip(),
            **{name: value.strip() for name, value in contact.items()},
        )
        person.save(force_insert=True)
        given = [
            name
            for name in (
                "given_name",
                "family_name",
                "date_of_birth",
                "approximate_age",
                "gender",
                "pnc_id",
                "nhs_number",
                *Person.CONTACT_FIELDS,
            )
            if getattr(person, name) not in ("", None)
        ]
        audit_record(
            action="create", actor=actor, request=request, unit=unit, obj=person, person_id=person.pk, fields=given
        )
    return person


def person_alias_add(
    *,
    actor: User,
    person: Person,
    given_name: str = "",
    family_name: str = "",
    kind: str = AliasKind.ALIAS,
    request: Any = None,
) -> PersonAlias:
    """Record another name `person` is or was known by, so matching finds them under it too.

    Guarantees: at least one name part and a known kind (ValidationError otherwise, nothing
    written); one `create` audit event on the person naming the alias fields given.
    """
    if not (given_name.strip() or family_name.strip()):
        raise ValidationError("Enter a first name, a surname or both for the other name.")
    if kind not in AliasKind.values:
        raise ValidationError("Choose whether this is an alias, a nickname or a previous name.")
    with transaction.atomic():
        alias = PersonAlias(
            person=person,
            created_by=actor,
            given_name=given_name.strip(),
            family_name=family_name.strip(),
            kind=kind,
        )
        alias.save(force_insert=True)
        given = [name for name in ("given_name", "family_name", "kind") if getattr(alias, name)]
        audit_record(
            action="create",
            actor=actor,
            request=request,
            unit=person.unit,
            obj=alias,
            person_id=person.pk,
            fields=given,
        )
    return alias


# Fields `person_update` may change; contact details need the victim-contact compartment too.
EDITABLE_FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "approximate_age",
    "gender",
    "flags",
    "pnc_id",
    "nhs_number",
    *Person.CONTACT_FIELDS,
)
_TEXT_FIELDS = ("given_name", "family_name", "gender", "pnc_id", "nhs_number", *Person.CONTACT_FIELDS)
_NAME_MAX_LENGTH = 100


def _require_person_change(actor: User, person: Person, changes: Mapping[str, Any]) -> None:
    principal = principal_for(actor)
    unit_id = person.unit_id
    may_edit = principal.can(Capability.TRIAGE_REFERRALS, unit_id=unit_id) or principal.may(
        unit_id, Compartment.TEAM, Action.CHANGE
    )
    if not may_edit or not Person.objects.visible_to(actor).filter(pk=person.pk).exists():
        raise PermissionDenied("Your role does not allow changing this person's record.")
    if set(changes) & set(Person.CONTACT_FIELDS) and not principal.may(
        unit_id, Compartment.VICTIM_CONTACT, Action.CHANGE
    ):
        raise PermissionDenied("Your role does not allow changing contact details. Ask a case worker who may.")


def _clean_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"person_update cannot change {sorted(unknown)}")
    cleaned: dict[str, Any] = {}
    for name, value in changes.items():
        if name in _TEXT_FIELDS:
            cleaned[name] = (value or "").strip()
        elif name == "flags":
            cleaned[name] = list(dict.fromkeys(value or []))
        else:
            cleaned[name] = value
    errors: dict[str, list[str]] = {}
    for name in ("given_name", "family_name"):
        if len(cleaned.get(name, "")) > _NAME_MAX_LENGTH:
            errors[name] = [f"A name can be at most {_NAME_MAX_LENGTH} characters."]
    if "flags" in cleaned:
        try:
            validate_flags(cleaned["flags"])
        except ValidationError as exc:
            errors["flags"] = exc.messages
    try:
        _check(
            PersonDetails(
                gender=cleaned.get("gender", ""),
                date_of_birth=cleaned.get("date_of_birth"),
                approximate_age=cleaned.get("approximate_age"),
                nhs_number=cleaned.get("nhs_number", ""),
            )
        )
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return cleaned


def person_update(
    *,
    actor: User,
    person: Person,
    changes: Mapping[str, Any],
    expected_version: int,
    request: Any = None,
) -> Person:
    """Change a person's names, date of birth or approximate age, gender, flags, identifiers or
    contact details: `changes` maps field names (EDITABLE_FIELDS) to their new values.

    Guarantees: the actor can see the person and may triage the unit's referrals or change its
    case records; contact details also need the victim-contact compartment (PermissionDenied
    otherwise). Values are checked as `person_create` checks them (ValidationError by field).
    A record changed since `expected_version` raises StaleEditError. On any refusal nothing is
    written. Matching keys and blind indexes are recomputed with the names and identifiers, so
    matching finds the person under the new name and no longer under the old one. A date of
    birth clears the approximate age; a new approximate age is stamped with today's date. One
    `change` audit event names the fields changed, never their values; a change that changes
    nothing writes nothing.
    """
    _require_person_change(actor, person, changes)
    cleaned = _clean_changes(changes)
    if cleaned.get("date_of_birth", person.date_of_birth) is not None:
        cleaned["approximate_age"] = None
    changed = [name for name, value in cleaned.items() if getattr(person, name) != value]
    if not changed:
        if person.version != expected_version:
            raise StaleEditError("person")
        return person
    for name in changed:
        setattr(person, name, cleaned[name])
    fields = list(changed)
    if "approximate_age" in changed:
        person.approximate_age_given_on = timezone.localdate() if person.approximate_age is not None else None
        fields.append("approximate_age_given_on")
    if set(changed) & set(Person.KEY_SOURCES):
        # save_versioned writes with update(), which skips Person.save(): recompute the keys here.
        person.refresh_match_keys()
        fields += [name for name in Person.KEY_FIELDS if name not in fields]
    with transaction.atomic():
        save_versioned(person, expected_version=expected_version, fields=fields)
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=person.unit,
            obj=person,
            person_id=person.pk,
            fields=sorted(changed),
        )
    return person
