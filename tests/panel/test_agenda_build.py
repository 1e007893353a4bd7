"""Building the agenda: each reason found with the right dates around the previous meeting,
reasons merged per case, the chair's order and withdrawals kept on a rebuild, one audit event."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from masip.audit.models import AuditAction, AuditEvent
from masip.cases.models import Case, CaseStatus
from masip.panel.models import (
    AgendaItem,
    AgendaRequest,
    ItemReason,
    ItemStatus,
    Meeting,
    MeetingStatus,
    Minutes,
    MinutesStatus,
    RequestStatus,
)
from masip.panel.services_agenda import agenda_build, agenda_item_move, agenda_item_withdraw, agenda_since
from tests.panel.agenda_helpers import case_opened, discussed_at, meeting_day, old_panel, red_flag, review_task
from tests.panel.helpers import make_panel

pytestmark = pytest.mark.django_db


def _agenda(meeting: Meeting) -> list[tuple[Case, list[str], str]]:
    return [
        (item.case, item.reasons, item.status)
        for item in AgendaItem.unscoped.filter(meeting=meeting).select_related("case").order_by("position")
    ]


def test_each_reason_is_found_with_the_dates_around_the_previous_meeting():
    panel, previous = old_panel()
    since = previous.starts_at
    day = meeting_day(panel)
    assert agenda_since(panel.meeting) == since

    new_referral = case_opened(panel, since + timedelta(days=1))
    case_opened(panel, since - timedelta(days=1))  # opened before the last meeting: not new
    flagged = case_opened(panel, since - timedelta(days=30))
    red_flag(flagged, since + timedelta(hours=3))
    old_flag = case_opened(panel, since - timedelta(days=30))
    red_flag(old_flag, since - timedelta(hours=3))  # raised before the last meeting
    quiet_flag = case_opened(panel, since - timedelta(days=30))
    red_flag(quiet_flag, since + timedelta(hours=3), for_panel=False)  # not asked for the panel
    review_due = case_opened(panel, since - timedelta(days=30))
    review_task(review_due, day)
    review_later = case_opened(panel, since - timedelta(days=30))
    review_task(review_later, day + timedelta(days=1))
    panel_review = case_opened(panel, since - timedelta(days=30))
    discussed_at(previous, panel_review, next_review_on=day)
    panel_review_later = case_opened(panel, since - timedelta(days=30))
    discussed_at(previous, panel_review_later, next_review_on=day + timedelta(days=14), position=2)
    asked = AgendaRequest.unscoped.create(
        unit=panel.unit, case=panel.other_case, reason="Threats at work", created_by=panel.officer
    )
    closed = case_opened(panel, since + timedelta(days=1))
    Case.unscoped.filter(pk=closed.pk).update(status=CaseStatus.CLOSED)

    result = agenda_build(actor=panel.chair, meeting=panel.meeting)

    assert _agenda(panel.meeting) == [
        (flagged, [ItemReason.RED_FLAG], ItemStatus.PENDING),
        (panel_review, [ItemReason.PANEL_REVIEW], ItemStatus.PENDING),
        (review_due, [ItemReason.REVIEW_DUE], ItemStatus.PENDING),
        (panel.other_case, [ItemReason.MEMBER_REQUEST], ItemStatus.PENDING),
        (new_referral, [ItemReason.NEW_REFERRAL], ItemStatus.PENDING),
    ]
    assert [i.position for i in AgendaItem.unscoped.filter(meeting=panel.meeting).order_by("position")] == [
        1,
        2,
        3,
        4,
        5,
    ]
    asked.refresh_from_db()
    assert asked.status == RequestStatus.ADDED
    assert asked.item == AgendaItem.unscoped.get(meeting=panel.meeting, case=panel.other_case)
    assert asked.handled_by == panel.chair
    panel.meeting.refresh_from_db()
    assert panel.meeting.agenda_built_at is not None
    assert result.added == 5


def test_reasons_are_merged_per_case_strongest_first():
    panel, previous = old_panel()
    case = case_opened(panel, previous.starts_at + timedelta(days=1))
    review_task(case, meeting_day(panel))
    red_flag(case, previous.starts_at + timedelta(days=2))

    agenda_build(actor=panel.chair, meeting=panel.meeting)

    assert _agenda(panel.meeting) == [
        (case, [ItemReason.RED_FLAG, ItemReason.REVIEW_DUE, ItemReason.NEW_REFERRAL], ItemStatus.PENDING)
    ]


def test_without_a_previous_meeting_new_means_the_last_28_days():
    panel = make_panel()
    Case.unscoped.filter(pk=panel.other_case.pk).update(opened_at=panel.meeting.starts_at - timedelta(days=29))
    Meeting.objects.create(  # a cancelled meeting last week does not count as the last meeting
        unit=panel.unit,
        chair=panel.chair,
        starts_at=panel.meeting.starts_at - timedelta(days=7),
        ends_at=panel.meeting.starts_at - timedelta(days=7, hours=-1),
        status=MeetingStatus.CANCELLED,
    )
    assert agenda_since(panel.meeting) == panel.meeting.starts_at - timedelta(days=28)

    agenda_build(actor=panel.chair, meeting=panel.meeting)

    assert [case for case, _, _ in _agenda(panel.meeting)] == [panel.case]


def test_panel_review_counts_only_the_latest_discussion():
    panel, previous = old_panel()
    earlier = Meeting.objects.create(
        unit=panel.unit,
        chair=panel.chair,
        starts_at=previous.starts_at - timedelta(days=14),
        ends_at=previous.starts_at - timedelta(days=14, hours=-2),
        status=MeetingStatus.CLOSED,
    )
    discussed_at(earlier, panel.case, next_review_on=meeting_day(panel) - timedelta(days=3))
    # Discussed again since: the panel set a later date, so it is not due yet.
    discussed_at(previous, panel.case, next_review_on=meeting_day(panel) + timedelta(days=28))

    agenda_build(actor=panel.chair, meeting=panel.meeting)

    assert _agenda(panel.meeting) == []


def test_a_rebuild_keeps_the_chairs_order_and_withdrawals_and_adds_reasons():
    panel, previous = old_panel()
    first = case_opened(panel, previous.starts_at + timedelta(days=1))
    second = case_opened(panel, previous.starts_at + timedelta(days=2))
    third = case_opened(panel, previous.starts_at + timedelta(days=3))
    agenda_build(actor=panel.chair, meeting=panel.meeting)
    items = {item.case_id: item for item in AgendaItem.unscoped.filter(meeting=panel.meeting)}
    third_item = items[third.pk]
    # The chair moves the third case to the top and takes the first off.
    for _ in range(third_item.position - 1):
        third_item = agenda_item_move(
            actor=panel.chair, item=third_item, direction="up", expected_version=third_item.version
        )
    first_item = AgendaItem.unscoped.get(pk=items[first.pk].pk)
    agenda_item_withdraw(actor=panel.chair, item=first_item, expected_version=first_item.version)
    before = [(case, status) for case, _, status in _agenda(panel.meeting)]

    red_flag(first, timezone.now())  # new reason for a withdrawn item
    review_task(second, meeting_day(panel))  # new reason for a placed item
    fourth = case_opened(panel, previous.starts_at + timedelta(days=4))
    result = agenda_build(actor=panel.chair, meeting=panel.meeting)

    after = _agenda(panel.meeting)
    assert [(case, status) for case, _, status in after[:3]] == before
    assert after[3] == (fourth, [ItemReason.NEW_REFERRAL], ItemStatus.PENDING)
    reasons = {case: reasons for case, reasons, _ in after}
    assert reasons[first] == [ItemReason.NEW_REFERRAL, ItemReason.RED_FLAG]
    assert reasons[second] == [ItemReason.NEW_REFERRAL, ItemReason.REVIEW_DUE]
    assert AgendaItem.unscoped.get(meeting=panel.meeting, case=first).status == ItemStatus.WITHDRAWN
    assert (result.added, result.updated) == (1, 2)
    assert [i.position for i in AgendaItem.unscoped.filter(meeting=panel.meeting).order_by("position")] == [1, 2, 3, 4]


def test_one_audit_event_for_the_build_with_counts_only():
    panel, previous = old_panel()
    case = case_opened(panel, previous.starts_at + timedelta(days=1))
    red_flag(panel.case, timezone.now())
    before = AuditEvent.objects.count()

    agenda_build(actor=panel.chair, meeting=panel.meeting)

    events = list(AuditEvent.objects.order_by("seq")[before:])
    assert len(events) == 1
    event = events[0]
    assert (event.action, event.actor, event.unit_id) == (AuditAction.CHANGE, panel.chair, panel.unit.pk)
    assert (event.object_type, event.object_id, event.case_id) == ("panel.meeting", str(panel.meeting.pk), None)
    assert event.detail["added"] == 2
    assert event.detail["by_reason"]["red_flag"] == 1
    assert event.detail["by_reason"]["new_referral"] == 1
    assert case.reference not in str(event.detail)
    assert str(case.pk) not in str(event.detail)


def test_only_the_chair_builds_and_never_a_cancelled_or_locked_meeting():
    panel, previous = old_panel()
    case_opened(panel, previous.starts_at + timedelta(days=1))
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        agenda_build(actor=panel.officer, meeting=panel.meeting)

    Meeting.objects.filter(pk=panel.meeting.pk).update(status=MeetingStatus.CANCELLED)
    panel.meeting.refresh_from_db()
    with pytest.raises(ValidationError, match="cancelled"):
        agenda_build(actor=panel.chair, meeting=panel.meeting)

    Meeting.objects.filter(pk=panel.meeting.pk).update(status=MeetingStatus.CLOSED)
    Minutes.objects.create(meeting=panel.meeting, status=MinutesStatus.APPROVED, approved_at=timezone.now())
    panel.meeting.refresh_from_db()
    with pytest.raises(ValidationError, match="locked"):
        agenda_build(actor=panel.chair, meeting=panel.meeting)

    assert not AgendaItem.unscoped.filter(meeting=panel.meeting).exists()
    assert AuditEvent.objects.count() == before
    panel.meeting.refresh_from_db()
    assert panel.meeting.agenda_built_at is None
