"""Writes to person records. Each is one transaction with its audit row inside."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from masip.accounts.models import Unit, User
from masip.audit.services import audit_record
from masip.people.matching import PersonDetails
from masip.people.models import AliasKind, Gender, Person, PersonAlias, validate_nhs_number


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


def person_create(*, actor: User, unit: Unit, details: PersonDetails, request: Any = None) -> Person:
    """Record a new person in `unit` from what a referral says about them.

    Guarantees: the details are validated first (a bad NHS number, a future date of birth or an
    unknown gender raises ValidationError with a message per field, and nothing is written);
    matching keys and blind indexes are computed by the model; an approximate age is kept
    only when the date of birth is unknown, stamped with today's date; one `create` audit
    event names the fields given, never their values.
    """
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
