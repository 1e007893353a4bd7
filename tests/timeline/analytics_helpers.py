"""Timeline entries and red-flag alerts made straight in the database, for the chart and
analytics tests (the entry pages and the red-flag engine are tested on their own)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from masip.access.policy import Compartment
from masip.cases.models import Case
from masip.timeline.models import BehaviourType, RedFlagAlert, ReportedBy, TimelineEntry


def entry(
    case: Case,
    day: date,
    *codes: str,
    until: date | None = None,
    incidents: int = 1,
    compartment: str = Compartment.TEAM,
    reported_by: str = ReportedBy.VICTIM,
    **values: Any,
) -> TimelineEntry:
    made = TimelineEntry.unscoped.create(
        case=case,
        occurred_on=day,
        occurred_until=until,
        incidents=incidents,
        compartment=compartment,
        reported_by=reported_by,
        **values,
    )
    made.behaviours.set(BehaviourType.objects.filter(code__in=codes))
    return made


def alert(
    case: Case,
    day: date,
    title: str,
    *,
    entries: list[TimelineEntry] = (),  # type: ignore[assignment]
    compartment: str = Compartment.TEAM,
    rule_key: str = "escalation",
) -> RedFlagAlert:
    made = RedFlagAlert.unscoped.create(
        case=case,
        compartment=compartment,
        rule_key=rule_key,
        fingerprint=uuid.uuid4().hex,
        title=title,
        explanation=f"{title}: explained.",
        occurred_on=day,
    )
    made.entries.set(entries)
    return made
