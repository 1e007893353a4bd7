"""Changing a person's record: checked, versioned, audited by field name, and found by matching
under the new name only."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from masip.accounts.models import Role
from masip.audit.models import AuditAction, AuditEvent
from masip.core.models import StaleEditError
from masip.people.matching import PersonDetails, person_candidates
from masip.people.models import Person, PersonFlag
from masip.people.services import person_create, person_update
from tests.factories import CaseFactory, ParticipantFactory, TeamMemberFactory, member

pytestmark = pytest.mark.django_db

VALID_NHS = "9434765919"


@pytest.fixture
def screener(unit):
    return member(Role.POLICE_INVESTIGATOR, unit=unit)


@pytest.fixture
def person(unit, screener) -> Person:
    return person_create(
        actor=screener,
        unit=unit,
        details=PersonDetails(given_name="Robert", family_name="Mason", date_of_birth=date(1985, 2, 3)),
    )


def found(unit, **details) -> list[Person]:
    return [c.person for c in person_candidates(unit=unit, details=PersonDetails(**details))]


def stored(person: Person) -> Person:
    return Person.unscoped.get(pk=person.pk)


def test_a_renamed_person_is_found_under_the_new_name_and_not_the_old(unit, screener, person):
    assert found(unit, given_name="Robert", family_name="Mason") == [person]
    person_update(
        actor=screener,
        person=person,
        changes={"given_name": "Robin", "family_name": "Ashdown"},
        expected_version=person.version,
    )
    assert found(unit, given_name="Robin", family_name="Ashdown") == [person]
    assert found(unit, given_name="Robert", family_name="Mason") == []
    assert stored(person).display_name == "Robin Ashdown"
    assert stored(person).version == 2


def test_a_new_identifier_is_found_by_its_blind_index(unit, screener, person):
    person_update(actor=screener, person=person, changes={"nhs_number": "943 476 5919"}, expected_version=1)
    assert found(unit, nhs_number=VALID_NHS) == [person]
    assert stored(person).nhs_number == "943 476 5919"


def test_the_audit_names_the_fields_changed_never_their_values(unit, screener, person):
    person_update(
        actor=screener,
        person=person,
        changes={"family_name": "Ashdown", "phone": "07700 900777", "given_name": "Robert"},
        expected_version=1,
    )
    event = AuditEvent.objects.filter(action=AuditAction.CHANGE, person_id=person.pk).get()
    assert event.fields == ["family_name", "phone"]  # the given name did not change
    assert event.actor_id == screener.pk
    assert "Ashdown" not in str(event.detail)
    assert "07700" not in str(event.detail)


def test_a_stale_version_changes_nothing(unit, screener, person):
    person_update(actor=screener, person=stored(person), changes={"family_name": "Ashdown"}, expected_version=1)
    with pytest.raises(StaleEditError):
        person_update(actor=screener, person=stored(person), changes={"family_name": "Marsh"}, expected_version=1)
    assert stored(person).family_name == "Ashdown"
    assert found(unit, given_name="Robert", family_name="Ashdown") == [person]
    assert found(unit, given_name="Robert", family_name="Marsh") == []
    assert AuditEvent.objects.filter(action=AuditAction.CHANGE, person_id=person.pk).count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"nhs_number": "1234567890"}, "nhs_number"),
        ({"date_of_birth": date(2999, 1, 1)}, "date_of_birth"),
        ({"approximate_age": 130, "date_of_birth": None}, "approximate_age"),
        ({"gender": "robot"}, "gender"),
        ({"flags": ["unknown_flag"]}, "flags"),
        ({"family_name": "x" * 101}, "family_name"),
    ],
)
def test_bad_values_are_refused_by_field_and_nothing_is_written(screener, person, changes, field):
    with pytest.raises(ValidationError) as refused:
        person_update(actor=screener, person=person, changes=changes, expected_version=1)
    assert field in refused.value.message_dict
    assert stored(person).version == 1
    assert not AuditEvent.objects.filter(action=AuditAction.CHANGE, person_id=person.pk).exists()


def test_an_approximate_age_replaces_an_unknown_date_of_birth_and_is_dated_today(screener, person):
    person_update(
        actor=screener, person=person, changes={"date_of_birth": None, "approximate_age": 40}, expected_version=1
    )
    row = stored(person)
    assert (row.date_of_birth, row.approximate_age, row.approximate_age_given_on) == (
        None,
        40,
        timezone.localdate(),
    )
    person_update(actor=screener, person=row, changes={"date_of_birth": date(1986, 5, 1)}, expected_version=2)
    row = stored(person)
    assert (row.date_of_birth, row.approximate_age, row.approximate_age_given_on) == (date(1986, 5, 1), None, None)


def test_flags_are_kept_once_each_in_order(screener, person):
    flags = [PersonFlag.WEAPONS_ACCESS, PersonFlag.THREATS_TO_KILL, PersonFlag.WEAPONS_ACCESS]
    person_update(actor=screener, person=person, changes={"flags": flags}, expected_version=1)
    assert stored(person).flags == [PersonFlag.WEAPONS_ACCESS, PersonFlag.THREATS_TO_KILL]


def test_contact_details_need_the_victim_contact_compartment(unit, person):
    clinician = member(Role.CLINICIAN, unit=unit)  # screens referrals, but may not see contact details
    with pytest.raises(PermissionDenied):
        person_update(actor=clinician, person=person, changes={"phone": "07700 900777"}, expected_version=1)
    person_update(actor=clinician, person=person, changes={"given_name": "Rob"}, expected_version=1)
    assert stored(person).phone == ""


def test_a_case_worker_may_change_the_people_on_their_case_only(unit):
    on_case = ParticipantFactory(case=CaseFactory(unit=unit)).person
    off_case = ParticipantFactory(case=CaseFactory(unit=unit)).person
    outreach = member(Role.OUTREACH_WORKER, unit=unit)
    TeamMemberFactory(case=on_case.case_links.get().case, user=outreach)
    person_update(actor=outreach, person=on_case, changes={"phone": "07700 900777"}, expected_version=1)
    assert stored(on_case).phone == "07700 900777"
    with pytest.raises(PermissionDenied):
        person_update(actor=outreach, person=off_case, changes={"phone": "07700 900777"}, expected_version=1)


@pytest.mark.parametrize("role", [Role.PARTNER_REFERRER, Role.ANALYST])
def test_roles_that_do_not_work_with_people_are_refused(unit, person, role):
    with pytest.raises(PermissionDenied):
        person_update(actor=member(role, unit=unit), person=person, changes={"given_name": "Rob"}, expected_version=1)
    assert stored(person).given_name == "Robert"


def test_another_units_screener_is_refused(person):
    with pytest.raises(PermissionDenied):
        person_update(
            actor=member(Role.POLICE_INVESTIGATOR), person=person, changes={"given_name": "Rob"}, expected_version=1
        )
