"""A panel meeting with something recorded in every compartment, for the minutes' tests.

Built with the models' `unscoped` managers directly: the recording services are the items part's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone

from masip.access.policy import Compartment
from masip.panel.models import (
    AgendaItem,
    DecisionOption,
    DiscussionNote,
    ItemDecision,
    ItemReason,
    ItemStatus,
    Meeting,
    MeetingStatus,
    PanelAction,
)
from masip.work.models import Task
from tests.panel.helpers import Panel, make_panel

TEAM_NOTE = "Contact escalated after the restraining order was served"
POLICE_NOTE = "Automatic number plate hits near the victim's workplace"
HEALTH_NOTE = "Fixated presentation, relapse risk while off medication"
ADVOCACY_NOTE = "The victim is frightened to attend court"
CONTACT_NOTE = "Victim now lives at 12 Larkspur Close"
OTHER_CASE_NOTE = "Second case reviewed with the housing officer"
DECISION_DETAIL = "Apply for a full SPO at the next court date"
ACTION_TITLE = "Draft the SPO application"


@dataclass
class Recorded:
    panel: Panel
    item: Any  # the team's case, item 1
    other_item: Any  # the other case, item 2
    option: Any
    action: Any

    @property
    def meeting(self) -> Meeting:
        return self.panel.meeting


def recorded_meeting(*, close: bool = True) -> Recorded:
    """make_panel()'s meeting, everyone attending, two items discussed, then closed."""
    panel = make_panel()
    panel.attend_all()
    item = AgendaItem.unscoped.create(
        meeting=panel.meeting,
        case=panel.case,
        position=1,
        reasons=[ItemReason.RED_FLAG, ItemReason.REVIEW_DUE],
        status=ItemStatus.DISCUSSED,
        next_review_on=timezone.localdate() + timedelta(days=28),
    )
    other_item = AgendaItem.unscoped.create(
        meeting=panel.meeting, case=panel.other_case, position=2, status=ItemStatus.DISCUSSED
    )
    for compartment, text in (
        (Compartment.TEAM, TEAM_NOTE),
        (Compartment.POLICE, POLICE_NOTE),
        (Compartment.HEALTH, HEALTH_NOTE),
        (Compartment.ADVOCACY, ADVOCACY_NOTE),
        (Compartment.VICTIM_CONTACT, CONTACT_NOTE),
    ):
        DiscussionNote.unscoped.create(item=item, case=panel.case, compartment=compartment, text=text)
    DiscussionNote.unscoped.create(item=other_item, case=panel.other_case, text=OTHER_CASE_NOTE)
    option = DecisionOption.objects.create(unit=panel.unit, key="civil_order", label="Civil order route")
    ItemDecision.unscoped.create(item=item, case=panel.case, option=option, detail=DECISION_DETAIL)
    task = Task.unscoped.create(
        case=panel.case, title=ACTION_TITLE, owner=panel.officer, due_date=timezone.localdate() + timedelta(days=7)
    )
    action = PanelAction.unscoped.create(
        item=item,
        meeting=panel.meeting,
        case=panel.case,
        title=ACTION_TITLE,
        owner=panel.officer,
        agency=panel.police,
        due_on=task.due_date,
        task=task,
    )
    if close:
        close_meeting(panel.meeting)
    return Recorded(panel, item, other_item, option, action)


def close_meeting(meeting: Meeting) -> None:
    Meeting.objects.filter(pk=meeting.pk).update(status=MeetingStatus.CLOSED, closed_at=timezone.now())
    meeting.refresh_from_db()


def next_meeting(recorded: Recorded, *, days: int = 14, attend: bool = True) -> Meeting:
    """A later meeting of the same unit, in progress, with the same members attending."""
    first = recorded.meeting
    meeting = Meeting.objects.create(
        unit=first.unit,
        chair=first.chair,
        starts_at=first.starts_at + timedelta(days=days),
        ends_at=first.ends_at + timedelta(days=days),
        status=MeetingStatus.IN_PROGRESS,
        opened_at=timezone.now(),
    )
    for m in first.members.all():
        m.pk = None
        m.meeting = meeting
        m.attendance = "attended" if attend else "invited"
        m.save()
    return meeting
