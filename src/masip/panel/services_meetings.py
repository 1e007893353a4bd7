"""Writes of panel meetings: recurring schedules and the meetings made from them, one-off
meetings (create, move, cancel), their members, attendance, opening and closing, declarations of
interest, the unit's quorum, and each user's calendar feed.

Each is one transaction with its audit row inside (field names only, never values; never a
declaration's statement). Each checks who may do it itself: the views' capability decorators are
not enough, since a chair of one unit may only attend in another. Nothing a meeting recorded
changes once its minutes are approved (`rules.ensure_editable`).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from dateutil import rrule
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from masip.access.policy import Capability, roles_with_capability
from masip.access.principal import principal_for
from masip.accounts.models import Agency, Membership, Unit, User
from masip.audit.models import AuditAction
from masip.audit.services import audit_record, client_address
from masip.core.models import StaleEditError
from masip.core.unit_settings import unit_settings_save
from masip.core.workdays import is_working_day
from masip.panel.models import (
    AgendaItem,
    Attendance,
    CalendarFeed,
    DeclarationOfInterest,
    Frequency,
    Meeting,
    MeetingMember,
    MeetingStatus,
    Minutes,
    PanelSchedule,
    PanelSettings,
    Weekday,
    WeekOfMonth,
)
from masip.panel.rules import ensure_editable

TITLE_MAX_LENGTH = 120
PLACE_MAX_LENGTH = 200
CALL_DETAILS_MAX_LENGTH = 2_000
REASON_MAX_LENGTH = 200
STATEMENT_MAX_LENGTH = 4_000
MIN_DURATION_MINUTES = 15
MAX_DURATION_MINUTES = 8 * 60
MAX_WEEKS_AHEAD = 26
MAX_QUORUM = 50
SCHEDULE_FIELDS = (
    "title",
    "frequency",
    "weekday",
    "week_of_month",
    "starts_on",
    "ends_on",
    "start_time",
    "duration_minutes",
    "location",
    "call_details",
    "chair",
)
MEETING_FIELDS = ("title", "starts_at", "ends_at", "location", "call_details", "chair")
RRULE_WEEKDAYS = (rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR)


def _day(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def panel_roles() -> set[str]:
    """The roles that sit on a panel: those that attend it and those that chair it."""
    return {
        str(r) for r in roles_with_capability(Capability.ATTEND_PANEL) | roles_with_capability(Capability.CHAIR_PANEL)
    }


def panel_users(*, unit_id: int) -> list[User]:
    """The people who hold a panel role in the unit now, by name, with their agency."""
    ids = Membership.objects.active().filter(unit_id=unit_id, role__in=panel_roles()).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True).select_related("agency").order_by("full_name"))


def may_chair_in(user: Any, unit_id: int) -> bool:
    return principal_for(user).can(Capability.CHAIR_PANEL, unit_id)


def _require_chair(actor: Any, unit_id: int) -> None:
    if not may_chair_in(actor, unit_id):
        raise PermissionDenied("Only someone who chairs this unit's panel can do this.")


def _chair_problem(chair: Any, unit: Unit) -> str | None:
    if chair is None:
        return "Choose who chairs the meeting."
    if not may_chair_in(chair, unit.pk):
        return (
            f"{chair.full_name} may not chair panels in {unit.name}: only the unit's managers can. "
            "Choose one of them, or ask for their role to be changed first."
        )
    return None


def _agency_of(user: User, unit: Unit) -> Agency:
    return user.agency or unit.lead_agency


# Schedules ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleDraft:
    """What a chair entered for a recurring schedule, before it is checked."""

    title: str
    frequency: str
    weekday: int
    starts_on: date
    start_time: time
    duration_minutes: int
    chair: Any
    members: list[Any] = field(default_factory=list)
    week_of_month: int | None = None
    ends_on: date | None = None
    location: str = ""
    call_details: str = ""
    active: bool = True


def _check_where_and_who(
    *, unit: Unit, draft: ScheduleDraft | MeetingDraft, refuse: Any, noun: str
) -> tuple[str, str, str]:
    """What a schedule and a meeting share: the title, the place and call details, the chair.
    Refusals go to `refuse`; returns the title, place and call details as they will be kept."""
    title = draft.title.strip()
    if not title:
        refuse("title", f"Enter a title for the {noun}, for example “Stalking panel”.")
    elif len(title) > TITLE_MAX_LENGTH:
        refuse("title", f"The title can be at most {TITLE_MAX_LENGTH} characters.")
    location = draft.location.strip()
    if len(location) > PLACE_MAX_LENGTH:
        refuse("location", f"The place can be at most {PLACE_MAX_LENGTH} characters.")
    call_details = draft.call_details.strip()
    if len(call_details) > CALL_DETAILS_MAX_LENGTH:
        refuse("call_details", f"The call details can be at most {CALL_DETAILS_MAX_LENGTH:,} characters.")
    problem = _chair_problem(draft.chair, unit)
    if problem:
        refuse("chair", problem)
    return title, location, call_details


def _check_schedule(*, unit: Unit, draft: ScheduleDraft) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}

    def refuse(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    title, location, call_details = _check_where_and_who(unit=unit, draft=draft, refuse=refuse, noun="meetings")
    if draft.frequency not in Frequency.values:
        refuse("frequency", "Choose how often the panel meets.")
    if draft.weekday not in Weekday.values:
        refuse("weekday", "Choose a weekday from Monday to Friday.")
    week_of_month = draft.week_of_month
    if draft.frequency == Frequency.MONTHLY:
        if week_of_month not in WeekOfMonth.values:
            refuse("week_of_month", "Choose which week of the month it meets: first to fourth, or last.")
    else:
        week_of_month = None
    if draft.ends_on is not None and draft.ends_on < draft.starts_on:
        refuse(
            "ends_on",
            f"The last day ({_day(draft.ends_on)}) is before the first ({_day(draft.starts_on)}). Check both dates.",
        )
    if not MIN_DURATION_MINUTES <= draft.duration_minutes <= MAX_DURATION_MINUTES:
        refuse(
            "duration_minutes",
            f"A meeting lasts between {MIN_DURATION_MINUTES} minutes and {MAX_DURATION_MINUTES // 60} hours.",
        )
    members = _check_users(unit=unit, users=draft.members, existing=set(), refuse=refuse, field_name="members")
    if errors:
        raise ValidationError(errors)
    return {
        "title": title,
        "frequency": draft.frequency,
        "weekday": draft.weekday,
        "week_of_month": week_of_month,
        "starts_on": draft.starts_on,
        "ends_on": draft.ends_on,
        "start_time": draft.start_time,
        "duration_minutes": draft.duration_minutes,
        "location": location,
        "call_details": call_details,
        "chair": draft.chair,
        "active": draft.active,
        "_members": members,
    }


def _check_users(*, unit: Unit, users: list[Any], existing: set[int], refuse: Any, field_name: str) -> list[User]:
    """The users, each once, each holding a panel role in the unit and not already in `existing`."""
    eligible = {u.pk: u for u in panel_users(unit_id=unit.pk)}
    seen: set[int] = set()
    checked: list[User] = []
    for user in users:
        pk = getattr(user, "pk", user)
        name = getattr(user, "full_name", None) or "This person"
        if pk in existing or pk in seen:
            refuse(field_name, f"{name} is already a member of this meeting. Add each person once.")
            continue
        seen.add(pk)
        if pk not in eligible:
            refuse(
                field_name,
                f"{name} is not a member of {unit.name} with a panel role. Invite them to the unit first, "
                "or add them as a member without an account.",
            )
            continue
        checked.append(eligible[pk])
    return checked


def schedule_create(
    *, actor: Any, unit: Unit, draft: ScheduleDraft, request: HttpRequest | None = None
) -> PanelSchedule:
    """Create a recurring schedule of the unit's panel.

    Guarantees: the actor chairs panels in the unit; the chair may chair there; the default
    members each hold a panel role in the unit, once each (else ValidationError by field); the
    row and its audit (`create`, field names) commit together. No meeting is made yet.
    """
    _require_chair(actor, unit.pk)
    values = _check_schedule(unit=unit, draft=draft)
    members = values.pop("_members")
    with transaction.atomic():
        schedule = PanelSchedule.objects.create(unit=unit, created_by=actor, **values)
        schedule.members.set(members)
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            request=request,
            unit=unit,
            obj=schedule,
            fields=sorted([*(name for name, value in values.items() if value not in ("", None)), "members"]),
            detail={"event": "panel_schedule_created", "members": len(members)},
        )
    return schedule


def schedule_update(
    *, actor: Any, schedule: PanelSchedule, draft: ScheduleDraft, request: HttpRequest | None = None
) -> PanelSchedule:
    """Change a schedule. Meetings already made from it keep their date, place and members (each
    can be moved on its own); the next meetings made follow the new rule."""
    _require_chair(actor, schedule.unit_id)
    values = _check_schedule(unit=schedule.unit, draft=draft)
    members = values.pop("_members")
    with transaction.atomic():
        current = PanelSchedule.objects.select_for_update().get(pk=schedule.pk)
        changed = [name for name, value in values.items() if getattr(current, name) != value]
        before = set(current.members.values_list("pk", flat=True))
        if before != {m.pk for m in members}:
            changed.append("members")
        for name, value in values.items():
            setattr(current, name, value)
        if changed:
            current.save()
            current.members.set(members)
            audit_record(
                action=AuditAction.CHANGE,
                actor=actor,
                request=request,
                unit=current.unit,
                obj=current,
                fields=sorted(changed),
                detail={"event": "panel_schedule_changed"},
            )
    return current


def schedule_dates(schedule: PanelSchedule, *, start: date, end: date) -> list[date]:
    """The days in [start, end] the schedule's rule falls on (bank holidays included)."""
    weekday = RRULE_WEEKDAYS[schedule.weekday]
    if schedule.frequency == Frequency.MONTHLY:
        rule = rrule.rrule(
            rrule.MONTHLY,
            dtstart=datetime.combine(schedule.starts_on, time()),
            byweekday=weekday(schedule.week_of_month or 1),
        )
    else:
        # The series' first meeting day anchors the fortnights, so every run picks the same weeks.
        first_day = schedule.starts_on + timedelta(days=(schedule.weekday - schedule.starts_on.weekday()) % 7)
        rule = rrule.rrule(
            rrule.WEEKLY,
            interval=2 if schedule.frequency == Frequency.FORTNIGHTLY else 1,
            dtstart=datetime.combine(first_day, time()),
            byweekday=weekday,
        )
    last = min(end, schedule.ends_on) if schedule.ends_on else end
    first = max(start, schedule.starts_on)
    if last < first:
        return []
    after = datetime.combine(first, time())
    before = datetime.combine(last, time())
    return [moment.date() for moment in rule.between(after, before, inc=True)]


@dataclass(frozen=True)
class Generated:
    """What `schedule_generate` did: the meetings made, and the days it left alone and why."""

    made: list[Meeting]
    already_made: list[date]
    bank_holidays: list[date]
    members_left_out: list[str]


def schedule_generate(
    *, actor: Any, schedule: PanelSchedule, weeks: int, request: HttpRequest | None = None
) -> Generated:
    """Make the schedule's meetings for the next `weeks` weeks (from today).

    Idempotent: a day that already has a meeting of this schedule (even a cancelled or moved one)
    is left alone, and so is a bank holiday in England and Wales; both are reported. Each meeting
    made invites the chair and the schedule's members with their agency (members who no longer
    hold a panel role in the unit are left out, and named). One audit row per meeting made.
    """
    _require_chair(actor, schedule.unit_id)
    if not 1 <= weeks <= MAX_WEEKS_AHEAD:
        raise ValidationError({"weeks": f"Make meetings for 1 to {MAX_WEEKS_AHEAD} weeks ahead."})
    if not schedule.active:
        raise ValidationError("This schedule is paused. Make it active again before making its meetings.")
    unit = schedule.unit
    problem = _chair_problem(schedule.chair, unit)
    if problem:
        raise ValidationError(
            {"weeks": f"{problem.split(':')[0]}. Choose a new chair on the schedule, then make the meetings."}
        )
    today = timezone.localdate()
    days = schedule_dates(schedule, start=today, end=today + timedelta(weeks=weeks))
    eligible = {u.pk for u in panel_users(unit_id=unit.pk)}
    members = list(schedule.members.select_related("agency").order_by("full_name"))
    invited = [schedule.chair, *(m for m in members if m.pk != schedule.chair_id and m.pk in eligible)]
    left_out = [m.full_name for m in members if m.pk not in eligible]
    made: list[Meeting] = []
    already: list[date] = []
    holidays: list[date] = []
    with transaction.atomic():
        # Two chairs pressing the button at once queue here; the second sees the first's meetings.
        PanelSchedule.objects.select_for_update().get(pk=schedule.pk)
        existing = {
            timezone.localtime(starts).date()
            for starts in Meeting.objects.filter(schedule=schedule).values_list("starts_at", flat=True)
        }
        for day in days:
            if day in existing:
                already.append(day)
                continue
            if not is_working_day(day):
                holidays.append(day)
                continue
            starts = timezone.make_aware(datetime.combine(day, schedule.start_time))
            meeting = Meeting.objects.create(
                unit=unit,
                schedule=schedule,
                title=schedule.title,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=schedule.duration_minutes),
                location=schedule.location,
                call_details=schedule.call_details,
                chair=schedule.chair,
                created_by=actor,
            )
            MeetingMember.objects.bulk_create(
                [
                    MeetingMember(meeting=meeting, user=user, name=user.full_name, agency=_agency_of(user, unit))
                    for user in invited
                ]
            )
            audit_record(
                action=AuditAction.CREATE,
                actor=actor,
                request=request,
                unit=unit,
                obj=meeting,
                fields=[*MEETING_FIELDS, "members"],
                detail={"event": "panel_meeting_made_from_schedule", "schedule": schedule.pk, "members": len(invited)},
            )
            made.append(meeting)
    return Generated(made=made, already_made=already, bank_holidays=holidays, members_left_out=left_out)


# One-off meetings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingDraft:
    """What a chair entered for one meeting, before it is checked."""

    title: str
    day: date
    start_time: time
    end_time: time
    chair: Any
    location: str = ""
    call_details: str = ""


def _check_meeting(*, unit: Unit, draft: MeetingDraft) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}

    def refuse(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    title, location, call_details = _check_where_and_who(unit=unit, draft=draft, refuse=refuse, noun="meeting")
    starts_at = timezone.make_aware(datetime.combine(draft.day, draft.start_time))
    ends_at = timezone.make_aware(datetime.combine(draft.day, draft.end_time))
    if ends_at <= starts_at:
        refuse(
            "end_time",
            f"The meeting ends ({draft.end_time:%H:%M}) before it starts ({draft.start_time:%H:%M}). "
            "Enter an end time after the start time.",
        )
    if not location and not call_details:
        refuse("location", "Enter where the panel meets, or the call details, or both.")
    if errors:
        raise ValidationError(errors)
    return {
        "title": title,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "location": location,
        "call_details": call_details,
        "chair": draft.chair,
    }


def meeting_create(*, actor: Any, unit: Unit, draft: MeetingDraft, request: HttpRequest | None = None) -> Meeting:
    """Create a one-off meeting of the unit's panel, with its chair as its first member.

    Guarantees: the actor chairs panels in the unit; the meeting ends after it starts; the chair
    may chair there (else ValidationError by field); meeting, member and audit commit together.
    """
    _require_chair(actor, unit.pk)
    values = _check_meeting(unit=unit, draft=draft)
    with transaction.atomic():
        meeting = Meeting.objects.create(unit=unit, created_by=actor, **values)
        chair = values["chair"]
        MeetingMember.objects.create(meeting=meeting, user=chair, name=chair.full_name, agency=_agency_of(chair, unit))
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            request=request,
            unit=unit,
            obj=meeting,
            fields=sorted(name for name, value in values.items() if value),
            detail={"event": "panel_meeting_created"},
        )
    return meeting


def _meeting_at_version(meeting: Meeting, expected_version: int) -> Meeting:
    """The meeting, locked until the transaction ends, if still at `expected_version`; otherwise
    StaleEditError carrying it as it now stands (two chairs at once queue on the lock)."""
    current = Meeting.objects.select_for_update().get(pk=meeting.pk)
    if current.version != expected_version:
        raise StaleEditError("meeting", current=current)
    return current


def _ensure_changeable(meeting: Meeting) -> None:
    ensure_editable(meeting)
    if meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError("This meeting was cancelled, so it cannot change. Schedule a new meeting instead.")
    if meeting.status == MeetingStatus.CLOSED:
        raise ValidationError("This meeting has closed, so it cannot be moved. Record corrections in its minutes.")


def _bump(meeting: Meeting, fields: list[str]) -> None:
    meeting.version += 1
    meeting.save(update_fields=[*fields, "version", "updated_at"])


def meeting_update(
    *, actor: Any, meeting: Meeting, expected_version: int, draft: MeetingDraft, request: HttpRequest | None = None
) -> Meeting:
    """Move a meeting (date, time, place, call details) or change its chair.

    Refused once the meeting is cancelled or closed, or its minutes approved; StaleEditError when
    someone else changed it after the form was opened. A new chair joins the members.
    """
    _require_chair(actor, meeting.unit_id)
    values = _check_meeting(unit=meeting.unit, draft=draft)
    with transaction.atomic():
        current = _meeting_at_version(meeting, expected_version)
        _ensure_changeable(current)
        changed = [name for name, value in values.items() if getattr(current, name) != value]
        if not changed:
            return current
        for name in changed:
            setattr(current, name, values[name])
        _bump(current, changed)
        chair = values["chair"]
        if "chair" in changed and not current.members.filter(user=chair).exists():
            MeetingMember.objects.create(
                meeting=current, user=chair, name=chair.full_name, agency=_agency_of(chair, current.unit)
            )
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=current.unit,
            obj=current,
            fields=sorted(changed),
            detail={"event": "panel_meeting_changed"},
        )
    return current


def meeting_cancel(
    *, actor: Any, meeting: Meeting, expected_version: int, reason: str, request: HttpRequest | None = None
) -> Meeting:
    """Cancel a meeting that has not started, with the reason members will read."""
    _require_chair(actor, meeting.unit_id)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Enter why the meeting is cancelled; members will read it."})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": f"Keep the reason to {REASON_MAX_LENGTH} characters or fewer."})
    with transaction.atomic():
        current = _meeting_at_version(meeting, expected_version)
        _ensure_changeable(current)
        if current.status != MeetingStatus.SCHEDULED:
            raise ValidationError("This meeting has been opened, so it cannot be cancelled. Close it instead.")
        current.status = MeetingStatus.CANCELLED
        current.cancelled_reason = reason
        _bump(current, ["status", "cancelled_reason"])
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=current.unit,
            obj=current,
            fields=["cancelled_reason", "status"],
            detail={"event": "panel_meeting_cancelled"},
        )
    return current


# Members ---------------------------------------------------------------------------------------


def _locked_meeting(meeting: Meeting) -> Meeting:
    current = Meeting.objects.select_for_update().get(pk=meeting.pk)
    ensure_editable(current)
    return current


def _ensure_scheduled_for_members(meeting: Meeting) -> None:
    if meeting.status != MeetingStatus.SCHEDULED:
        raise ValidationError(
            f"This meeting is {meeting.get_status_display().lower()}: its members can change only while it is "
            "scheduled. Record who attended instead."
        )


def meeting_invite(
    *, actor: Any, meeting: Meeting, users: list[Any], request: HttpRequest | None = None
) -> list[MeetingMember]:
    """Invite people of the unit who hold a panel role, each with their agency.

    Refused, with each person named, for someone already a member or without a panel role in the
    meeting's unit; nothing is written unless every one can be invited.
    """
    _require_chair(actor, meeting.unit_id)
    if not users:
        raise ValidationError({"users": "Choose at least one person to invite."})
    with transaction.atomic():
        current = _locked_meeting(meeting)
        _ensure_scheduled_for_members(current)
        existing = set(current.members.filter(user__isnull=False).values_list("user_id", flat=True))
        errors: dict[str, list[str]] = {}

        def refuse(name: str, message: str) -> None:
            errors.setdefault(name, []).append(message)

        checked = _check_users(unit=current.unit, users=users, existing=existing, refuse=refuse, field_name="users")
        if errors:
            raise ValidationError(errors)
        added = MeetingMember.objects.bulk_create(
            [
                MeetingMember(meeting=current, user=user, name=user.full_name, agency=_agency_of(user, current.unit))
                for user in checked
            ]
        )
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=current.unit,
            obj=current,
            fields=["members"],
            detail={"event": "panel_members_invited", "members": len(added)},
        )
    return added


@dataclass(frozen=True)
class ExternalMemberDraft:
    """A member without a masip account: a partner agency's representative."""

    name: str
    agency: Agency | None
    email: str = ""
    role_at_panel: str = ""


def meeting_add_external(
    *, actor: Any, meeting: Meeting, draft: ExternalMemberDraft, request: HttpRequest | None = None
) -> MeetingMember:
    """Add a member without an account (their name and agency are required; their email is where
    minutes will go)."""
    _require_chair(actor, meeting.unit_id)
    errors: dict[str, list[str]] = {}
    name = draft.name.strip()
    if not name:
        errors["name"] = ["Enter the member's name."]
    elif len(name) > PLACE_MAX_LENGTH:
        errors["name"] = [f"The name can be at most {PLACE_MAX_LENGTH} characters."]
    if draft.agency is None:
        errors["agency"] = ["Choose the member's agency. If it is not listed, ask an administrator to add it."]
    role = draft.role_at_panel.strip()
    if len(role) > TITLE_MAX_LENGTH:
        errors["role_at_panel"] = [f"The role can be at most {TITLE_MAX_LENGTH} characters."]
    if errors:
        raise ValidationError(errors)
    assert draft.agency is not None  # noqa: S101 - refused above
    with transaction.atomic():
        current = _locked_meeting(meeting)
        _ensure_scheduled_for_members(current)
        if current.members.filter(user__isnull=True, name__iexact=name, agency=draft.agency).exists():
            raise ValidationError(
                {"name": f"{name} of {draft.agency.name} is already a member of this meeting. Add each person once."}
            )
        added = MeetingMember.objects.create(
            meeting=current, name=name, agency=draft.agency, email=draft.email.strip(), role_at_panel=role
        )
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=current.unit,
            obj=current,
            fields=["members"],
            detail={"event": "panel_external_member_added", "member": added.pk},
        )
    return added


def meeting_remove_member(*, actor: Any, meeting: Meeting, member_id: Any, request: HttpRequest | None = None) -> None:
    """Remove one member while the meeting is still scheduled (never its chair)."""
    _require_chair(actor, meeting.unit_id)
    with transaction.atomic():
        current = _locked_meeting(meeting)
        _ensure_scheduled_for_members(current)
        found = current.members.filter(pk=member_id).first() if str(member_id).isdigit() else None
        if found is None:
            raise ValidationError("That person is not a member of this meeting. Reload the page and try again.")
        if found.user_id is not None and found.user_id == current.chair_id:
            raise ValidationError("The chair cannot be removed. Change the meeting's chair first.")
        found.delete()
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=current.unit,
            obj=current,
            fields=["members"],
            detail={"event": "panel_member_removed", "member": int(member_id)},
        )


# Running the meeting ---------------------------------------------------------------------------


def meeting_record_attendance(
    *,
    actor: Any,
    meeting: Meeting,
    expected_version: int,
    attendance: dict[int, str],
    request: HttpRequest | None = None,
) -> Meeting:
    """Record each member's attendance (attended, apologies or absent) before the meeting opens
    or while it is in progress; every member must be given one."""
    _require_chair(actor, meeting.unit_id)
    allowed = {Attendance.ATTENDED, Attendance.APOLOGIES, Attendance.ABSENT}
    with transaction.atomic():
        current = _meeting_at_version(meeting, expected_version)
        ensure_editable(current)
        if current.status not in (MeetingStatus.SCHEDULED, MeetingStatus.IN_PROGRESS):
            raise ValidationError(
                f"This meeting is {current.get_status_display().lower()}: attendance can no longer be recorded."
            )
        members = list(current.members.all())
        missing = [m.name for m in members if attendance.get(m.pk) not in allowed]
        if missing:
            raise ValidationError(f"Record whether each member attended: {', '.join(missing)}.")
        changed = [m for m in members if m.attendance != attendance[m.pk]]
        for m in changed:
            m.attendance = attendance[m.pk]
        MeetingMember.objects.bulk_update(changed, ["attendance", "updated_at"])
        _bump(current, [])
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=current.unit,
            obj=current,
            fields=["attendance"],
            detail={"event": "panel_attendance_recorded", "changed": len(changed)},
        )
    return current


def meeting_open(*, actor: Any, meeting: Meeting, expected_version: int, request: HttpRequest | None = None) -> Meeting:
    """Open a scheduled meeting. Allowed without a quorum: the panel then cannot decide until it
    is quorate (`rules.ensure_quorate`, called where decisions are recorded)."""
    _require_chair(actor, meeting.unit_id)
    with transaction.atomic():
        current = _meeting_at_version(meeting, expected_version)
        ensure_editable(current)
        if current.status != MeetingStatus.SCHEDULED:
            raise ValidationError(f"This meeting is {current.get_status_display().lower()}, so it cannot be opened.")
        current.status = MeetingStatus.IN_PROGRESS
        current.opened_at = timezone.now()
        _bump(current, ["status", "opened_at"])
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=current.unit,
            obj=current,
            fields=["opened_at", "status"],
            detail={"event": "panel_meeting_opened"},
        )
    return current


def meeting_close(
    *, actor: Any, meeting: Meeting, expected_version: int, request: HttpRequest | None = None
) -> Meeting:
    """Close a meeting in progress and start its minutes (a draft, if there is none yet)."""
    _require_chair(actor, meeting.unit_id)
    with transaction.atomic():
        current = _meeting_at_version(meeting, expected_version)
        ensure_editable(current)
        if current.status != MeetingStatus.IN_PROGRESS:
            raise ValidationError(
                f"This meeting is {current.get_status_display().lower()}: only a meeting in progress can be closed."
            )
        current.status = MeetingStatus.CLOSED
        current.closed_at = timezone.now()
        _bump(current, ["status", "closed_at"])
        minutes, made = Minutes.objects.get_or_create(meeting=current)
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=current.unit,
            obj=current,
            fields=["closed_at", "status"],
            detail={"event": "panel_meeting_closed"},
        )
        if made:
            audit_record(
                action=AuditAction.CREATE,
                actor=actor,
                request=request,
                unit=current.unit,
                obj=minutes,
                fields=["status"],
                detail={"event": "panel_minutes_started"},
            )
    return current


# Declarations of interest ----------------------------------------------------------------------


def declaration_record(
    *,
    actor: Any,
    meeting: Meeting,
    member_id: Any,
    statement: str,
    item_id: Any = None,
    withdrew: bool = False,
    request: HttpRequest | None = None,
) -> DeclarationOfInterest:
    """Record a member's declared interest, for the whole meeting or one of its items.

    An attending member declares their own; the chair records one for any member. An item must be
    one of the meeting's that the actor may see. "Withdrew" needs an item. The statement is never
    put in the audit log.
    """
    chairing = may_chair_in(actor, meeting.unit_id)
    errors: dict[str, list[str]] = {}
    statement = statement.strip()
    if not statement:
        errors["statement"] = ["Enter the interest declared, for example “Knows the victim's family”."]
    elif len(statement) > STATEMENT_MAX_LENGTH:
        errors["statement"] = [f"Keep the declaration to {STATEMENT_MAX_LENGTH:,} characters or fewer."]
    item = None
    if item_id:
        item = AgendaItem.objects.visible_to(actor).filter(meeting=meeting, pk=item_id).first()
        if item is None:
            errors["item"] = ["Choose an item of this meeting's agenda, or leave it empty for the whole meeting."]
    if withdrew and not item_id:
        errors["withdrew"] = ["Choose the item the member withdrew from: a member withdraws from one item."]
    with transaction.atomic():
        current = _locked_meeting(meeting)
        if current.status not in (MeetingStatus.SCHEDULED, MeetingStatus.IN_PROGRESS):
            raise ValidationError(
                f"This meeting is {current.get_status_display().lower()}: declarations are recorded at the meeting."
            )
        member = current.members.filter(pk=member_id).first() if str(member_id).isdigit() else None
        if member is None:
            errors.setdefault("member", []).append("Choose a member of this meeting.")
        elif not chairing:
            if member.user_id != actor.pk:
                raise PermissionDenied("You can declare your own interests; the chair records anyone else's.")
            if member.attendance != Attendance.ATTENDED:
                errors.setdefault("member", []).append(
                    "Only members recorded as attending declare at the meeting. Ask the chair to record your "
                    "attendance first."
                )
        if errors:
            raise ValidationError(errors)
        assert member is not None  # noqa: S101 - refused above
        declaration = DeclarationOfInterest.objects.create(
            meeting=current, member=member, item=item, statement=statement, withdrew=withdrew, recorded_by=actor
        )
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            request=request,
            unit=current.unit,
            obj=declaration,
            case_id=item.case_id if item else None,
            fields=sorted(["member", "statement", *(["item", "withdrew"] if item else [])]),
            detail={"event": "panel_interest_declared", "for_item": item is not None, "withdrew": withdrew},
        )
    return declaration


# Quorum ----------------------------------------------------------------------------------------


def panel_settings_save(
    *,
    actor: Any,
    unit: Unit,
    quorum_members: int,
    quorum_agencies: int,
    quorum_requires_police: bool,
    request: HttpRequest | None = None,
) -> PanelSettings:
    """Set the unit's quorum: members attending, from how many agencies, police required."""
    _require_chair(actor, unit.pk)
    errors: dict[str, list[str]] = {}
    if not 1 <= quorum_members <= MAX_QUORUM:
        errors["quorum_members"] = [f"Enter a number of members from 1 to {MAX_QUORUM}."]
    if not 1 <= quorum_agencies <= MAX_QUORUM:
        errors["quorum_agencies"] = [f"Enter a number of agencies from 1 to {MAX_QUORUM}."]
    elif quorum_agencies > quorum_members:
        errors["quorum_agencies"] = [
            f"{quorum_agencies} agencies cannot attend with only {quorum_members} members. "
            "Ask for fewer agencies or more members."
        ]
    if errors:
        raise ValidationError(errors)
    return unit_settings_save(
        PanelSettings,
        actor=actor,
        unit=unit,
        values={
            "quorum_members": quorum_members,
            "quorum_agencies": quorum_agencies,
            "quorum_requires_police": quorum_requires_police,
        },
        event="panel_quorum_set",
        request=request,
    )


# Calendar feed ---------------------------------------------------------------------------------


def feed_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def calendar_feed_renew(*, actor: Any, request: HttpRequest | None = None) -> str:
    """Make the user a new secret feed address and return its token (shown once; only its
    SHA-256 is kept). Any earlier address stops working at once."""
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        existing = CalendarFeed.objects.select_for_update().filter(user=actor).first()
        if existing is None:
            feed = CalendarFeed.objects.create(user=actor, token_hash=feed_token_hash(token))
        else:
            existing.token_hash = feed_token_hash(token)
            existing.last_used_at = None
            existing.save(update_fields=["token_hash", "last_used_at", "updated_at"])
            feed = existing
        audit_record(
            action=AuditAction.CREATE if existing is None else AuditAction.CHANGE,
            actor=actor,
            request=request,
            obj=feed,
            fields=["token_hash"],
            detail={"event": "panel_calendar_feed_renewed", "revoked_earlier": existing is not None},
        )
    return token


def calendar_feed_used(*, feed: CalendarFeed, meetings: int, request: HttpRequest | None = None) -> None:
    """Note that a calendar app read the feed (when, and how many meetings it got). Calendar apps
    poll every few minutes: the read is audited the first time each day and whenever it comes
    from another address than the last, so a copied address shows in the log without thousands
    of identical rows."""
    now = timezone.now()
    address = client_address(request) if request is not None else None
    first_today = feed.last_used_at is None or timezone.localdate(feed.last_used_at) != timezone.localdate(now)
    with transaction.atomic():
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now, last_used_from=address)
        if not first_today and address == feed.last_used_from:
            return
        audit_record(
            action=AuditAction.EXPORT,
            actor=feed.user,
            request=request,
            obj=feed,
            detail={"event": "panel_calendar_feed_read", "meetings": meetings},
        )


def panel_chairs(*, unit_id: int) -> list[User]:
    """The people who may chair the unit's panels now, by name."""
    roles = {str(r) for r in roles_with_capability(Capability.CHAIR_PANEL)}
    ids = Membership.objects.active().filter(unit_id=unit_id, role__in=roles).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True).select_related("agency").order_by("full_name"))
