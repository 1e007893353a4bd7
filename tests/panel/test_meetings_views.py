"""Panel meetings through their pages: who sees which meeting, the list and its query budget,
the meeting page (call details, quorum, declarations), and the chair's forms with their errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from masip.audit.models import AuditAction, AuditEvent
from masip.core.context_processors import NAVIGATION
from masip.panel.models import (
    AgendaItem,
    Attendance,
    DeclarationOfInterest,
    Meeting,
    MeetingMember,
    MeetingStatus,
    PanelSchedule,
    PanelSettings,
)
from tests.conftest import verified_client
from tests.factories import UnitFactory, member
from tests.panel.helpers import make_panel

pytestmark = pytest.mark.django_db


def _url(name, meeting=None, **kwargs):
    if meeting is not None:
        kwargs["meeting_id"] = meeting.pk
    return reverse(f"panel:{name}", kwargs=kwargs)


def _other_meeting(panel, days=2):
    """A meeting of the unit the partner and the officer are not members of."""
    starts = timezone.now() + timedelta(days=days)
    meeting = Meeting.objects.create(
        unit=panel.unit, chair=panel.chair, starts_at=starts, ends_at=starts + timedelta(hours=1), title="Restricted"
    )
    MeetingMember.objects.create(meeting=meeting, user=panel.chair, name="Chris Chair", agency=panel.police)
    return meeting


def test_a_probation_partner_sees_only_the_meetings_they_are_a_member_of():
    panel = make_panel(call_details="https://call.example/x passcode 4242")
    other = _other_meeting(panel)
    client = verified_client(panel.partner)
    listing = client.get(_url("meetings"))
    assert listing.status_code == 200
    body = listing.content.decode()
    assert str(panel.meeting.pk) in body
    assert str(other.pk) not in body
    assert "Schedule a meeting" not in body
    assert client.get(_url("meeting_detail", other)).status_code == 404
    page = client.get(_url("meeting_detail", panel.meeting))
    assert page.status_code == 200
    assert "passcode 4242" in page.content.decode()
    # The chair sees both, with the chair's links.
    chair_page = verified_client(panel.chair).get(_url("meetings")).content.decode()
    assert str(other.pk) in chair_page
    assert "Schedule a meeting" in chair_page
    assert "Quorum" in chair_page
    # An attender of another unit sees neither.
    outsider = member("police_investigator", full_name="Out Sider")
    assert verified_client(outsider).get(_url("meeting_detail", panel.meeting)).status_code == 404


def test_the_list_shows_membership_and_status_within_a_query_budget(django_assert_max_num_queries):
    panel = make_panel()
    for days in range(2, 12):
        _other_meeting(panel, days=days)
    past = _other_meeting(panel, days=-20)
    Meeting.objects.filter(pk=past.pk).update(status=MeetingStatus.CLOSED)
    client = verified_client(panel.chair)
    client.get(_url("meetings"))  # warm the session
    with django_assert_max_num_queries(12):
        response = client.get(_url("meetings"))
    body = response.content.decode()
    assert body.count("Member</td>") == 12  # the chair is a member of every one
    assert "Closed" in body


def test_the_meeting_page_shows_members_agencies_quorum_and_links_to_agenda_and_actions():
    panel = make_panel()
    panel.meeting.members.filter(user__in=[panel.officer, panel.clinician]).update(attendance=Attendance.ATTENDED)
    body = verified_client(panel.officer).get(_url("meeting_detail", panel.meeting)).content.decode()
    assert "Cleo Clinician" in body
    assert panel.nhs.name in body
    assert "Not quorate: 2 member(s) attending, 3 needed" in body
    assert reverse("panel:agenda", kwargs={"meeting_id": panel.meeting.pk}) in body
    assert reverse("panel:actions") in body
    # The meeting has not met: no minutes yet.
    assert reverse("panel:minutes", kwargs={"meeting_id": panel.meeting.pk}) not in body
    assert "Record attendance" not in body  # not the chair


def test_the_chair_schedules_a_one_off_meeting_and_sees_errors_on_the_form():
    panel = make_panel()
    client = verified_client(panel.chair)
    day = (timezone.localdate() + timedelta(days=5)).isoformat()
    data = {
        "title": "Extra",
        "day": day,
        "start_time": "14:00",
        "end_time": "13:00",
        "location": "Room 1",
        "call_details": "",
        "chair": str(panel.officer.pk),
    }
    refused = client.post(_url("meeting_add"), data)
    assert refused.status_code == 200
    body = refused.content.decode()
    assert "There is a problem" in body
    assert "Choose the chair from the list" in body
    data["chair"] = str(panel.chair.pk)
    refused = client.post(_url("meeting_add"), data)
    assert "ends (13:00) before it starts (14:00)" in refused.content.decode()
    assert Meeting.objects.count() == 1
    data["end_time"] = "15:00"
    made = client.post(_url("meeting_add"), data)
    meeting = Meeting.objects.exclude(pk=panel.meeting.pk).get()
    assert made.url == _url("meeting_members", meeting)
    assert meeting.members.get().user == panel.chair


def test_members_page_invites_adds_and_removes_with_clear_errors():
    panel = make_panel()
    newcomer = member("outreach_worker", unit=panel.unit, agency=panel.nhs, full_name="Nina Newcomer")
    client = verified_client(panel.chair)
    page = client.get(_url("meeting_members", panel.meeting)).content.decode()
    assert f"Nina Newcomer ({panel.nhs.name})" in page
    assert "Olive Officer (" not in page.split("Invite people of the unit")[1]  # already a member: not offered
    refused = client.post(_url("meeting_invite", panel.meeting), {"users": [str(panel.officer.pk)]})
    assert "cannot be invited" in refused.content.decode()
    client.post(_url("meeting_invite", panel.meeting), {"users": [str(newcomer.pk)]})
    assert panel.meeting.members.filter(user=newcomer, agency=panel.nhs).exists()
    refused = client.post(_url("meeting_add_external", panel.meeting), {"name": "", "agency": ""})
    body = refused.content.decode()
    assert "Enter the member&#x27;s name." in body
    assert "Choose the member&#x27;s agency" in body
    client.post(_url("meeting_add_external", panel.meeting), {"name": "Hal Housing", "agency": panel.probation.pk})
    hal = panel.meeting.members.get(name="Hal Housing")
    client.post(_url("meeting_remove_member", panel.meeting), {"member": hal.pk})
    assert not panel.meeting.members.filter(name="Hal Housing").exists()


def test_attendance_opens_a_meeting_that_is_not_quorate_and_says_so():
    panel = make_panel()
    client = verified_client(panel.chair)
    form = client.get(_url("meeting_attendance", panel.meeting))
    assert form.status_code == 200
    data = {"version": "1", "open": "1"}
    for m in panel.meeting.members.all():
        data[f"member_{m.pk}"] = (
            Attendance.ATTENDED if m.user in (panel.clinician, panel.advocate) else Attendance.APOLOGIES
        )
    response = client.post(_url("meeting_attendance", panel.meeting), data, follow=True)
    body = response.content.decode()
    assert "Meeting opened" in body
    assert "The panel is not quorate" in body
    assert "it cannot decide until it is" in body
    assert "The panel cannot decide anything until it is quorate" in body
    panel.meeting.refresh_from_db()
    assert panel.meeting.status == MeetingStatus.IN_PROGRESS
    # Close it: minutes start in draft.
    closed = client.post(_url("meeting_close", panel.meeting), {"version": str(panel.meeting.version)}, follow=True)
    assert "Meeting closed" in closed.content.decode()
    panel.meeting.refresh_from_db()
    assert panel.meeting.status == MeetingStatus.CLOSED
    assert panel.meeting.minutes.status == "draft"


def test_an_officer_cannot_use_the_chairs_pages():
    panel = make_panel()
    client = verified_client(panel.officer)
    assert client.get(_url("meeting_attendance", panel.meeting)).status_code == 403
    assert client.post(_url("meeting_open", panel.meeting), {"version": "1"}).status_code == 403
    # A manager of another unit who attends this one may not chair it.
    elsewhere = member("unit_manager", full_name="Mo Elsewhere")
    from masip.accounts.models import Membership

    Membership.objects.create(user=elsewhere, unit=panel.unit, role="police_investigator")
    MeetingMember.objects.create(meeting=panel.meeting, user=elsewhere, name="Mo", agency=panel.police)
    manager = verified_client(elsewhere)
    assert manager.get(_url("meeting_detail", panel.meeting)).status_code == 200
    assert manager.get(_url("meeting_attendance", panel.meeting)).status_code == 404


def test_a_stale_move_is_refused_and_shown():
    panel = make_panel()
    client = verified_client(panel.chair)
    day = (timezone.localdate() + timedelta(days=4)).isoformat()
    data = {
        "title": "Stalking panel",
        "day": day,
        "start_time": "09:00",
        "end_time": "11:00",
        "location": "Room 7",
        "chair": str(panel.chair.pk),
        "version": "1",
    }
    assert client.post(_url("meeting_edit", panel.meeting), data).status_code == 302
    data["location"] = "Room 8"
    stale = client.post(_url("meeting_edit", panel.meeting), data)
    assert stale.status_code == 409
    assert "Someone else changed this meeting" in stale.content.decode()
    panel.meeting.refresh_from_db()
    assert panel.meeting.location == "Room 7"


def test_a_cancelled_meeting_cannot_be_edited_and_shows_its_reason():
    panel = make_panel()
    client = verified_client(panel.chair)
    assert (
        "Enter why"
        in client.post(_url("meeting_cancel", panel.meeting), {"reason": "", "version": "1"}).content.decode()
    )
    client.post(_url("meeting_cancel", panel.meeting), {"reason": "Chair unwell", "version": "1"})
    edit = client.get(_url("meeting_edit", panel.meeting), follow=True)
    assert "cancelled, so it cannot be moved" in edit.content.decode()
    assert "Cancelled: Chair unwell" in edit.content.decode()


def test_a_member_declares_an_interest_on_an_item_they_can_see():
    panel = make_panel()
    panel.attend_all()
    item = AgendaItem.unscoped.create(meeting=panel.meeting, case=panel.case, position=1)
    client = verified_client(panel.advocate)
    form = client.get(_url("meeting_declare", panel.meeting)).content.decode()
    assert "Item 1" in form
    assert "Olive Officer" not in form  # only their own place
    response = client.post(
        _url("meeting_declare", panel.meeting),
        {
            "member": panel.member_of(panel.advocate).pk,
            "item": str(item.pk),
            "statement": "Knows the sister",
            "withdrew": "on",
        },
        follow=True,
    )
    assert "Declaration of interest recorded" in response.content.decode()
    assert DeclarationOfInterest.objects.get().withdrew
    # The partner cannot see the case: the item is not offered, and the page names no item to them.
    partner = verified_client(panel.partner)
    assert "Item 1" not in partner.get(_url("meeting_declare", panel.meeting)).content.decode()
    detail = partner.get(_url("meeting_detail", panel.meeting)).content.decode()
    assert "an item of the agenda: Knows the sister" in detail


def test_schedule_pages_and_making_meetings_report_what_was_skipped():
    panel = make_panel()
    client = verified_client(panel.chair)
    assert client.get(_url("schedule_add")).status_code == 200
    data = {
        "title": "Weekly panel",
        "frequency": "weekly",
        "weekday": "1",
        "week_of_month": "",
        "starts_on": timezone.localdate().isoformat(),
        "ends_on": "",
        "start_time": "10:00",
        "duration_minutes": "90",
        "location": "Room 4",
        "call_details": "",
        "chair": str(panel.chair.pk),
        "members": [str(panel.officer.pk), str(panel.clinician.pk)],
        "active": "on",
    }
    made = client.post(_url("schedule_add"), data)
    schedule = PanelSchedule.objects.get()
    assert made.url == _url("schedule_generate", schedule_id=schedule.pk)
    first = client.post(_url("schedule_generate", schedule_id=schedule.pk), {"weeks": "3"}, follow=True)
    assert "meeting(s) made" in first.content.decode()
    second = client.post(_url("schedule_generate", schedule_id=schedule.pk), {"weeks": "3"}, follow=True)
    body = second.content.decode()
    assert "No new meetings" in body
    assert "Already made, left as they are" in body
    assert client.get(_url("schedules")).status_code == 200
    assert client.get(_url("schedule_edit", schedule_id=schedule.pk)).status_code == 200
    # Another unit's chair gets the same 404.
    other_chair = verified_client(member("unit_manager"))
    assert other_chair.get(_url("schedule_edit", schedule_id=schedule.pk)).status_code == 404


def test_quorum_page_saves_the_chairs_unit_and_shows_errors():
    panel = make_panel()
    client = verified_client(panel.chair)
    assert client.get(_url("quorum")).status_code == 200
    refused = client.post(_url("quorum"), {"quorum_members": "2", "quorum_agencies": "3"})
    assert "3 agencies cannot attend with only 2 members" in refused.content.decode()
    client.post(_url("quorum"), {"quorum_members": "4", "quorum_agencies": "2", "quorum_requires_police": "on"})
    assert PanelSettings.objects.get(unit=panel.unit).quorum_members == 4
    # A unit the chair does not chair is a 404.
    assert client.get(_url("quorum") + f"?unit={UnitFactory().pk}").status_code == 404
    assert AuditEvent.objects.filter(object_type="panel.panelsettings", action=AuditAction.CREATE).count() == 1


def test_the_navigation_leads_panel_roles_to_the_meetings():
    entry = next(e for e in NAVIGATION if e.url_name == "panel:meetings")
    assert entry.label == "Panel meetings"
    panel = make_panel()
    assert 'href="/panel/"' in verified_client(panel.partner).get(reverse("home")).content.decode()
    assert (
        'href="/panel/"'
        not in verified_client(member("analyst", unit=panel.unit)).get(reverse("home")).content.decode()
    )
