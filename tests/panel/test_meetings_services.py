"""Panel meetings through their services: schedules and the meetings made from them, one-off
meetings, members, attendance, opening and closing, declarations and the quorum; each bad input
refused with a message saying what to do, nothing half-written, every write audited."""

from __future__ import annotations

from datetime import UTC, date, time, timedelta
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from masip.audit.models import AuditAction, AuditEvent
from masip.core.models import StaleEditError
from masip.panel import services_meetings as services
from masip.panel.models import (
    AgendaItem,
    Attendance,
    DeclarationOfInterest,
    Frequency,
    Meeting,
    MeetingMember,
    MeetingStatus,
    Minutes,
    MinutesStatus,
    PanelSchedule,
    PanelSettings,
    Weekday,
    WeekOfMonth,
)
from tests.factories import member
from tests.panel.helpers import make_panel

pytestmark = pytest.mark.django_db


def _events(**filters):
    return list(AuditEvent.objects.filter(**filters).order_by("seq"))


def _schedule_draft(panel, **overrides):
    values = {
        "title": "Northshire stalking panel",
        "frequency": Frequency.WEEKLY,
        "weekday": Weekday.TUESDAY,
        "starts_on": date(2026, 1, 1),
        "start_time": time(10, 0),
        "duration_minutes": 120,
        "chair": panel.chair,
        "members": [panel.officer, panel.clinician, panel.partner],
        "location": "Room 4",
        "call_details": "https://call.example/panel passcode 9911",
    }
    values.update(overrides)
    return services.ScheduleDraft(**values)


def _meeting_draft(panel, **overrides):
    values = {
        "title": "Extra panel",
        "day": timezone.localdate() + timedelta(days=3),
        "start_time": time(14, 0),
        "end_time": time(15, 30),
        "chair": panel.chair,
        "location": "Room 2",
    }
    values.update(overrides)
    return services.MeetingDraft(**values)


# Schedules ------------------------------------------------------------------------------------


def test_weekly_fortnightly_and_monthly_dates_follow_the_rule():
    panel = make_panel()
    schedule = services.schedule_create(actor=panel.chair, unit=panel.unit, draft=_schedule_draft(panel))
    start, end = date(2026, 3, 1), date(2026, 3, 31)
    assert services.schedule_dates(schedule, start=start, end=end) == [
        date(2026, 3, 3),
        date(2026, 3, 10),
        date(2026, 3, 17),
        date(2026, 3, 24),
        date(2026, 3, 31),
    ]
    schedule.frequency = Frequency.FORTNIGHTLY
    # Anchored on the series' first Tuesday (6 January 2026), whatever window is asked for.
    assert services.schedule_dates(schedule, start=start, end=end) == [
        date(2026, 3, 3),
        date(2026, 3, 17),
        date(2026, 3, 31),
    ]
    assert services.schedule_dates(schedule, start=date(2026, 3, 4), end=end) == [date(2026, 3, 17), date(2026, 3, 31)]
    schedule.frequency = Frequency.MONTHLY
    schedule.week_of_month = WeekOfMonth.SECOND
    assert services.schedule_dates(schedule, start=start, end=date(2026, 5, 31)) == [
        date(2026, 3, 10),
        date(2026, 4, 14),
        date(2026, 5, 12),
    ]
    schedule.week_of_month = WeekOfMonth.LAST
    schedule.weekday = Weekday.FRIDAY
    assert services.schedule_dates(schedule, start=start, end=date(2026, 5, 31)) == [
        date(2026, 3, 27),
        date(2026, 4, 24),
        date(2026, 5, 29),
    ]


def test_schedule_create_is_audited_and_refuses_a_chair_who_may_not_chair():
    panel = make_panel()
    schedule = services.schedule_create(actor=panel.chair, unit=panel.unit, draft=_schedule_draft(panel))
    assert set(schedule.members.all()) == {panel.officer, panel.clinician, panel.partner}
    (event,) = _events(action=AuditAction.CREATE, object_type="panel.panelschedule")
    assert event.actor == panel.chair
    assert "call_details" in event.fields
    assert "members" in event.fields
    assert "9911" not in str(event.detail)

    with pytest.raises(ValidationError) as refused:
        services.schedule_create(actor=panel.chair, unit=panel.unit, draft=_schedule_draft(panel, chair=panel.officer))
    assert "Olive Officer may not chair panels" in refused.value.message_dict["chair"][0]
    assert PanelSchedule.objects.count() == 1


def test_schedule_refuses_members_twice_or_without_a_panel_role_and_a_monthly_without_a_week():
    panel = make_panel()
    analyst = member("analyst", unit=panel.unit, full_name="Ann Analyst")
    stranger = member("police_investigator", full_name="Sam Stranger")
    with pytest.raises(ValidationError) as refused:
        services.schedule_create(
            actor=panel.chair,
            unit=panel.unit,
            draft=_schedule_draft(
                panel,
                members=[panel.officer, panel.officer, analyst, stranger],
                frequency=Frequency.MONTHLY,
                week_of_month=None,
            ),
        )
    errors = refused.value.message_dict
    assert any("Olive Officer is already a member" in e for e in errors["members"])
    assert any("Ann Analyst is not a member of" in e and "panel role" in e for e in errors["members"])
    assert any("Sam Stranger is not a member of" in e for e in errors["members"])
    assert "week of the month" in errors["week_of_month"][0]
    assert not PanelSchedule.objects.exists()


def test_only_a_chair_of_the_unit_may_schedule():
    panel = make_panel()
    with pytest.raises(PermissionDenied):
        services.schedule_create(actor=panel.officer, unit=panel.unit, draft=_schedule_draft(panel))
    with pytest.raises(PermissionDenied):
        services.schedule_create(actor=member("unit_manager"), unit=panel.unit, draft=_schedule_draft(panel))


def test_generation_makes_meetings_copies_members_skips_bank_holidays_and_is_idempotent():
    panel = make_panel()
    schedule = services.schedule_create(
        actor=panel.chair, unit=panel.unit, draft=_schedule_draft(panel, weekday=Weekday.MONDAY)
    )
    # Monday 20 April 2026: the next four Mondays include the early May bank holiday (4 May).
    with mock.patch("django.utils.timezone.localdate", return_value=date(2026, 4, 20)):
        first = services.schedule_generate(actor=panel.chair, schedule=schedule, weeks=3)
        assert [timezone.localtime(m.starts_at).date() for m in first.made] == [
            date(2026, 4, 20),
            date(2026, 4, 27),
            date(2026, 5, 11),
        ]
        assert first.bank_holidays == [date(2026, 5, 4)]
        assert first.already_made == []
        made = first.made[0]
        assert timezone.localtime(made.starts_at).time() == time(10, 0)
        assert made.ends_at - made.starts_at == timedelta(hours=2)
        assert made.call_details == "https://call.example/panel passcode 9911"
        members = {m.user: m.agency for m in made.members.all()}
        assert members == {
            panel.chair: panel.police,
            panel.officer: panel.police,
            panel.clinician: panel.nhs,
            panel.partner: panel.probation,
        }
        assert all(m.attendance == Attendance.INVITED for m in made.members.all())

        # One moved to another day and one cancelled: neither is made again.
        moved = first.made[1]
        Meeting.objects.filter(pk=moved.pk).update(
            starts_at=moved.starts_at + timedelta(hours=3), ends_at=moved.ends_at + timedelta(hours=3)
        )
        Meeting.objects.filter(pk=first.made[2].pk).update(status=MeetingStatus.CANCELLED)
        second = services.schedule_generate(actor=panel.chair, schedule=schedule, weeks=4)
    assert [timezone.localtime(m.starts_at).date() for m in second.made] == [date(2026, 5, 18)]
    assert second.already_made == [date(2026, 4, 20), date(2026, 4, 27), date(2026, 5, 11)]
    assert second.bank_holidays == [date(2026, 5, 4)]
    assert Meeting.objects.filter(schedule=schedule).count() == 4
    events = _events(action=AuditAction.CREATE, object_type="panel.meeting")
    assert len(events) == 4
    assert all(e.detail["event"] == "panel_meeting_made_from_schedule" for e in events)


def test_generation_leaves_out_members_who_lost_their_panel_role_and_refuses_a_chair_who_did():
    panel = make_panel()
    schedule = services.schedule_create(actor=panel.chair, unit=panel.unit, draft=_schedule_draft(panel))
    panel.partner.memberships.update(status="suspended")
    result = services.schedule_generate(actor=panel.chair, schedule=schedule, weeks=2)
    assert result.members_left_out == ["Pat Probation"]
    assert all(not m.members.filter(user=panel.partner).exists() for m in result.made)

    deputy = member("unit_manager", unit=panel.unit, agency=panel.police, full_name="Dee Deputy")
    PanelSchedule.objects.filter(pk=schedule.pk).update(chair=deputy)
    deputy.memberships.update(status="suspended")
    schedule.refresh_from_db()
    before = Meeting.objects.count()
    with pytest.raises(ValidationError, match="Choose a new chair on the schedule"):
        services.schedule_generate(actor=panel.chair, schedule=schedule, weeks=2)
    with pytest.raises(ValidationError, match="1 to 26 weeks"):
        services.schedule_generate(actor=panel.chair, schedule=schedule, weeks=60)
    assert Meeting.objects.count() == before


# One-off meetings ----------------------------------------------------------------------------


def test_a_one_off_meeting_has_its_chair_as_member_and_is_audited():
    panel = make_panel()
    meeting = services.meeting_create(actor=panel.chair, unit=panel.unit, draft=_meeting_draft(panel))
    assert meeting.status == MeetingStatus.SCHEDULED
    assert [(m.user, m.agency) for m in meeting.members.all()] == [(panel.chair, panel.police)]
    (event,) = _events(action=AuditAction.CREATE, object_type="panel.meeting")
    assert event.object_id == str(meeting.pk)
    assert event.detail == {"event": "panel_meeting_created"}


def test_a_meeting_ending_before_it_starts_is_refused():
    panel = make_panel()
    before = Meeting.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.meeting_create(
            actor=panel.chair, unit=panel.unit, draft=_meeting_draft(panel, start_time=time(14), end_time=time(13))
        )
    assert "ends (13:00) before it starts (14:00)" in refused.value.message_dict["end_time"][0]
    assert Meeting.objects.count() == before
    assert not _events(action=AuditAction.CREATE, object_type="panel.meeting")


def test_a_meeting_chaired_by_someone_who_may_not_chair_is_refused():
    panel = make_panel()
    with pytest.raises(ValidationError) as refused:
        services.meeting_create(actor=panel.chair, unit=panel.unit, draft=_meeting_draft(panel, chair=panel.clinician))
    assert "Cleo Clinician may not chair panels in" in refused.value.message_dict["chair"][0]
    other_manager = member("unit_manager", full_name="Mo Elsewhere")
    with pytest.raises(ValidationError, match="Mo Elsewhere may not chair panels"):
        services.meeting_create(actor=panel.chair, unit=panel.unit, draft=_meeting_draft(panel, chair=other_manager))


def test_moving_a_meeting_bumps_its_version_and_a_stale_edit_is_refused():
    panel = make_panel()
    meeting = panel.meeting
    moved = services.meeting_update(
        actor=panel.chair, meeting=meeting, expected_version=1, draft=_meeting_draft(panel, title="Stalking panel")
    )
    assert moved.version == 2
    assert moved.location == "Room 2"
    (event,) = _events(action=AuditAction.CHANGE, object_type="panel.meeting")
    assert event.fields == ["ends_at", "location", "starts_at"]
    with pytest.raises(StaleEditError) as stale:
        services.meeting_update(
            actor=panel.chair, meeting=meeting, expected_version=1, draft=_meeting_draft(panel, location="Room 9")
        )
    assert stale.value.current.location == "Room 2"
    meeting.refresh_from_db()
    assert meeting.location == "Room 2"


def test_cancelled_and_closed_meetings_cannot_be_moved():
    panel = make_panel()
    with pytest.raises(ValidationError, match="Enter why"):
        services.meeting_cancel(actor=panel.chair, meeting=panel.meeting, expected_version=1, reason="  ")
    cancelled = services.meeting_cancel(
        actor=panel.chair, meeting=panel.meeting, expected_version=1, reason="Chair unwell"
    )
    assert cancelled.status == MeetingStatus.CANCELLED
    assert cancelled.cancelled_reason == "Chair unwell"
    with pytest.raises(ValidationError, match="cancelled, so it cannot change"):
        services.meeting_update(
            actor=panel.chair, meeting=panel.meeting, expected_version=2, draft=_meeting_draft(panel)
        )

    other = make_panel()
    other.attend_all()
    services.meeting_close(actor=other.chair, meeting=other.meeting, expected_version=1)
    with pytest.raises(ValidationError, match="closed, so it cannot be moved"):
        services.meeting_update(
            actor=other.chair, meeting=other.meeting, expected_version=2, draft=_meeting_draft(other)
        )


# Members -------------------------------------------------------------------------------------


def test_inviting_members_with_their_agency_and_refusals_by_name():
    panel = make_panel()
    meeting = services.meeting_create(actor=panel.chair, unit=panel.unit, draft=_meeting_draft(panel))
    added = services.meeting_invite(actor=panel.chair, meeting=meeting, users=[panel.clinician, panel.partner])
    assert {(m.user, m.agency, m.name) for m in added} == {
        (panel.clinician, panel.nhs, "Cleo Clinician"),
        (panel.partner, panel.probation, "Pat Probation"),
    }
    (event,) = _events(action=AuditAction.CHANGE, object_type="panel.meeting")
    assert event.fields == ["members"]
    assert event.detail == {"event": "panel_members_invited", "members": 2}

    analyst = member("analyst", unit=panel.unit, full_name="Ann Analyst")
    with pytest.raises(ValidationError) as refused:
        services.meeting_invite(actor=panel.chair, meeting=meeting, users=[panel.officer, panel.clinician, analyst])
    errors = refused.value.message_dict["users"]
    assert any("Cleo Clinician is already a member of this meeting" in e for e in errors)
    assert any("Ann Analyst is not a member of" in e and "with a panel role" in e for e in errors)
    # Nothing half-written: the officer, who could be invited, was not.
    assert not meeting.members.filter(user=panel.officer).exists()
    assert len(_events(action=AuditAction.CHANGE, object_type="panel.meeting")) == 1


def test_a_member_without_an_account_needs_a_name_and_an_agency():
    panel = make_panel()
    with pytest.raises(ValidationError) as refused:
        services.meeting_add_external(
            actor=panel.chair, meeting=panel.meeting, draft=services.ExternalMemberDraft(name=" ", agency=None)
        )
    assert refused.value.message_dict == {
        "name": ["Enter the member's name."],
        "agency": ["Choose the member's agency. If it is not listed, ask an administrator to add it."],
    }
    added = services.meeting_add_external(
        actor=panel.chair,
        meeting=panel.meeting,
        draft=services.ExternalMemberDraft(
            name="Hal Housing", agency=panel.probation, email="hal@example.org", role_at_panel="Housing lead"
        ),
    )
    assert added.user is None
    assert added.agency == panel.probation
    with pytest.raises(ValidationError, match="already a member"):
        services.meeting_add_external(
            actor=panel.chair,
            meeting=panel.meeting,
            draft=services.ExternalMemberDraft(name="hal housing", agency=panel.probation),
        )
    (event,) = _events(action=AuditAction.CHANGE, object_type="panel.meeting")
    assert event.detail == {"event": "panel_external_member_added", "member": added.pk}


def test_members_are_removed_only_while_the_meeting_is_scheduled():
    panel = make_panel()
    partner = panel.member_of(panel.partner)
    with pytest.raises(ValidationError, match="The chair cannot be removed"):
        services.meeting_remove_member(
            actor=panel.chair, meeting=panel.meeting, member_id=panel.member_of(panel.chair).pk
        )
    services.meeting_remove_member(actor=panel.chair, meeting=panel.meeting, member_id=partner.pk)
    assert not MeetingMember.objects.filter(pk=partner.pk).exists()
    panel.attend_all()
    with pytest.raises(ValidationError, match="only while it is scheduled"):
        services.meeting_remove_member(
            actor=panel.chair, meeting=panel.meeting, member_id=panel.member_of(panel.officer).pk
        )
    assert [e.detail["event"] for e in _events(action=AuditAction.CHANGE)] == ["panel_member_removed"]


# Running the meeting -------------------------------------------------------------------------


def _all(panel, value):
    return {m.pk: value for m in panel.meeting.members.all()}


def test_attendance_open_and_close_with_the_quorum_and_the_minutes():
    panel = make_panel()
    attendance = _all(panel, Attendance.ATTENDED)
    attendance[panel.member_of(panel.officer).pk] = Attendance.APOLOGIES
    attendance[panel.member_of(panel.chair).pk] = Attendance.ABSENT
    with pytest.raises(ValidationError, match="Record whether each member attended: Pat Probation"):
        services.meeting_record_attendance(
            actor=panel.chair,
            meeting=panel.meeting,
            expected_version=1,
            attendance={k: v for k, v in attendance.items() if k != panel.member_of(panel.partner).pk},
        )
    meeting = services.meeting_record_attendance(
        actor=panel.chair, meeting=panel.meeting, expected_version=1, attendance=attendance
    )
    assert panel.member_of(panel.officer).attendance == Attendance.APOLOGIES
    # Not quorate (no police attending), and it may still be opened.
    meeting = services.meeting_open(actor=panel.chair, meeting=meeting, expected_version=meeting.version)
    assert meeting.status == MeetingStatus.IN_PROGRESS
    assert meeting.opened_at is not None
    # Corrected while in progress.
    attendance[panel.member_of(panel.officer).pk] = Attendance.ATTENDED
    meeting = services.meeting_record_attendance(
        actor=panel.chair, meeting=meeting, expected_version=meeting.version, attendance=attendance
    )
    assert panel.member_of(panel.officer).attendance == Attendance.ATTENDED
    closed = services.meeting_close(actor=panel.chair, meeting=meeting, expected_version=meeting.version)
    assert closed.status == MeetingStatus.CLOSED
    assert closed.closed_at is not None
    assert Minutes.objects.get(meeting=closed).status == MinutesStatus.DRAFT
    assert [(e.action, e.detail["event"]) for e in _events(unit=panel.unit)] == [
        (AuditAction.CHANGE, "panel_attendance_recorded"),
        (AuditAction.CHANGE, "panel_meeting_opened"),
        (AuditAction.CHANGE, "panel_attendance_recorded"),
        (AuditAction.CHANGE, "panel_meeting_closed"),
        (AuditAction.CREATE, "panel_minutes_started"),
    ]
    with pytest.raises(ValidationError, match="attendance can no longer be recorded"):
        services.meeting_record_attendance(
            actor=panel.chair, meeting=closed, expected_version=closed.version, attendance=attendance
        )


def test_nothing_changes_once_the_minutes_are_approved():
    panel = make_panel()
    panel.attend_all()
    Minutes.objects.create(meeting=panel.meeting, status=MinutesStatus.APPROVED, approved_at=timezone.now())
    with pytest.raises(ValidationError, match="approved"):
        services.meeting_record_attendance(
            actor=panel.chair, meeting=panel.meeting, expected_version=1, attendance=_all(panel, Attendance.ABSENT)
        )
    with pytest.raises(ValidationError, match="locked"):
        services.meeting_close(actor=panel.chair, meeting=panel.meeting, expected_version=1)
    assert panel.meeting.members.filter(attendance=Attendance.ATTENDED).count() == 5


# Declarations --------------------------------------------------------------------------------


def test_an_attending_member_declares_their_own_and_the_chair_anyones():
    panel = make_panel()
    item = AgendaItem.unscoped.create(meeting=panel.meeting, case=panel.case, position=1)
    advocate = panel.member_of(panel.advocate)
    with pytest.raises(ValidationError, match="Only members recorded as attending"):
        services.declaration_record(actor=panel.advocate, meeting=panel.meeting, member_id=advocate.pk, statement="x")
    panel.attend_all()
    declaration = services.declaration_record(
        actor=panel.advocate,
        meeting=panel.meeting,
        member_id=advocate.pk,
        statement="Supported the victim's sister last year",
        item_id=item.pk,
        withdrew=True,
    )
    assert declaration.item == item
    assert declaration.withdrew
    with pytest.raises(PermissionDenied):
        services.declaration_record(
            actor=panel.advocate, meeting=panel.meeting, member_id=panel.member_of(panel.officer).pk, statement="x"
        )
    # The partner cannot see the case, so cannot name its item.
    with pytest.raises(ValidationError) as refused:
        services.declaration_record(
            actor=panel.partner,
            meeting=panel.meeting,
            member_id=panel.member_of(panel.partner).pk,
            statement="Knows the family",
            item_id=item.pk,
        )
    assert "Choose an item of this meeting's agenda" in refused.value.message_dict["item"][0]
    with pytest.raises(ValidationError) as refused:
        services.declaration_record(
            actor=panel.chair,
            meeting=panel.meeting,
            member_id=panel.member_of(panel.partner).pk,
            statement="Knows the family",
            withdrew=True,
        )
    assert "Choose the item the member withdrew from" in refused.value.message_dict["withdrew"][0]
    services.declaration_record(
        actor=panel.chair,
        meeting=panel.meeting,
        member_id=panel.member_of(panel.partner).pk,
        statement="Knows the family",
    )
    assert DeclarationOfInterest.objects.count() == 2
    events = _events(action=AuditAction.CREATE, object_type="panel.declarationofinterest")
    assert [e.actor for e in events] == [panel.advocate, panel.chair]
    assert events[0].fields == ["item", "member", "statement", "withdrew"]
    assert events[0].case_id == panel.case.pk
    assert events[0].detail == {"event": "panel_interest_declared", "for_item": True, "withdrew": True}
    for event in events:
        assert "sister" not in str(event.detail)
        assert "family" not in str(event.detail)


# Quorum --------------------------------------------------------------------------------------


def test_quorum_settings_are_checked_saved_and_audited():
    panel = make_panel()
    with pytest.raises(ValidationError) as refused:
        services.panel_settings_save(
            actor=panel.chair, unit=panel.unit, quorum_members=2, quorum_agencies=3, quorum_requires_police=True
        )
    assert "3 agencies cannot attend with only 2 members" in refused.value.message_dict["quorum_agencies"][0]
    assert not PanelSettings.objects.exists()
    with pytest.raises(PermissionDenied):
        services.panel_settings_save(
            actor=panel.officer, unit=panel.unit, quorum_members=2, quorum_agencies=1, quorum_requires_police=False
        )
    saved = services.panel_settings_save(
        actor=panel.chair, unit=panel.unit, quorum_members=4, quorum_agencies=3, quorum_requires_police=False
    )
    assert (saved.quorum_members, saved.quorum_agencies, saved.quorum_requires_police) == (4, 3, False)
    (event,) = _events(object_type="panel.panelsettings")
    assert event.action == AuditAction.CREATE
    assert event.detail["event"] == "panel_quorum_set"


def test_schedule_update_is_audited_with_the_fields_changed():
    panel = make_panel()
    schedule = services.schedule_create(actor=panel.chair, unit=panel.unit, draft=_schedule_draft(panel))
    services.schedule_update(
        actor=panel.chair,
        schedule=schedule,
        draft=_schedule_draft(panel, start_time=time(9, 30), members=[panel.officer]),
    )
    schedule.refresh_from_db()
    assert schedule.start_time == time(9, 30)
    assert list(schedule.members.all()) == [panel.officer]
    (event,) = _events(action=AuditAction.CHANGE, object_type="panel.panelschedule")
    assert event.fields == ["members", "start_time"]


def test_generated_meetings_are_in_local_time_across_the_clock_change():
    panel = make_panel()
    schedule = services.schedule_create(
        actor=panel.chair, unit=panel.unit, draft=_schedule_draft(panel, weekday=Weekday.WEDNESDAY)
    )
    with mock.patch("django.utils.timezone.localdate", return_value=date(2026, 3, 30)):
        result = services.schedule_generate(actor=panel.chair, schedule=schedule, weeks=1)
    assert len(result.made) == 1
    (before,) = [m for m in result.made if timezone.localtime(m.starts_at).date() == date(2026, 4, 1)]
    # British Summer Time: 10:00 in London is 09:00 UTC.
    assert timezone.localtime(before.starts_at).hour == 10
    assert before.starts_at.astimezone(UTC).hour == 9
