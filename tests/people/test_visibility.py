"""Who sees which people: screeners see their unit's people; case workers those on their cases."""

from __future__ import annotations

import pytest

from masip.accounts.models import Role
from masip.people.models import Person, PersonAlias
from tests.factories import CaseFactory, ParticipantFactory, PersonFactory, TeamMemberFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(unit):
    """Three people of one unit: one on a case, one on another case, one on no case yet."""
    on_case = ParticipantFactory(case=CaseFactory(unit=unit)).person
    elsewhere = ParticipantFactory(case=CaseFactory(unit=unit)).person
    unattached = PersonFactory(unit=unit)
    return on_case, elsewhere, unattached


def visible(user) -> set[Person]:
    return set(Person.objects.visible_to(user))


@pytest.mark.parametrize("role", [Role.UNIT_MANAGER, Role.POLICE_INVESTIGATOR, Role.CLINICIAN])
def test_a_triage_role_sees_every_person_of_its_unit_even_off_its_cases(unit, people, role):
    PersonFactory()  # another unit's
    assert visible(member(role, unit=unit)) == set(people)


def test_an_outreach_worker_sees_only_the_people_on_their_cases(unit, people):
    on_case, _, _ = people
    worker = member(Role.OUTREACH_WORKER, unit=unit)
    assert visible(worker) == set()
    TeamMemberFactory(case=on_case.case_links.get().case, user=worker)
    assert visible(worker) == {on_case}


def test_a_partner_referrer_sees_no_person(unit, people):
    assert visible(member(Role.PARTNER_REFERRER, unit=unit)) == set()


def test_another_units_triage_role_sees_none_of_this_units_people(people):
    for role in (Role.UNIT_MANAGER, Role.POLICE_INVESTIGATOR, Role.CLINICIAN):
        assert visible(member(role)) == set()


def test_aliases_are_visible_with_their_person(unit, people):
    _, _, unattached = people
    alias = PersonAlias.unscoped.create(person=unattached, given_name="Bobby")
    assert list(PersonAlias.objects.visible_to(member(Role.CLINICIAN, unit=unit))) == [alias]
    assert not PersonAlias.objects.visible_to(member(Role.OUTREACH_WORKER, unit=unit)).exists()
