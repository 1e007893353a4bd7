"""The case services refuse what the policy refuses, even when called without a view in front."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from masip.access.models import BreakGlassGrant
from masip.access.policy import Compartment
from masip.accounts.models import Role
from masip.audit.models import AuditEvent
from masip.cases.models import CaseNote
from masip.cases.services import break_glass_open, break_glass_review, case_note_add
from tests.factories import CaseFactory, member

pytestmark = pytest.mark.django_db

REASON = "Victim called 999 and named this case's suspect; team unreachable."


def test_break_glass_needs_the_capability_in_the_cases_own_unit():
    case = CaseFactory()
    advocate_elsewhere = member(Role.STALKING_ADVOCATE)  # may break glass, but in another unit
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        break_glass_open(actor=advocate_elsewhere, case=case, reason=REASON)
    assert not BreakGlassGrant.objects.exists()
    assert AuditEvent.objects.count() == before


def test_break_glass_refuses_a_reason_padded_with_spaces():
    case = CaseFactory()
    advocate = member(Role.STALKING_ADVOCATE, unit=case.unit)
    with pytest.raises(ValidationError, match="at least 20 characters"):
        break_glass_open(actor=advocate, case=case, reason="   too short        ")
    assert not BreakGlassGrant.objects.exists()


def test_only_a_manager_of_the_cases_unit_may_review_a_grant():
    case = CaseFactory()
    advocate = member(Role.STALKING_ADVOCATE, unit=case.unit)
    grant = break_glass_open(actor=advocate, case=case, reason=REASON)
    with pytest.raises(PermissionDenied):
        break_glass_review(actor=member(Role.UNIT_MANAGER), grant=grant)
    grant.refresh_from_db()
    assert grant.reviewed_at is None


def test_a_note_in_an_unknown_compartment_is_refused():
    case = CaseFactory()
    investigator = member(Role.POLICE_INVESTIGATOR, unit=case.unit)
    with pytest.raises(ValidationError):
        case_note_add(actor=investigator, case=case, compartment="everyone", body="A note.")
    with pytest.raises(ValidationError, match="Enter the note"):
        case_note_add(actor=investigator, case=case, compartment=Compartment.TEAM, body="  \n ")
    assert not CaseNote.unscoped.exists()
