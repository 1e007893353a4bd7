"""People known to a unit: victims, perpetrators, suspects and others. Names stay searchable;
contact details and identifiers are encrypted. Identifiers are found by a keyed blind index,
names by matching keys (normalised spellings, phonetic codes) that `save()` computes, so no
caller can forget them or set them wrongly."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from masip.access.managers import CaseScopedQuerySet, VisibleOnly, case_visibility
from masip.access.policy import Capability
from masip.access.principal import principal_for
from masip.core.fields import EncryptedTextField
from masip.core.models import CaseDataModel
from masip.people.blind_index import blind_index, normalise_nhs_number
from masip.people.keys import normalise_name, phonetic


class Gender(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    NON_BINARY = "non_binary", "Non-binary"
    OTHER = "other", "Another gender"
    NOT_KNOWN = "not_known", "Not known"


class PersonFlag(models.TextChoices):
    """Warnings every worker on the person's cases should see before contact."""

    WEAPONS_ACCESS = "weapons_access", "Has access to weapons"
    VIOLENT_HISTORY = "violent_history", "History of violence"
    FIREARMS_LICENCE = "firearms_licence", "Holds a firearms or shotgun licence"
    SELF_HARM_RISK = "self_harm_risk", "Risk of self-harm or suicide"
    THREATS_TO_KILL = "threats_to_kill", "Has made threats to kill"
    BREACHED_ORDERS = "breached_orders", "Has breached protective orders"
    LONE_WORKER_RISK = "lone_worker_risk", "Do not visit alone"


def validate_nhs_number(value: str) -> None:
    """Ten digits whose last is the modulus 11 check digit of the first nine."""
    digits = normalise_nhs_number(value)
    if not value.strip():
        return
    if re.search(r"[^\d\s-]", value) or len(digits) != 10:
        raise ValidationError("Enter an NHS number as 10 digits, like 485 777 3456.", code="nhs_number_format")
    total = sum(int(digit) * weight for digit, weight in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    if check == 10 or check != int(digits[9]):
        raise ValidationError(
            "This is not a valid NHS number: check the digits against the letter or record it came from.",
            code="nhs_number_check",
        )


def validate_flags(value: Any) -> None:
    if not isinstance(value, list) or any(flag not in PersonFlag.values for flag in value):
        raise ValidationError("Choose flags from the list shown.", code="flags")


class Person(CaseDataModel):
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="people")
    given_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    # When the date of birth is not known: the age someone gave, and when they gave it.
    approximate_age = models.PositiveSmallIntegerField(null=True, blank=True)
    approximate_age_given_on = models.DateField(null=True, blank=True)
    gender = models.CharField(max_length=16, choices=Gender.choices, blank=True)
    flags = models.JSONField(default=list, blank=True, validators=[validate_flags])
    # Identifiers: encrypted, found only through their blind index.
    pnc_id = EncryptedTextField(blank=True)
    pnc_id_index = models.CharField(max_length=64, blank=True, editable=False)
    nhs_number = EncryptedTextField(blank=True, validators=[validate_nhs_number])
    nhs_number_index = models.CharField(max_length=64, blank=True, editable=False)
    # Protected victim-contact group: visible only to roles the policy allows.
    address = EncryptedTextField(blank=True)
    phone = EncryptedTextField(blank=True)
    email = EncryptedTextField(blank=True)
    # Matching keys, computed by save() from the names above.
    match_given = models.CharField(max_length=100, blank=True, editable=False)
    match_family = models.CharField(max_length=100, blank=True, editable=False)
    phonetic_given = models.CharField(max_length=16, blank=True, editable=False)
    phonetic_family = models.CharField(max_length=16, blank=True, editable=False)

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()

    @staticmethod
    def visibility_q(user: Any) -> Q:
        """A person is visible through any visible case they take part in, and to the roles that
        triage a unit's referrals, for all of that unit's people: screeners match referrals to
        them and read their linked history before any case exists. Contact details stay behind
        the victim-contact compartment wherever they are shown."""
        from masip.cases.models import CaseParticipant

        q = Q(pk__in=CaseParticipant.unscoped.filter(case_visibility(user, "case")).values("person_id"))
        triage_units = principal_for(user).units_with(Capability.TRIAGE_REFERRALS)
        if triage_units:
            q |= Q(unit_id__in=sorted(triage_units))
        return q

    CONTACT_FIELDS = ("address", "phone", "email")
    IDENTIFIER_FIELDS = ("pnc_id", "nhs_number")
    # Fields whose change must recompute the matching keys: see refresh_match_keys().
    KEY_SOURCES = ("given_name", "family_name", "pnc_id", "nhs_number")
    KEY_FIELDS = (
        "match_given",
        "match_family",
        "phonetic_given",
        "phonetic_family",
        "pnc_id_index",
        "nhs_number_index",
    )

    class Meta:
        ordering = ["family_name", "given_name"]
        indexes = [
            models.Index(fields=["unit", "family_name", "given_name"], name="person_unit_name"),
            # Blocking tiers of identity resolution (see matching.py).
            models.Index(fields=["unit", "phonetic_family", "phonetic_given"], name="person_unit_phonetic"),
            models.Index(fields=["unit", "phonetic_family", "match_given"], name="person_unit_phon_family"),
            models.Index(fields=["unit", "phonetic_given", "match_family"], name="person_unit_phon_given"),
            models.Index(fields=["unit", "date_of_birth"], name="person_unit_dob"),
            # Across units (pointers): identifiers, and date of birth with the phonetic names.
            models.Index(fields=["pnc_id_index"], name="person_pnc_index", condition=~Q(pnc_id_index="")),
            models.Index(fields=["nhs_number_index"], name="person_nhs_index", condition=~Q(nhs_number_index="")),
            models.Index(fields=["date_of_birth", "phonetic_family", "phonetic_given"], name="person_dob_phonetic"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return " ".join(part for part in (self.given_name, self.family_name) if part) or "Name not known"

    def refresh_match_keys(self) -> None:
        """Recompute every matching key and blind index from the current values."""
        self.match_given = normalise_name(self.given_name)
        self.match_family = normalise_name(self.family_name)
        self.phonetic_given = phonetic(self.given_name)
        self.phonetic_family = phonetic(self.family_name)
        self.pnc_id_index = blind_index("pnc_id", self.pnc_id)
        self.nhs_number_index = blind_index("nhs_number", self.nhs_number)

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.refresh_match_keys()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and set(update_fields) & set(self.KEY_SOURCES):
            kwargs["update_fields"] = {*update_fields, *self.KEY_FIELDS}
        super().save(*args, **kwargs)


class AliasKind(models.TextChoices):
    ALIAS = "alias", "Alias"
    NICKNAME = "nickname", "Nickname"
    PREVIOUS_NAME = "previous_name", "Previous name"


class PersonAlias(CaseDataModel):
    """Another name a person is or was known by. Either part may be blank (a nickname is often
    only a given name); matching then takes the other part from the person."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="aliases")
    given_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100, blank=True)
    kind = models.CharField(max_length=16, choices=AliasKind.choices, default=AliasKind.ALIAS)
    match_given = models.CharField(max_length=100, blank=True, editable=False)
    match_family = models.CharField(max_length=100, blank=True, editable=False)
    phonetic_given = models.CharField(max_length=16, blank=True, editable=False)
    phonetic_family = models.CharField(max_length=16, blank=True, editable=False)

    unscoped = CaseScopedQuerySet.as_manager()
    objects = VisibleOnly()

    @staticmethod
    def visibility_q(user: Any) -> Q:
        """An alias is visible with its person."""
        return Q(person__in=Person.unscoped.filter(Person.visibility_q(user)))

    class Meta:
        verbose_name_plural = "person aliases"
        indexes = [
            models.Index(fields=["phonetic_family", "phonetic_given"], name="alias_phonetic"),
            models.Index(fields=["phonetic_given", "phonetic_family"], name="alias_phonetic_given"),
        ]

    def __str__(self) -> str:
        return " ".join(part for part in (self.given_name, self.family_name) if part)

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.match_given = normalise_name(self.given_name)
        self.match_family = normalise_name(self.family_name)
        self.phonetic_given = phonetic(self.given_name)
        self.phonetic_family = phonetic(self.family_name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {
                *update_fields,
                "match_given",
                "match_family",
                "phonetic_given",
                "phonetic_family",
            }
        super().save(*args, **kwargs)
