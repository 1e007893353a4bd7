"""Two leads moving the same case's status at the same moment, on real connections."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from masip.access.models import CaseRole
from masip.accounts.models import Role
from masip.cases.models import Case, CaseStatus, CaseStatusChange
from masip.cases.services import CaseStatusConflict, case_transition
from tests.factories import CaseFactory, TeamMemberFactory, member


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs row locks across connections (PostgreSQL)")
def test_only_one_of_two_simultaneous_status_changes_lands(transactional_db: None) -> None:
    case = CaseFactory(status=CaseStatus.UNDER_REVIEW)
    leads = []
    for role, case_role in (
        (Role.POLICE_INVESTIGATOR, CaseRole.LEAD_INVESTIGATOR),
        (Role.CLINICIAN, CaseRole.LEAD_CLINICIAN),
    ):
        user = member(role, unit=case.unit)
        TeamMemberFactory(case=case, user=user, role_on_case=case_role)
        leads.append(user)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def change(lead: object, to: str) -> None:
        from django.db import connections

        seen = Case.unscoped.get(pk=case.pk)
        start.wait()
        try:
            case_transition(
                actor=lead,
                case=seen,
                to=to,
                reason="Decided at the same moment.",
                closure_reason="risk_reduced",
                risk_at_closure="low",
                expected_version=seen.version,
            )
            outcomes.append("changed")
        except CaseStatusConflict as conflict:
            outcomes.append("stale" if "moved this case to" in str(conflict) else str(conflict))
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=change, args=(leads[0], CaseStatus.CLOSED)),
        threading.Thread(target=change, args=(leads[1], CaseStatus.ACTIVE)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["changed", "stale"]
    assert CaseStatusChange.unscoped.filter(case=case).count() == 1
    stored = Case.unscoped.get(pk=case.pk)
    assert stored.version == case.version + 1
    assert stored.status == CaseStatusChange.unscoped.get(case=case).to_status
