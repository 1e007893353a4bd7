"""Reading a list of cases is logged in the log of each case's own unit, and no unit's log
names another unit's cases (a clinician may work in two units)."""

import pytest
from django.urls import reverse

from masip.accounts.models import Membership, Role
from masip.audit.models import AuditAction, AuditEvent
from tests.conftest import verified_client
from tests.factories import CaseFactory, TeamMemberFactory, UnitFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared_clinician_lists_cases_of_two_units():
    unit_a, unit_b = UnitFactory(), UnitFactory()
    case_a, case_b = CaseFactory(unit=unit_a), CaseFactory(unit=unit_b)
    clinician = member(Role.CLINICIAN, unit=unit_a)
    Membership.objects.create(user=clinician, unit=unit_b, role=Role.CLINICIAN)
    TeamMemberFactory(case=case_a, user=clinician)
    TeamMemberFactory(case=case_b, user=clinician)
    client = verified_client(clinician)
    assert client.get(reverse("cases:list")).status_code == 200
    assert client.get(reverse("api:case-list")).status_code == 200
    return unit_a, unit_b, case_a, case_b, clinician


def test_each_unit_logs_only_its_own_listed_cases(shared_clinician_lists_cases_of_two_units):
    unit_a, unit_b, case_a, case_b, _clinician = shared_clinician_lists_cases_of_two_units
    rows = AuditEvent.objects.filter(action=AuditAction.VIEW, object_type="cases.case", object_id="")
    assert {(row.unit_id, tuple(row.detail["listed"])) for row in rows} == {
        (unit_a.pk, (str(case_a.pk),)),
        (unit_b.pk, (str(case_b.pk),)),
    }


def test_one_units_manager_does_not_see_another_units_case_ids(shared_clinician_lists_cases_of_two_units):
    unit_a, _unit_b, _case_a, case_b, clinician = shared_clinician_lists_cases_of_two_units
    page = verified_client(member(Role.UNIT_MANAGER, unit=unit_a)).get(reverse("audit:list"))
    assert page.status_code == 200
    content = page.content.decode()
    assert clinician.email in content, "the clinician's reading in unit A is in unit A's log"
    assert str(case_b.pk) not in content
