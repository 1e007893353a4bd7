"""Approving minutes at a later meeting of the unit, in progress and quorate; then they are locked.
Every other attempt is refused with a message that says what to do, and writes nothing."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from masip.audit.models import AuditAction, AuditEvent
from masip.panel.minutes import content_for, general_audience, minutes_sha256, record_for
from masip.panel.models import Meeting, MeetingStatus, Minutes, MinutesStatus
from masip.panel.rules import ensure_editable
from masip.panel.selectors_minutes import minutes_awaiting_approval
from masip.panel.services_minutes import minutes_approve
from tests.conftest import verified_client
from tests.panel.minutes_helpers import close_meeting, next_meeting, recorded_meeting

pytestmark = pytest.mark.django_db


def _url(meeting):
    return reverse("panel:minutes_approve", kwargs={"meeting_id": meeting.pk})


def _nothing_written(meeting):
    minutes = Minutes.objects.filter(meeting=meeting).first()
    assert minutes is None or minutes.status == MinutesStatus.DRAFT
    assert not AuditEvent.objects.filter(action=AuditAction.CHANGE, object_type="panel.minutes").exists()


def test_the_chair_approves_at_the_next_meeting_and_the_minutes_lock():
    recorded = recorded_meeting()
    later = next_meeting(recorded)
    chair = recorded.panel.chair
    assert list(minutes_awaiting_approval(later)) == [recorded.meeting]
    client = verified_client(chair)
    form = client.get(_url(recorded.meeting), {"at": later.pk}).content.decode()
    assert f'value="{later.pk}"' in form
    assert "checked" in form
    response = client.post(_url(recorded.meeting), {"at_meeting": later.pk})
    assert response.status_code == 302
    assert response["Location"] == reverse("panel:minutes", kwargs={"meeting_id": recorded.meeting.pk})
    minutes = Minutes.objects.get(meeting=recorded.meeting)
    assert minutes.status == MinutesStatus.APPROVED
    assert minutes.approved_by == chair
    assert minutes.approved_at_meeting == later
    assert minutes.approved_at
    record = record_for(Meeting.objects.get(pk=recorded.meeting.pk))
    assert minutes.approved_sha256 == minutes_sha256(content_for(record, general_audience(record)))
    event = AuditEvent.objects.get(action=AuditAction.CHANGE, object_type="panel.minutes")
    assert event.actor == chair
    assert event.fields == sorted(["status", "approved_at", "approved_by", "approved_at_meeting", "approved_sha256"])
    assert event.detail["approved_at_meeting_id"] == str(later.pk)
    # Locked: what every recording service calls now refuses, with what to do instead.
    with pytest.raises(ValidationError, match=r"approved on .* and are locked"):
        ensure_editable(Meeting.objects.get(pk=recorded.meeting.pk))
    assert list(minutes_awaiting_approval(later)) == []
    page = client.get(response["Location"]).content.decode()
    assert "and locked: nothing recorded at this meeting can change" in page
    assert "DRAFT — not yet approved" not in page
    assert minutes.approved_sha256 in page
    # The approving meeting's minutes record the approval.
    later_page = client.get(reverse("panel:minutes", kwargs={"meeting_id": later.pk})).content.decode()
    assert "were approved as a true record" in later_page


def test_approving_twice_is_refused():
    recorded = recorded_meeting()
    later = next_meeting(recorded)
    chair = recorded.panel.chair
    minutes_approve(actor=chair, meeting=recorded.meeting, at_meeting=later)
    response = verified_client(chair).post(_url(recorded.meeting), {"at_meeting": later.pk})
    assert "already approved" in response.content.decode()
    with pytest.raises(ValidationError, match=r"already approved on .* nothing more to approve"):
        minutes_approve(actor=chair, meeting=recorded.meeting, at_meeting=later)
    assert AuditEvent.objects.filter(action=AuditAction.CHANGE, object_type="panel.minutes").count() == 1


def test_approving_at_the_same_meeting_is_refused():
    recorded = recorded_meeting(close=False)  # still in progress: the only meeting the form offers
    response = verified_client(recorded.panel.chair).post(_url(recorded.meeting), {"at_meeting": recorded.meeting.pk})
    assert response.status_code == 200
    assert "cannot be approved at the meeting they record: approve them at a later meeting" in response.content.decode()
    _nothing_written(recorded.meeting)


def test_approving_at_an_earlier_meeting_is_refused():
    recorded = recorded_meeting()
    earlier = next_meeting(recorded, days=-14)
    response = verified_client(recorded.panel.chair).post(_url(recorded.meeting), {"at_meeting": earlier.pk})
    assert "was held before the one these minutes record: approve them at a later meeting" in (
        response.content.decode()
    )
    _nothing_written(recorded.meeting)


def test_approving_at_a_meeting_not_in_progress_is_refused():
    recorded = recorded_meeting()
    later = next_meeting(recorded)
    Meeting.objects.filter(pk=later.pk).update(status=MeetingStatus.SCHEDULED)
    later.refresh_from_db()
    with pytest.raises(ValidationError, match=r"is not in progress\. .*open that meeting"):
        minutes_approve(actor=recorded.panel.chair, meeting=recorded.meeting, at_meeting=later)
    # The form offers only meetings in progress, and says so.
    client = verified_client(recorded.panel.chair)
    assert "No meeting of the unit is in progress" in client.get(_url(recorded.meeting)).content.decode()
    response = client.post(_url(recorded.meeting), {"at_meeting": later.pk})
    assert "That meeting is not in progress. Open it and record who attended" in response.content.decode()
    close_meeting(later)
    with pytest.raises(ValidationError, match="is not in progress"):
        minutes_approve(actor=recorded.panel.chair, meeting=recorded.meeting, at_meeting=later)
    _nothing_written(recorded.meeting)


def test_approving_at_a_meeting_without_a_quorum_is_refused():
    recorded = recorded_meeting()
    later = next_meeting(recorded, attend=False)
    response = verified_client(recorded.panel.chair).post(_url(recorded.meeting), {"at_meeting": later.pk})
    page = response.content.decode()
    assert "The panel is not quorate" in page
    assert "no police member attending" in page
    _nothing_written(recorded.meeting)


def test_minutes_of_a_meeting_not_yet_closed_or_of_another_unit_are_refused():
    recorded = recorded_meeting(close=False)
    later = next_meeting(recorded)
    with pytest.raises(ValidationError, match="has not closed yet"):
        minutes_approve(actor=recorded.panel.chair, meeting=recorded.meeting, at_meeting=later)
    elsewhere = recorded_meeting()
    foreign = next_meeting(elsewhere, days=30)
    close_meeting(recorded.meeting)
    with pytest.raises(ValidationError, match="same unit"):
        minutes_approve(actor=recorded.panel.chair, meeting=recorded.meeting, at_meeting=foreign)
    _nothing_written(recorded.meeting)


def test_only_a_chair_approves():
    recorded = recorded_meeting()
    later = next_meeting(recorded)
    response = verified_client(recorded.panel.officer).post(_url(recorded.meeting), {"at_meeting": later.pk})
    assert response.status_code == 403
    _nothing_written(recorded.meeting)


def test_minutes_awaiting_approval_are_the_earlier_closed_meetings_with_draft_minutes():
    recorded = recorded_meeting()
    later = next_meeting(recorded)
    still_open = next_meeting(recorded, days=7)
    Minutes.objects.create(meeting=recorded.meeting)
    assert list(minutes_awaiting_approval(later)) == [recorded.meeting]
    assert list(minutes_awaiting_approval(recorded.meeting)) == []
    assert still_open not in minutes_awaiting_approval(later)
    assert timedelta(days=14) == later.starts_at - recorded.meeting.starts_at
