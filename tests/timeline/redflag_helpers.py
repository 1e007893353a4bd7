"""Case vignettes for the red-flag tests: timelines written as readable lines, stored straight
in the database (the entry pages and services are tested on their own)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from masip.access.models import CaseRole
from masip.access.policy import Compartment
from masip.accounts.models import Role, User
from masip.cases.models import Case, ParticipantRole
from masip.referrals.models import Relationship
from masip.risk.schema import definition_from_text
from masip.timeline.models import BehaviourType, RedFlagAlert, TimelineEntry
from masip.timeline.redflags import day_text
from tests.factories import CaseFactory, ParticipantFactory, PersonFactory, ReferralFactory, TeamMemberFactory, member


def ago(days: int) -> date:
    return timezone.localdate() - timedelta(days=days)


def said(day: date) -> str:
    """A date as an explanation says it (3 May 2026)."""
    return day_text(day)


def a_case(*, relationship: str = Relationship.EX_INTIMATE, **kwargs: Any) -> Case:
    """A case with a referral naming how victim and perpetrator know each other."""
    case = CaseFactory(**kwargs)
    ReferralFactory(unit=case.unit, case=case, relationship=relationship)
    return case


def on_team(
    case: Case, role: Role = Role.POLICE_INVESTIGATOR, case_role: CaseRole = CaseRole.LEAD_INVESTIGATOR
) -> User:
    user = member(role, unit=case.unit)
    TeamMemberFactory(case=case, user=user, role_on_case=case_role)
    return user


def entry(
    case: Case,
    day: date,
    *codes: str,
    incidents: int = 1,
    until: date | None = None,
    compartment: str = Compartment.TEAM,
    **kwargs: Any,
) -> TimelineEntry:
    made = TimelineEntry.unscoped.create(
        case=case,
        occurred_on=day,
        occurred_until=until,
        incidents=incidents,
        reported_by="victim",
        compartment=compartment,
        **kwargs,
    )
    made.behaviours.set(BehaviourType.objects.filter(code__in=codes))
    return made


def perpetrator(
    case: Case, *, flags: list[str] | None = None, person: Any = None, role: str = ParticipantRole.PERPETRATOR
) -> Any:
    person = person or PersonFactory(unit=case.unit, flags=flags or [])
    ParticipantFactory(case=case, person=person, role=role)
    return person


def alerts(case: Case) -> dict[str, list[RedFlagAlert]]:
    """The case's alerts by rule key, oldest first."""
    found: dict[str, list[RedFlagAlert]] = {}
    for alert in RedFlagAlert.unscoped.filter(case=case).order_by("occurred_on", "created_at"):
        found.setdefault(alert.rule_key, []).append(alert)
    return found


def stalking_screen() -> Any:
    """masip's shipped illustrative stalking screen, stored as an instrument version."""
    from pathlib import Path

    from tests.risk.assessment_helpers import store_version

    path = Path(__file__).resolve().parents[2] / "src/masip/risk/shipped/masip-stalking-screen.yaml"
    definition, _ = definition_from_text(path.read_bytes(), path.name)
    return store_version(definition)
