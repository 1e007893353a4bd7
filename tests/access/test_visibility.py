"""visible_to: team membership, unit oversight, break-glass and compartments decide what is seen."""

from datetime import timedelta

import pytest
from django.utils import timezone

from masip.access.models import BreakGlassGrant
from masip.access.policy import Action, Compartment
from masip.accounts.models import Role
from masip.cases.models import Case, CaseNote
from masip.people.models import Person
from masip.referrals.models import Referral
from tests.factories import (
    CaseFactory,
    CaseNoteFactory,
    MembershipFactory,
    ParticipantFactory,
    ReferralFactory,
    TeamMemberFactory,
    UserFactory,
    member,
)

pytestmark = pytest.mark.django_db


def test_user_without_membership_sees_nothing():
    CaseFactory()
    assert not Case.objects.visible_to(UserFactory()).exists()


def test_investigator_sees_only_cases_on_their_team():
    case = CaseFactory()
    other = CaseFactory(unit=case.unit)
    user = member(Role.POLICE_INVESTIGATOR, unit=case.unit)
    TeamMemberFactory(case=case, user=user)
    assert list(Case.objects.visible_to(user)) == [case]
    assert other not in Case.objects.visible_to(user)


def test_team_membership_in_another_unit_opens_nothing():
    case = CaseFactory()
    user = member(Role.POLICE_INVESTIGATOR)  # a role in a different unit
    TeamMemberFactory(case=case, user=user)
    assert not Case.objects.visible_to(user).exists()


def test_team_membership_ends_with_until():
    case = CaseFactory()
    user = member(Role.CLINICIAN, unit=case.unit)
    TeamMemberFactory(case=case, user=user, until=timezone.now() - timedelta(minutes=1))
    assert not Case.objects.visible_to(user).exists()


def test_suspended_membership_sees_nothing():
    case = CaseFactory()
    user = member(Role.UNIT_MANAGER, unit=case.unit)
    user.memberships.update(status="suspended")
    assert not Case.objects.visible_to(user).exists()


def test_unit_manager_oversees_whole_unit_but_not_other_units():
    case = CaseFactory()
    elsewhere = CaseFactory()
    manager = member(Role.UNIT_MANAGER, unit=case.unit)
    assert list(Case.objects.visible_to(manager)) == [case]
    assert elsewhere not in Case.objects.visible_to(manager)


def test_sharing_with_one_clinician_does_not_open_case_to_their_agency_colleague():
    case = CaseFactory()
    clinician = member(Role.CLINICIAN, unit=case.unit)
    colleague = member(Role.CLINICIAN, unit=case.unit, agency=clinician.agency)
    TeamMemberFactory(case=case, user=clinician)
    assert Case.objects.visible_to(clinician).exists()
    assert not Case.objects.visible_to(colleague).exists()


def test_break_glass_grant_opens_case_until_it_expires():
    case = CaseFactory()
    user = member(Role.STALKING_ADVOCATE, unit=case.unit)
    grant = BreakGlassGrant.objects.create(
        case=case, user=user, reason="Victim phoned the duty line", until=timezone.now() + timedelta(hours=1)
    )
    assert Case.objects.visible_to(user).exists()
    grant.until = timezone.now() - timedelta(seconds=1)
    grant.save()
    assert not Case.objects.visible_to(user).exists()


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.POLICE_INVESTIGATOR, {Compartment.TEAM, Compartment.POLICE}),
        (Role.CLINICIAN, {Compartment.TEAM, Compartment.HEALTH}),
        (Role.STALKING_ADVOCATE, {Compartment.TEAM, Compartment.ADVOCACY}),
        (Role.SUPPORT_OFFICER, {Compartment.TEAM}),
    ],
)
def test_notes_are_limited_to_compartments_the_role_may_view(role, expected):
    case = CaseFactory()
    for compartment in (Compartment.TEAM, Compartment.POLICE, Compartment.HEALTH, Compartment.ADVOCACY):
        CaseNoteFactory(case=case, compartment=compartment)
    user = member(role, unit=case.unit)
    TeamMemberFactory(case=case, user=user)
    seen = set(CaseNote.objects.visible_to(user, Action.VIEW).values_list("compartment", flat=True))
    assert seen == {str(c) for c in expected}


def test_person_visible_once_through_any_visible_case():
    case = CaseFactory()
    participant = ParticipantFactory(case=case)
    second = CaseFactory(unit=case.unit)
    ParticipantFactory(case=second, person=participant.person)
    manager = member(Role.UNIT_MANAGER, unit=case.unit)
    assert list(Person.objects.visible_to(manager)) == [participant.person]
    assert not Person.objects.visible_to(member(Role.UNIT_MANAGER)).exists()


def test_partner_referrer_sees_only_own_referrals():
    referral = ReferralFactory()
    ReferralFactory(unit=referral.unit)
    referrer = member(Role.PARTNER_REFERRER, unit=referral.unit)
    referral.referred_by = referrer
    referral.save()
    assert list(Referral.objects.visible_to(referrer)) == [referral]


def test_analyst_sees_no_case_records():
    case = CaseFactory()
    analyst = member(Role.ANALYST, unit=case.unit)
    MembershipFactory(user=analyst, unit=case.unit, role=Role.TRAINER)
    assert not Case.objects.visible_to(analyst).exists()
    assert not Referral.objects.visible_to(analyst).exists()


def test_break_glass_grant_ends_with_the_role_that_allowed_it():
    case = CaseFactory()
    user = member(Role.POLICE_INVESTIGATOR, unit=case.unit)
    BreakGlassGrant.objects.create(
        case=case, user=user, reason="Victim phoned the duty line", until=timezone.now() + timedelta(hours=8)
    )
    assert Case.objects.visible_to(user).exists()
    user.memberships.update(role=Role.SUPPORT_OFFICER)  # a role that may never break glass
    user = type(user).objects.get(pk=user.pk)  # a new request: roles are read afresh
    assert not Case.objects.visible_to(user).exists()
