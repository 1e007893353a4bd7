"""The calendar feed: a secret address per user (only its hash kept), one event per meeting they
sit on, nothing about cases, passcodes or other members, and nothing once their roles end."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from masip.accounts.models import Membership, MembershipStatus
from masip.audit.models import AuditAction, AuditEvent
from masip.panel import services_meetings as services
from masip.panel.models import AgendaItem, CalendarFeed, Meeting, MeetingMember, MeetingStatus
from tests.conftest import verified_client
from tests.panel.helpers import make_panel

pytestmark = pytest.mark.django_db


def _token_from(page: str) -> str:
    match = re.search(r'<code id="feed-address">[^<]*/panel/calendar/([^<]+)\.ics</code>', page)
    assert match, "the new address is shown"
    return match.group(1)


def _feed(token: str):
    return Client().get(reverse("panel:calendar_feed", kwargs={"feed_token": token}))


def test_the_calendar_page_makes_a_secret_address_shown_once_and_keeps_only_its_hash():
    panel = make_panel()
    client = verified_client(panel.officer)
    assert "You have no calendar address yet" in client.get(reverse("panel:calendar")).content.decode()
    token = _token_from(client.post(reverse("panel:calendar")).content.decode())
    feed = CalendarFeed.objects.get(user=panel.officer)
    assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in client.get(reverse("panel:calendar")).content.decode()
    # A new address revokes the old.
    newer = _token_from(client.post(reverse("panel:calendar")).content.decode())
    assert _feed(token).status_code == 404
    assert _feed(newer).status_code == 200
    events = AuditEvent.objects.filter(object_type="panel.calendarfeed").order_by("seq")
    assert [(e.action, e.detail["event"]) for e in events] == [
        (AuditAction.CREATE, "panel_calendar_feed_renewed"),
        (AuditAction.CHANGE, "panel_calendar_feed_renewed"),
        (AuditAction.EXPORT, "panel_calendar_feed_read"),
    ]
    assert all(token not in str(e.detail) and newer not in str(e.detail) for e in events)


def test_the_feed_lists_the_users_meetings_and_nothing_about_cases():
    panel = make_panel(call_details="https://call.example/panel passcode 7731")
    AgendaItem.unscoped.create(meeting=panel.meeting, case=panel.case, position=1)
    cancelled_at = timezone.now() + timedelta(days=9)
    cancelled = Meeting.objects.create(
        unit=panel.unit,
        chair=panel.chair,
        starts_at=cancelled_at,
        ends_at=cancelled_at + timedelta(hours=1),
        status=MeetingStatus.CANCELLED,
        cancelled_reason="Chair unwell",
        location="Room 9",
    )
    MeetingMember.objects.create(meeting=cancelled, user=panel.officer, name="Olive Officer", agency=panel.police)
    not_mine = Meeting.objects.create(
        unit=panel.unit, chair=panel.chair, starts_at=cancelled_at, ends_at=cancelled_at + timedelta(hours=1)
    )
    long_ago = timezone.now() - timedelta(days=200)
    old = Meeting.objects.create(
        unit=panel.unit, chair=panel.chair, starts_at=long_ago, ends_at=long_ago + timedelta(hours=1)
    )
    MeetingMember.objects.create(meeting=old, user=panel.officer, name="Olive Officer", agency=panel.police)
    token = services.calendar_feed_renew(actor=panel.officer)

    response = _feed(token)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert response["Cache-Control"] == "no-store"
    text = response.content.decode()
    calendar = Calendar.from_ical(response.content)
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {f"{panel.meeting.pk}@panel.masip", f"{cancelled.pk}@panel.masip"}
    assert f"{not_mine.pk}" not in text
    assert f"{old.pk}" not in text
    mine = events[f"{panel.meeting.pk}@panel.masip"]
    assert str(mine["summary"]) == panel.meeting.title
    assert str(mine["location"]) == "Room 4, Northshire HQ"
    assert mine.decoded("dtstart") == panel.meeting.starts_at.astimezone(UTC)
    assert re.search(r"^DTSTART:\d{8}T\d{6}Z\r$", text, re.MULTILINE)
    assert mine.decoded("dtend") == panel.meeting.ends_at.astimezone(UTC)
    assert str(mine["status"]) == "CONFIRMED"
    assert str(events[f"{cancelled.pk}@panel.masip"]["status"]) == "CANCELLED"
    # No case, no passcode, no other member, no cancellation reason.
    for secret in (
        panel.case.reference,
        str(panel.case.pk),
        "7731",
        "call.example",
        "Cleo Clinician",
        "Chris Chair",
        "Chair unwell",
    ):
        assert secret not in text
    assert CalendarFeed.objects.get(user=panel.officer).last_used_at is not None

    # The UID stays when the meeting moves.
    Meeting.objects.filter(pk=panel.meeting.pk).update(
        starts_at=panel.meeting.starts_at + timedelta(days=1), ends_at=panel.meeting.ends_at + timedelta(days=1)
    )
    moved = Calendar.from_ical(_feed(token).content)
    assert f"{panel.meeting.pk}@panel.masip" in {str(e["uid"]) for e in moved.walk("VEVENT")}


def test_a_chair_gets_the_meetings_they_chair_and_an_unknown_token_is_404():
    panel = make_panel()
    panel.meeting.members.filter(user=panel.chair).delete()
    token = services.calendar_feed_renew(actor=panel.chair)
    calendar = Calendar.from_ical(_feed(token).content)
    assert [str(e["uid"]) for e in calendar.walk("VEVENT")] == [f"{panel.meeting.pk}@panel.masip"]
    assert _feed("not-a-token").status_code == 404


def test_a_user_whose_memberships_ended_gets_an_empty_feed():
    panel = make_panel()
    token = services.calendar_feed_renew(actor=panel.partner)
    assert len(Calendar.from_ical(_feed(token).content).walk("VEVENT")) == 1
    Membership.objects.filter(user=panel.partner).update(status=MembershipStatus.SUSPENDED)
    response = _feed(token)
    assert response.status_code == 200
    assert Calendar.from_ical(response.content).walk("VEVENT") == []


def test_polling_is_audited_once_a_day_and_again_from_another_address():
    panel = make_panel()
    token = _token_from(verified_client(panel.officer).post(reverse("panel:calendar")).content.decode())

    def reads() -> int:
        return AuditEvent.objects.filter(object_type="panel.calendarfeed", action=AuditAction.EXPORT).count()

    for _ in range(3):  # a calendar app polling from one address
        assert _feed(token).status_code == 200
    assert reads() == 1
    # The same address read from elsewhere (copied, or leaked) shows in the log at once.
    Client(REMOTE_ADDR="203.0.113.9").get(reverse("panel:calendar_feed", kwargs={"feed_token": token}))
    assert reads() == 2
    # The next day's first read is logged again.
    CalendarFeed.objects.filter(user=panel.officer).update(last_used_at=timezone.now() - timedelta(days=1))
    Client(REMOTE_ADDR="203.0.113.9").get(reverse("panel:calendar_feed", kwargs={"feed_token": token}))
    assert reads() == 3
    assert CalendarFeed.objects.get(user=panel.officer).last_used_from == "203.0.113.9"
