"""The iCalendar document of a user's panel meetings.

A calendar leaves masip (phones, shared calendars, mail servers), so each event carries only
what a diary needs: the meeting's title, place, times and whether it is cancelled. Never a case,
an agenda, a call passcode or another member's name.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC

from icalendar import Calendar, Event

from masip.panel.models import Meeting, MeetingStatus

PRODID = "-//masip//Panel meetings//EN"
UID_DOMAIN = "panel.masip"


def meeting_uid(meeting: Meeting) -> str:
    """The same for a meeting however often it moves, so calendar apps update it in place."""
    return f"{meeting.pk}@{UID_DOMAIN}"


def meetings_calendar(meetings: Iterable[Meeting]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "Panel meetings")
    for meeting in meetings:
        event = Event()
        event.add("uid", meeting_uid(meeting))
        event.add("summary", meeting.title)
        event.add("dtstart", meeting.starts_at.astimezone(UTC))
        event.add("dtend", meeting.ends_at.astimezone(UTC))
        event.add("dtstamp", meeting.updated_at.astimezone(UTC))
        event.add("last-modified", meeting.updated_at.astimezone(UTC))
        if meeting.location:
            event.add("location", meeting.location)
        cancelled = meeting.status == MeetingStatus.CANCELLED
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()
