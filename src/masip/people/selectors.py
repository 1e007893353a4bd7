"""Reads of person records that views share, each scoped to the person asking.

A person's linked history puts together everything the unit knows of one person: the
referrals that name them, the cases they take part in, the orders and breaches those
referrals record, and a warning when a suspect is named by several victims. Only referrals and
cases the user may open are shown; the others are counted, never described, so a worker learns
that more exists and whom to ask without reading what they may not.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from masip.access.lookup import get_visible_or_404
from masip.access.policy import Capability
from masip.access.principal import principal_for
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.cases.models import Case, CaseParticipant, ParticipantRole
from masip.people.keys import normalise_name
from masip.people.models import Person, PersonAlias, PersonFlag
from masip.referrals.models import Behaviour, Referral, ReferralStatus, ReferralSubject, SubjectRole

# Encrypted columns the history page never shows: not even decrypted in this process.
_NOT_LOADED = (*Person.CONTACT_FIELDS, *Person.IDENTIFIER_FIELDS)
_SUBJECT_COLUMNS = ("id", "referral", "role", "unidentified", "given_name", "family_name", "person", "created_at")


@dataclass(frozen=True)
class NamedPerson:
    """Someone else a referral names, as the referral names them."""

    name: str
    role: str
    role_label: str
    person_id: uuid.UUID | None  # set when linked to a person record the user may open


@dataclass(frozen=True)
class ReferralEntry:
    id: uuid.UUID
    reference: str
    url: str  # '' until the unit's referral page exists
    role: str  # the person's role in it: victim or suspect
    role_label: str
    received_at: datetime | None
    status_label: str
    decision_label: str
    relationship_label: str
    behaviours: list[str]
    breach: bool
    existing_orders: str
    others: list[NamedPerson]
    case_reference: str
    case_id: uuid.UUID | None  # set when the referral's case is one the user may open


@dataclass(frozen=True)
class CaseEntry:
    id: uuid.UUID
    reference: str
    roles: list[str]
    status_label: str
    opened_at: datetime


@dataclass(frozen=True)
class OrderEntry:
    referral_reference: str
    received_at: datetime | None
    text: str


@dataclass(frozen=True)
class SerialWarning:
    """The person is the suspect in referrals naming two or more different victims."""

    victim_count: int
    victims: list[str]  # names from the referrals the user may open
    unnamed: int  # victims only in referrals the user may not open


@dataclass(frozen=True)
class PersonHistory:
    person: Person
    aliases: list[PersonAlias]
    age: str
    flags: list[str]
    identifiers: list[str]
    referrals: list[ReferralEntry]
    hidden_referrals: int
    cases: list[CaseEntry]
    hidden_cases: int
    orders: list[OrderEntry]
    breaches: list[ReferralEntry]
    serial: SerialWarning | None


def person_history_for(*, user: Any, person_id: Any, request: HttpRequest | None = None) -> PersonHistory:
    """One person the user may see, with their linked history; the reading is audited.

    Any person the user may not see is the same audited 404 as a missing one. Contact details
    and identifiers are not loaded: the page says only whether an identifier is recorded. A
    fixed number of queries whatever the number of referrals and cases (no N+1).
    """
    person = get_visible_or_404(
        Person.objects.visible_to(user).select_related("unit").defer(*_NOT_LOADED),
        person_id,
        user=user,
        request=request,
    )
    aliases = list(PersonAlias.objects.visible_to(user).filter(person=person).order_by("family_name", "given_name"))

    # Every mention, visible or not: the hidden ones are counted and their victims told apart,
    # never shown. Drafts are the referrer's until submitted and never name a linked person.
    mentions = list(
        ReferralSubject.unscoped.filter(person=person)
        .exclude(referral__status=ReferralStatus.DRAFT)
        .only("id", "referral", "role")
        .order_by()
    )
    mentioned_ids = {m.referral_id for m in mentions}
    screening_units = set(principal_for(user).units_with(Capability.TRIAGE_REFERRALS))
    referrals = {
        r.pk: r
        for r in Referral.objects.visible_to(user)
        .filter(pk__in=mentioned_ids)
        .select_related("case")
        .only(
            "id",
            "reference",
            "unit",
            "received_at",
            "status",
            "decision",
            "relationship",
            "behaviours",
            "existing_orders",
            "case",
            "case__reference",
        )
    }
    others_by_referral: dict[uuid.UUID, list[ReferralSubject]] = defaultdict(list)
    own_ids = {m.pk for m in mentions}
    for subject in (
        ReferralSubject.unscoped.filter(referral_id__in=mentioned_ids)
        .exclude(pk__in=own_ids)
        .only(*_SUBJECT_COLUMNS)
        .order_by("role", "created_at")
    ):
        others_by_referral[subject.referral_id].append(subject)

    linked = {s.person_id for subjects in others_by_referral.values() for s in subjects if s.person_id}
    openable_people = set(Person.objects.visible_to(user).filter(pk__in=linked).values_list("pk", flat=True))
    case_ids = {r.case.pk for r in referrals.values() if r.case is not None}

    participations = list(CaseParticipant.unscoped.filter(person=person).values_list("case_id", "role"))
    all_case_ids = {case_id for case_id, _ in participations}
    visible_cases = {
        c.pk: c
        for c in Case.objects.visible_to(user)
        .filter(pk__in=all_case_ids | case_ids)
        .only("id", "reference", "status", "opened_at")
    }

    roles_in_referral = {m.referral_id: m.role for m in mentions}
    entries = sorted(
        (
            _referral_entry(
                referral,
                roles_in_referral[referral.pk],
                others_by_referral[referral.pk],
                openable_people,
                case_visible=referral.case is not None and referral.case.pk in visible_cases,
                may_screen=referral.unit_id in screening_units,
            )
            for referral in referrals.values()
        ),
        key=lambda e: e.received_at or timezone.now(),
        reverse=True,
    )

    roles_by_case: dict[uuid.UUID, list[str]] = defaultdict(list)
    for case_id, role in participations:
        roles_by_case[case_id].append(role)
    cases = sorted(
        (
            CaseEntry(
                id=case.pk,
                reference=case.reference,
                roles=sorted(_participant_label(role) for role in roles_by_case[case.pk]),
                status_label=case.get_status_display(),
                opened_at=case.opened_at,
            )
            for case in visible_cases.values()
            if case.pk in all_case_ids
        ),
        key=lambda e: e.opened_at,
        reverse=True,
    )

    history = PersonHistory(
        person=person,
        aliases=aliases,
        age=_age(person),
        flags=[PersonFlag(flag).label for flag in person.flags if flag in PersonFlag.values],
        identifiers=_identifiers(person),
        referrals=entries,
        hidden_referrals=len(mentioned_ids) - len(referrals),
        cases=cases,
        hidden_cases=len(all_case_ids) - len(cases),
        orders=[
            OrderEntry(e.reference, e.received_at, e.existing_orders) for e in entries if e.existing_orders.strip()
        ],
        breaches=[e for e in entries if e.breach],
        serial=_serial_warning(mentions, others_by_referral, set(referrals)),
    )
    audit_record(
        action=AuditAction.VIEW,
        actor=user,
        request=request,
        unit=person.unit,
        obj=person,
        person_id=person.pk,
        detail={
            "page": "linked history",
            "referrals": [str(e.id) for e in entries],
            "cases": [str(c.id) for c in cases],
        },
    )
    return history


def _referral_entry(
    referral: Referral,
    role: str,
    others: list[ReferralSubject],
    openable_people: set[uuid.UUID],
    *,
    case_visible: bool,
    may_screen: bool,
) -> ReferralEntry:
    behaviours = [b for b in referral.behaviours if b in Behaviour.values]
    return ReferralEntry(
        id=referral.pk,
        reference=referral.reference,
        url=reverse("referrals:screen", kwargs={"referral_id": referral.pk}) if may_screen else "",
        role=role,
        role_label=SubjectRole(role).label,
        received_at=referral.received_at,
        status_label=referral.get_status_display(),
        decision_label=referral.get_decision_display() if referral.decision else "",
        relationship_label=referral.get_relationship_display() if referral.relationship else "",
        behaviours=[Behaviour(b).label for b in behaviours],
        breach=Behaviour.BREACH in behaviours,
        existing_orders=referral.existing_orders,
        others=[
            NamedPerson(
                name=s.display_name,
                role=s.role,
                role_label=SubjectRole(s.role).label,
                person_id=s.person_id if s.person_id in openable_people else None,
            )
            for s in others
        ],
        case_reference=referral.case.reference if referral.case is not None else "",
        case_id=referral.case.pk if referral.case is not None and case_visible else None,
    )


def _serial_warning(
    mentions: list[ReferralSubject],
    others_by_referral: dict[uuid.UUID, list[ReferralSubject]],
    visible: set[uuid.UUID],
) -> SerialWarning | None:
    """Different victims across the referrals naming the person as suspect. A victim linked
    to a person record is told apart by that record; one not yet linked by name, and as the
    same victim as a linked one of the same name."""
    victims = [
        (mention.referral_id in visible, other)
        for mention in mentions
        if mention.role == SubjectRole.SUSPECT
        for other in others_by_referral[mention.referral_id]
        if other.role == SubjectRole.VICTIM
    ]

    def name_of(subject: ReferralSubject) -> tuple[str, str]:
        return normalise_name(subject.given_name), normalise_name(subject.family_name)

    record_by_name = {name_of(s): s.person_id for _, s in victims if s.person_id is not None}
    names: dict[object, str] = {}
    named_to_reader: set[object] = set()
    for in_visible, subject in victims:
        key: object = subject.person_id or record_by_name.get(name_of(subject)) or name_of(subject)
        names.setdefault(key, subject.display_name)
        if in_visible:
            named_to_reader.add(key)
    if len(names) < 2:
        return None
    return SerialWarning(
        victim_count=len(names),
        victims=sorted(names[key] for key in named_to_reader),
        unnamed=len(names) - len(named_to_reader),
    )


def _participant_label(role: str) -> str:
    return str(ParticipantRole(role).label) if role in ParticipantRole.values else role


def _years_between(start: date, end: date) -> int:
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _age(person: Person, today: date | None = None) -> str:
    """The date of birth with the age, or the approximate age brought up to today."""
    today = today or timezone.localdate()
    if person.date_of_birth is not None:
        return f"{_long_date(person.date_of_birth)} (age {_years_between(person.date_of_birth, today)})"
    if person.approximate_age is not None:
        given_on = person.approximate_age_given_on
        if given_on is None:
            return f"About {person.approximate_age} (date of birth not known)"
        now = person.approximate_age + max(0, _years_between(given_on, today))
        return f"About {now} (said to be {person.approximate_age} on {_long_date(given_on)}; date of birth not known)"
    return "Not known"


def _identifiers(person: Person) -> list[str]:
    """Whether an identifier is recorded, read from its blind index: never its value."""
    recorded = []
    if person.pnc_id_index:
        recorded.append("PNC id recorded")
    if person.nhs_number_index:
        recorded.append("NHS number recorded")
    return recorded
