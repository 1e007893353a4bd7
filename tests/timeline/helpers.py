"""Shared set-up for the timeline entry tests: a case with a victim and a member of its team."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from masip.timeline.services import EntryDraft
from tests.factories import CaseFactory, ParticipantFactory, PersonFactory, TeamMemberFactory, member


def on_team(role: str, case: Any = None) -> tuple[Any, Any]:
    case = case or CaseFactory()
    user = member(role, unit=case.unit)
    TeamMemberFactory(case=case, user=user)
    return case, user


def with_victim(case: Any, born: date) -> None:
    ParticipantFactory(case=case, person=PersonFactory(unit=case.unit, date_of_birth=born))


def days_ago(n: int) -> date:
    return timezone.localdate() - timedelta(days=n)


def draft(**overrides: Any) -> EntryDraft:
    values: dict[str, Any] = {
        "occurred_on": days_ago(3),
        "behaviour_codes": ["comm_text"],
        "reported_by": "victim",
        "incidents": 1,
    }
    return EntryDraft(**(values | overrides))
