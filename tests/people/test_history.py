"""A person's linked history: the referrals and cases that name them, orders and breaches, and a
warning when one suspect has several victims; only what the reader may open is shown."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from masip.accounts.models import Role
from masip.audit.models import AuditAction, AuditEvent
from masip.people.matching import PersonDetails
from masip.people.models import Person, PersonFlag
from masip.people.services import person_create
from masip.referrals.models import Referral, ReferralSubject, SubjectRole, TriageDecision
from masip.referrals.services import (
    SubjectEntry,
    referral_subject_create_person,
    referral_subject_link,
    triage_decide,
)
from tests.conftest import verified_client
from tests.factories import TeamMemberFactory, member
from tests.referrals.helpers import submitted_referral

pytestmark = pytest.mark.django_db

SUSPECT = SubjectEntry(
    role=SubjectRole.SUSPECT, given_name="Robert", family_name="Mason", date_of_birth=date(1985, 2, 3)
)


def victim(given: str, family: str) -> SubjectEntry:
    return SubjectEntry(role=SubjectRole.VICTIM, given_name=given, family_name=family, phone="07700 900555")


class Unit:
    """A unit where Robert Mason is known, and referrals naming him are made and linked."""

    def __init__(self, unit) -> None:
        self.unit = unit
        self.screener = member(Role.POLICE_INVESTIGATOR, unit=unit)
        self.robert = person_create(
            actor=self.screener,
            unit=unit,
            details=PersonDetails(given_name="Robert", family_name="Mason", date_of_birth=date(1985, 2, 3)),
        )

    def referral(self, *subjects: SubjectEntry, link: bool = True, **draft) -> Referral:
        referral = submitted_referral(unit=self.unit, subjects=subjects, **draft)
        if link:
            for subject in ReferralSubject.unscoped.filter(referral=referral):
                if subject.unidentified:
                    continue
                if (subject.given_name, subject.family_name) == ("Robert", "Mason"):
                    referral_subject_link(actor=self.screener, subject=subject, person=self.robert)
                else:
                    referral_subject_create_person(actor=self.screener, subject=subject)
        return referral

    def accept(self, referral: Referral) -> Referral:
        referral.refresh_from_db()
        return triage_decide(
            actor=self.screener,
            referral=referral,
            decision=TriageDecision.ACCEPTED,
            reasons="High risk: escalating contact.",
            expected_version=referral.version,
        )


@pytest.fixture
def known(unit) -> Unit:
    return Unit(unit)


def page(user, person: Person):
    return verified_client(user).get(reverse("people:history", kwargs={"person_id": person.pk}))


def test_a_screener_reads_every_referral_naming_the_suspect_with_orders_and_breaches(known):
    first = known.accept(known.referral(victim("Alice", "Hart"), SUSPECT, behaviours=("following",)))
    second = known.referral(
        victim("Beth", "Cole"),
        SUSPECT,
        behaviours=("unwanted_communication", "breach"),
        existing_orders="Stalking Protection Order, Northam magistrates, March 2025",
    )
    response = page(known.screener, known.robert)
    assert response.status_code == 200
    text = response.content.decode()
    assert first.reference in text
    assert second.reference in text
    assert "Possible serial stalker" in text
    assert "Alice Hart" in text
    assert "Beth Cole" in text
    assert "Stalking Protection Order, Northam magistrates, March 2025" in text
    assert "Breach of an order or bail reported in referral" in text
    assert TriageDecision.ACCEPTED.label in text
    case = first.case
    assert case is not None
    assert reverse("cases:detail", kwargs={"case_id": case.pk}) in text
    history = response.context["history"]
    assert [(c.reference, c.roles) for c in history.cases] == [(case.reference, ["Suspect (not charged)"])]
    assert {e.reference: e.role for e in history.referrals} == {
        first.reference: SubjectRole.SUSPECT,
        second.reference: SubjectRole.SUSPECT,
    }
    assert history.serial.victims == ["Alice Hart", "Beth Cole"]
    assert history.hidden_referrals == 0


def test_the_victims_named_with_a_suspect_link_to_their_own_history(known):
    known.referral(victim("Alice", "Hart"), SUSPECT)
    alice = Person.unscoped.get(given_name="Alice")
    text = page(known.screener, known.robert).content.decode()
    assert reverse("people:history", kwargs={"person_id": alice.pk}) in text
    alice_page = page(known.screener, alice)
    assert [e.role for e in alice_page.context["history"].referrals] == [SubjectRole.VICTIM]
    assert "Robert Mason" in alice_page.content.decode()
    assert alice_page.context["history"].serial is None


def test_a_case_worker_sees_their_cases_referral_and_only_a_count_of_the_others(known):
    first = known.accept(known.referral(victim("Alice", "Hart"), SUSPECT))
    known.referral(victim("Beth", "Cole"), SUSPECT, existing_orders="Restraining order, 2024")
    known.referral(victim("Cara", "Lund"), SUSPECT)
    worker = member(Role.OUTREACH_WORKER, unit=known.unit)
    TeamMemberFactory(case=first.case, user=worker)
    response = page(worker, known.robert)
    assert response.status_code == 200
    text = response.content.decode()
    assert first.reference in text
    assert "2 further referrals in this unit you cannot open" in text
    assert "Beth" not in text
    assert "Cara" not in text
    assert "Restraining order" not in text
    # The warning still tells them this suspect has other victims, without naming them.
    serial = response.context["history"].serial
    assert (serial.victim_count, serial.victims, serial.unnamed) == (3, ["Alice Hart"], 2)
    assert "2 further victims are named only in referrals you cannot open" in text


def test_the_same_victim_in_two_referrals_is_no_serial_warning(known):
    known.referral(victim("Alice", "Hart"), SUSPECT)
    known.referral(victim("Alice", "Hart"), SUSPECT, link=False)  # unlinked: told apart by name
    ReferralSubject.unscoped.filter(person__isnull=True, given_name="Robert").update(person=known.robert)
    history = page(known.screener, known.robert).context["history"]
    assert len(history.referrals) == 2
    assert history.serial is None


def test_the_page_shows_who_the_person_is_but_never_identifiers_or_contact_details(known):
    alice = person_create(
        actor=known.screener,
        unit=known.unit,
        details=PersonDetails(given_name="Alice", family_name="Hart", approximate_age=34, pnc_id="2001/0012345A"),
    )
    Person.unscoped.filter(pk=alice.pk).update(flags=[PersonFlag.SELF_HARM_RISK], phone="07700 900555")
    text = page(known.screener, alice).content.decode()
    assert "About 34" in text
    assert "PNC id recorded" in text
    assert "12345" not in text
    assert PersonFlag.SELF_HARM_RISK.label in text
    assert "07700 900555" not in text


@pytest.mark.parametrize("role", [Role.STALKING_ADVOCATE, Role.SUPPORT_OFFICER])
def test_a_worker_not_on_any_of_the_persons_cases_gets_the_audited_not_found(known, role):
    response = page(member(role, unit=known.unit), known.robert)
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action=AuditAction.DENIED, object_id=str(known.robert.pk)).exists()


def test_another_units_screener_gets_not_found(known):
    assert page(member(Role.POLICE_INVESTIGATOR), known.robert).status_code == 404


def test_reading_the_history_is_audited_with_the_person_and_what_was_shown(known):
    referral = known.accept(known.referral(victim("Alice", "Hart"), SUSPECT))
    page(known.screener, known.robert)
    event = AuditEvent.objects.filter(action=AuditAction.VIEW, person_id=known.robert.pk).get()
    assert event.actor_id == known.screener.pk
    assert event.detail["referrals"] == [str(referral.pk)]
    assert referral.case is not None
    assert event.detail["cases"] == [str(referral.case.pk)]


def _queries(user, person) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert page(user, person).status_code == 200
    return len(queries)


def test_the_number_of_queries_does_not_grow_with_the_history(known):
    known.accept(known.referral(victim("Alice", "Hart"), SUSPECT, behaviours=("breach",)))
    few = _queries(known.screener, known.robert)
    for given in ("Beth", "Cara", "Dana", "Erin"):
        known.accept(known.referral(victim(given, "Cole"), SUSPECT, existing_orders="Bail conditions"))
    assert _queries(known.screener, known.robert) == few
