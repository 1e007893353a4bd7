"""What the agenda tests build on: a panel whose cases are not new, a previous meeting a week
ago, and each thing that brings a case to the agenda, dated around that meeting."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from masip.access.policy import Compartment
from masip.cases.models import Case
from masip.panel.models import AgendaItem, ItemStatus, Meeting, MeetingStatus
from masip.timeline.models import RedFlagAlert
from masip.work.models import Task, TaskKind
from tests.factories import CaseFactory
from tests.panel.helpers import Panel, make_panel


def old_panel() -> tuple[Panel, Meeting]:
    """make_panel() with its cases opened three months ago, and the unit's previous meeting (held
    and closed) a week before this one."""
    panel = make_panel()
    Case.unscoped.filter(unit=panel.unit).update(opened_at=timezone.now() - timedelta(days=90))
    starts = panel.meeting.starts_at - timedelta(days=7)
    previous = Meeting.objects.create(
        unit=panel.unit,
        chair=panel.chair,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        status=MeetingStatus.CLOSED,
    )
    return panel, previous


def meeting_day(panel: Panel) -> date:
    return timezone.localdate(panel.meeting.starts_at)


def case_opened(panel: Panel, when: datetime) -> Case:
    return CaseFactory(unit=panel.unit, opened_at=when)


def red_flag(case: Case, raised_at: datetime, compartment: str = Compartment.TEAM, **kwargs: Any) -> RedFlagAlert:
    alert = RedFlagAlert.unscoped.create(
        case=case,
        compartment=compartment,
        rule_key=kwargs.pop("rule_key", "escalation"),
        fingerprint=kwargs.pop("fingerprint", str(raised_at.timestamp())),
        title=kwargs.pop("title", "Escalation: approach at home"),
        explanation="Three approaches in a week.",
        occurred_on=timezone.localdate(raised_at),
        **kwargs,
    )
    RedFlagAlert.unscoped.filter(pk=alert.pk).update(created_at=raised_at)
    return alert


def review_task(case: Case, due: date) -> Task:
    return Task.unscoped.create(case=case, title="Case review", kind=TaskKind.REVIEW, due_date=due)


def discussed_at(meeting: Meeting, case: Case, *, next_review_on: date | None, position: int = 1) -> AgendaItem:
    return AgendaItem.unscoped.create(
        meeting=meeting,
        case=case,
        position=position,
        status=ItemStatus.DISCUSSED,
        discussed_at=meeting.starts_at + timedelta(minutes=10),
        next_review_on=next_review_on,
    )
