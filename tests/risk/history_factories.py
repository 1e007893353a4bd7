"""Completed assessments and formulations made straight in the database, for the risk history,
formulation and event tests (the assessment pages and services are tested on their own)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.utils import timezone

from masip.access.models import CaseRole
from masip.access.policy import Compartment
from masip.accounts.models import Role, User
from masip.cases.models import Case
from masip.risk.models import Assessment, AssessmentStatus, Formulation, InstrumentVersion
from tests.factories import TeamMemberFactory, member
from tests.risk.assessment_helpers import store_version

DEFINITION = {
    "id": "illustrative-screen",
    "name": "Illustrative screen",
    "version": "1",
    "illustrative": True,
    "roles": ["police_investigator", "clinician"],
    "sections": [{"id": "s1", "title": "Illustrative items", "items": []}],
}


def instrument_version(name: str = "Illustrative screen", version: str = "1") -> InstrumentVersion:
    return store_version({**DEFINITION, "id": f"screen-{uuid.uuid4().hex[:8]}", "name": name, "version": version})


def assessment(
    case: Case,
    level: str,
    assessed_on: date,
    assessor: User,
    *,
    compartment: str = Compartment.TEAM,
    version: InstrumentVersion | None = None,
) -> Assessment:
    return Assessment.unscoped.create(
        unit=case.unit,
        case=case,
        instrument_version=version or instrument_version(),
        status=AssessmentStatus.COMPLETED,
        compartment=compartment,
        assessor=assessor,
        assessed_on=assessed_on,
        computed_level=level,
        level=level,
        completed_at=timezone.now(),
        created_by=assessor,
    )


def formulation(
    case: Case,
    state: str,
    assessed_on: date,
    assessor: User,
    *,
    status: str = "",
    compartment: str = Compartment.HEALTH,
    **values: Any,
) -> Formulation:
    return Formulation.unscoped.create(
        unit=case.unit,
        case=case,
        status=AssessmentStatus.COMPLETED,
        compartment=compartment,
        assessor=assessor,
        assessed_on=assessed_on,
        risk_state=state,
        risk_status=status,
        completed_at=timezone.now(),
        created_by=assessor,
        **values,
    )


def on_team(case: Case, role: Role, case_role: CaseRole) -> User:
    user = member(role, unit=case.unit)
    TeamMemberFactory(case=case, user=user, role_on_case=case_role)
    return user


def team(case: Case) -> dict[str, User]:
    """A clinician (lead), an investigator (lead) and an advocate on the case team."""
    return {
        "clinician": on_team(case, Role.CLINICIAN, CaseRole.LEAD_CLINICIAN),
        "investigator": on_team(case, Role.POLICE_INVESTIGATOR, CaseRole.LEAD_INVESTIGATOR),
        "advocate": on_team(case, Role.STALKING_ADVOCATE, CaseRole.ADVOCATE),
    }
