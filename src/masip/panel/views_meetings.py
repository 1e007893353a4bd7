"""Pages of panel meetings: the list, one meeting, schedules, members, attendance, opening and
closing, declarations of interest, the quorum, and the calendar feed. Thin: reads come from
selectors_meetings, writes go through services_meetings (which check who may act again)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from masip.access.decorators import public, requires_capability
from masip.access.policy import Capability
from masip.accounts.models import Unit
from masip.core.forms import add_service_errors
from masip.core.models import StaleEditError
from masip.core.unit_settings import chosen_unit
from masip.panel import selectors_meetings as selectors
from masip.panel import services_meetings as services
from masip.panel.forms_meetings import (
    AttendanceForm,
    CancelForm,
    DeclarationForm,
    ExternalMemberForm,
    GenerateForm,
    InviteForm,
    MeetingEditForm,
    MeetingForm,
    QuorumForm,
    RemoveMemberForm,
    ScheduleForm,
    VersionForm,
)
from masip.panel.ical import meetings_calendar
from masip.panel.models import Meeting, MeetingStatus, PanelSchedule
from masip.panel.rules import is_locked, quorum_for, quorum_settings
from masip.panel.selectors_minutes import minutes_awaiting_approval


def _meeting_url(meeting: Meeting) -> str:
    return reverse("panel:meeting_detail", kwargs={"meeting_id": meeting.pk})


def _refusal(error: ValidationError) -> str:
    return " ".join(error.messages)


def _day(value: Any) -> str:
    return f"{value:%a} {value.day} {value:%b %Y}"


# The list and one meeting -----------------------------------------------------------------------


@requires_capability(Capability.ATTEND_PANEL)
def meeting_list(request: HttpRequest) -> HttpResponse:
    lists = selectors.meeting_lists_for(user=request.user)
    chairs = selectors.chaired_units(user=request.user)
    return render(
        request,
        "panel/meetings/list.html",
        {"upcoming": lists.upcoming, "past": lists.past, "chairing": bool(chairs)},
    )


@requires_capability(Capability.ATTEND_PANEL)
def meeting_detail(request: HttpRequest, meeting_id: str) -> HttpResponse:
    meeting = selectors.meeting_get_for(user=request.user, meeting_id=meeting_id, request=request)
    page = selectors.meeting_page(user=request.user, meeting=meeting)
    # At a meeting in progress, the chair asks the panel to approve earlier meetings' minutes.
    awaiting = (
        list(minutes_awaiting_approval(meeting))
        if page.chairing and meeting.status == MeetingStatus.IN_PROGRESS
        else []
    )
    return render(
        request,
        "panel/meetings/detail.html",
        {
            "meeting": meeting,
            "minutes_awaiting": awaiting,
            "page": page,
            "show_call_details": page.chairing or page.me is not None,
            "locked": is_locked(meeting),
            "version_form": VersionForm(initial={"version": meeting.version}),
        },
    )


# One-off meetings -------------------------------------------------------------------------------


def _chosen_unit(request: HttpRequest) -> tuple[Unit, list[Unit]]:
    units = selectors.chaired_units(user=request.user)
    return chosen_unit(request, units), units


@requires_capability(Capability.CHAIR_PANEL)
def meeting_add(request: HttpRequest) -> HttpResponse:
    unit, units = _chosen_unit(request)
    chairs = services.panel_chairs(unit_id=unit.pk)
    if request.method == "POST":
        form = MeetingForm(request.POST, chairs=chairs)
        if form.is_valid():
            try:
                meeting = services.meeting_create(actor=request.user, unit=unit, draft=form.draft(), request=request)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Meeting scheduled. Invite its members next.")
                return redirect("panel:meeting_members", meeting_id=meeting.pk)
    else:
        form = MeetingForm(initial=MeetingForm.initial_new(request.user), chairs=chairs)  # type: ignore[arg-type]
    return render(request, "panel/meetings/meeting_form.html", {"form": form, "unit": unit, "units": units})


@requires_capability(Capability.CHAIR_PANEL)
def meeting_edit(request: HttpRequest, meeting_id: str) -> HttpResponse:
    meeting = selectors.meeting_get_for_chair(user=request.user, meeting_id=meeting_id, request=request)
    if meeting.status in (MeetingStatus.CANCELLED, MeetingStatus.CLOSED) or is_locked(meeting):
        messages.error(request, f"This meeting is {meeting.get_status_display().lower()}, so it cannot be moved.")
        return redirect(_meeting_url(meeting))
    chairs = services.panel_chairs(unit_id=meeting.unit_id)
    conflict: Meeting | None = None
    if request.method == "POST":
        form = MeetingEditForm(request.POST, chairs=chairs)
        if form.is_valid():
            try:
                meeting = services.meeting_update(
                    actor=request.user,
                    meeting=meeting,
                    expected_version=form.cleaned_data["version"],
                    draft=form.draft(),
                    request=request,
                )
            except StaleEditError as stale:
                conflict = stale.current
                data = request.POST.copy()
                data["version"] = str(conflict.version if conflict else meeting.version)
                form = MeetingEditForm(data, chairs=chairs)
                form.is_valid()
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "The meeting's details were saved.")
                return redirect(_meeting_url(meeting))
    else:
        form = MeetingEditForm(initial=MeetingForm.initial_for(meeting), chairs=chairs)
    return render(
        request,
        "panel/meetings/meeting_form.html",
        {"form": form, "meeting": meeting, "unit": meeting.unit, "conflict": conflict},
        status=409 if conflict is not None else 200,
    )


@requires_capability(Capability.CHAIR_PANEL)
def meeting_cancel(request: HttpRequest, meeting_id: str) -> HttpResponse:
    meeting = selectors.meeting_get_for_chair(user=request.user, meeting_id=meeting_id, request=request)
    if request.method == "POST":
        form = CancelForm(request.POST)
        if form.is_valid():
            try:
                services.meeting_cancel(
                    actor=request.user,
                    meeting=meeting,
                    expected_version=form.cleaned_data["version"],
                    reason=form.cleaned_data["reason"],
                    request=request,
                )
            except StaleEditError as stale:
                form.add_error(None, str(stale))
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "The meeting is cancelled.")
                return redirect(_meeting_url(meeting))
    else:
        form = CancelForm(initial={"version": meeting.version})
    return render(request, "panel/meetings/cancel.html", {"form": form, "meeting": meeting})


# Members ----------------------------------------------------------------------------------------


def _members_page(
    request: HttpRequest,
    meeting: Meeting,
    *,
    invite: InviteForm | None = None,
    external: ExternalMemberForm | None = None,
    remove_error: str = "",
) -> HttpResponse:
    people = selectors.meeting_members_eligible(meeting=meeting)
    return render(
        request,
        "panel/meetings/members.html",
        {
            "meeting": meeting,
            "members": selectors.members_of(meeting),
            "invite_form": invite or InviteForm(people=people),
            "external_form": external or ExternalMemberForm(),
            "remove_error": remove_error,
            "may_change": meeting.status == MeetingStatus.SCHEDULED and not is_locked(meeting),
        },
    )


@requires_capability(Capability.CHAIR_PANEL)
@require_GET
def meeting_members(request: HttpRequest, meeting_id: str) -> HttpResponse:
    meeting = selectors.meeting_get_for_chair(user=request.user, meeting_id=meeting_id, request=request)
    return _members_page(request, meeting)


@requires_capability(Capability.CHAIR_PANEL)
@require_POST
def meeting_invite(request: HttpRequest, meeting_id: str) -> HttpResponse:
    meeting = selectors.meeting_get_for_chair(user=request.user, meeting_id=meeting_id, request=request)
    form = InviteForm(request.POST, people=selectors.meeting_members_eligible(meeting=meeting))
    if form.is_valid():
        try:
            added = services.meeting_invite(actor=request.user, meeting=meeting, users=form.chosen(), request=request)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{len(added)} member(s) invited.")
            return redirect("panel:meeting_members", meeting_id=meeting.pk)
    return _members_page(request, meeting, invite=form)


@requires_capability(Capability.CHAIR_PANEL)
@require_POST
def meeting_add_external(request: HttpRequest, meeting_id: str) -> HttpResponse:
    meeting = selectors.meeting_get_for_chair(user=request.user, meeting_id=meeting_id, request=request)
    form = ExternalMemberForm(request.POST)
    if form.is_valid():
        try:
            added = services.meeting_add_external(
                actor=request.user, meeting=meeting, draft=form.draft(), request=request
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{added.name} ({added.agency.name}) added.")
            return redirect("panel:meeting_members", meeting_id=meeting.pk)
    return _members_page(request, meeting, external=form)


@requires_capability(Capability.CHAIR_PANEL)
@require_POST
def meeting_remove_member(request: HttpRequest, meeting_id: str) -> HttpResponse:
    meeting = selectors.meeting_get_for_chair(user=request.user, meeting_id=meeting_id, request=request)
    form = RemoveMemberForm(request.POST)
    if not form.is_valid():
        return _members_page(request, meeting, remove_error="Choose the member to remove.")
    try:
        services.meeting_remove_member(
            actor=request.user, meeting=meeting, member_id=form.cleaned_data["member"], request=request
        )
    except ValidationError as error:
        return _members_page(request, meeting, remove_error=_refusal(error))
    messages.success(request, "Member removed.")
    return redirect("panel:meeting_members", meeting_id=meeting.pk)


# Running the meeting ----------------------------------------------------------------------------


@requires_capability(Capability.CHAIR_PANEL)
def meeting_attendance(request: HttpRequest, meeting_id: str) -> HttpResponse:
    meeting = selectors.meeting_get_for_chair(user=request.user, meeting_id=meeting_id, request=request)
    members = selectors.members_of(meeting)
    if request.method == "POST":
        form = AttendanceForm(request.POST, members=members)
        if form.is_valid():
            try:
                meeting = services.meeting_record_attendance(
                    actor=request.user,
                    meeting=meeting,
                    expected_version=form.cleaned_data["version"],
                    attendance=form.attendance(),
                    request=request,
                )
                if "open" in request.POST and meeting.status == MeetingStatus.SCHEDULED:
                    meeting = services.meeting_open(
                        actor=request.user, meeting=meeting, expected_version=meeting.version, request=request
                    )
            except StaleEditError as stale:
                form.add_error(None, str(stale))
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                quorum = quorum_for(meeting)
                opened = "Meeting opened. " if meeting.status == MeetingStatus.IN_PROGRESS else ""
                if quorum.met:
                    messages.success(request, f"{opened}Attendance recorded: the panel is quorate.")
                else:
                    messages.warning(
                        request,
                        f"{opened}Attendance recorded. The panel is not quorate ({quorum.explain()}): "
                        "it cannot decide until it is.",
                    )
                return redirect(_meeting_url(meeting))
    else:
        form = AttendanceForm(initial={"version": meeting.version}, members=members)
    return render(
        request,
        "panel/meetings/attendance.html",
        {"form": form, "meeting": meeting, "quorum": quorum_for(meeting, members)},
    )


def _transition(request: HttpRequest, meeting_id: str, service: Any, done: str) -> HttpResponse:
    meeting = selectors.meeting_get_for_chair(user=request.user, meeting_id=meeting_id, request=request)
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Reload the meeting page and try again.")
        return redirect(_meeting_url(meeting))
    try:
        service(actor=request.user, meeting=meeting, expected_version=form.cleaned_data["version"], request=request)
    except StaleEditError as stale:
        messages.error(request, str(stale))
    except ValidationError as error:
        messages.error(request, _refusal(error))
    else:
        messages.success(request, done)
    return redirect(_meeting_url(meeting))


@requires_capability(Capability.CHAIR_PANEL)
@require_POST
def meeting_open(request: HttpRequest, meeting_id: str) -> HttpResponse:
    return _transition(request, meeting_id, services.meeting_open, "Meeting opened.")


@requires_capability(Capability.CHAIR_PANEL)
@require_POST
def meeting_close(request: HttpRequest, meeting_id: str) -> HttpResponse:
    return _transition(request, meeting_id, services.meeting_close, "Meeting closed. Its minutes are in draft.")


@requires_capability(Capability.ATTEND_PANEL)
def meeting_declare(request: HttpRequest, meeting_id: str) -> HttpResponse:
    meeting = selectors.meeting_get_for(user=request.user, meeting_id=meeting_id, request=request)
    page = selectors.meeting_page(user=request.user, meeting=meeting)
    # The chair records anyone's declaration; a member declares their own.
    declarers = page.members if page.chairing else [m for m in (page.me,) if m is not None]
    items = selectors.declarable_items(user=request.user, meeting=meeting)
    if request.method == "POST":
        form = DeclarationForm(request.POST, members=declarers, items=items)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.declaration_record(
                    actor=request.user,
                    meeting=meeting,
                    member_id=data["member"],
                    statement=data["statement"],
                    item_id=data["item"] or None,
                    withdrew=data["withdrew"],
                    request=request,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Declaration of interest recorded.")
                return redirect(_meeting_url(meeting))
    else:
        initial = {"member": page.me.pk} if page.me is not None else {}
        form = DeclarationForm(initial=initial, members=declarers, items=items)
    return render(
        request,
        "panel/meetings/declare.html",
        {"form": form, "meeting": meeting, "may_declare": bool(declarers)},
    )


# Schedules --------------------------------------------------------------------------------------


@requires_capability(Capability.CHAIR_PANEL)
def schedule_list(request: HttpRequest) -> HttpResponse:
    return render(request, "panel/meetings/schedules.html", {"schedules": selectors.schedules_for(user=request.user)})


def _schedule_form_kwargs(unit_id: int) -> dict[str, Any]:
    return {"chairs": services.panel_chairs(unit_id=unit_id), "people": services.panel_users(unit_id=unit_id)}


@requires_capability(Capability.CHAIR_PANEL)
def schedule_add(request: HttpRequest) -> HttpResponse:
    unit, units = _chosen_unit(request)
    kwargs = _schedule_form_kwargs(unit.pk)
    if request.method == "POST":
        form = ScheduleForm(request.POST, **kwargs)
        if form.is_valid():
            try:
                schedule = services.schedule_create(actor=request.user, unit=unit, draft=form.draft(), request=request)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Schedule saved. Make its meetings when you are ready.")
                return redirect("panel:schedule_generate", schedule_id=schedule.pk)
    else:
        form = ScheduleForm(initial={"chair": str(request.user.pk)}, **kwargs)
    return render(request, "panel/meetings/schedule_form.html", {"form": form, "unit": unit, "units": units})


@requires_capability(Capability.CHAIR_PANEL)
def schedule_edit(request: HttpRequest, schedule_id: str) -> HttpResponse:
    schedule = selectors.schedule_get_for_chair(user=request.user, schedule_id=schedule_id, request=request)
    kwargs = _schedule_form_kwargs(schedule.unit_id)
    if request.method == "POST":
        form = ScheduleForm(request.POST, **kwargs)
        if form.is_valid():
            try:
                services.schedule_update(actor=request.user, schedule=schedule, draft=form.draft(), request=request)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Schedule saved. Meetings already made keep their details.")
                return redirect("panel:schedules")
    else:
        form = ScheduleForm(initial=ScheduleForm.initial_for(schedule), **kwargs)
    return render(
        request, "panel/meetings/schedule_form.html", {"form": form, "schedule": schedule, "unit": schedule.unit}
    )


def _generated_message(result: services.Generated) -> str:
    made = ", ".join(_day(timezone.localtime(m.starts_at)) for m in result.made)
    parts = [f"{len(result.made)} meeting(s) made: {made}." if made else "No meeting made."]
    if result.already_made:
        parts.append("Already made, left as they are: " + ", ".join(_day(d) for d in result.already_made) + ".")
    if result.bank_holidays:
        parts.append("Bank holidays, skipped: " + ", ".join(_day(d) for d in result.bank_holidays) + ".")
    if result.members_left_out:
        parts.append(
            "Not invited, as they no longer hold a panel role in the unit: " + ", ".join(result.members_left_out) + "."
        )
    return " ".join(parts)


@requires_capability(Capability.CHAIR_PANEL)
def schedule_generate(request: HttpRequest, schedule_id: str) -> HttpResponse:
    schedule: PanelSchedule = selectors.schedule_get_for_chair(
        user=request.user, schedule_id=schedule_id, request=request
    )
    if request.method == "POST":
        form = GenerateForm(request.POST)
        if form.is_valid():
            try:
                result = services.schedule_generate(
                    actor=request.user, schedule=schedule, weeks=form.cleaned_data["weeks"], request=request
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                if result.made:
                    messages.success(request, _generated_message(result))
                else:
                    messages.warning(request, "No new meetings: " + _generated_message(result))
                return redirect("panel:meetings")
    else:
        form = GenerateForm()
    return render(request, "panel/meetings/generate.html", {"form": form, "schedule": schedule})


# Quorum -----------------------------------------------------------------------------------------


@requires_capability(Capability.CHAIR_PANEL)
def quorum(request: HttpRequest) -> HttpResponse:
    # The shared unit_settings_page lists the units whose caseload the user oversees; the quorum
    # belongs to whoever chairs the panel, so this page chooses among those units instead.
    unit, units = _chosen_unit(request)
    current = quorum_settings(unit.pk)
    if request.method == "POST":
        form = QuorumForm(request.POST)
        if form.is_valid():
            try:
                services.panel_settings_save(actor=request.user, unit=unit, request=request, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"The quorum of {unit.name}'s panel was saved.")
                return redirect(f"{reverse('panel:quorum')}?unit={unit.pk}")
    else:
        form = QuorumForm(initial={name: getattr(current, name) for name in QuorumForm.base_fields})
    return render(request, "panel/meetings/quorum.html", {"form": form, "unit": unit, "units": units})


# Calendar feed ----------------------------------------------------------------------------------


@requires_capability(Capability.ATTEND_PANEL)
@never_cache
def calendar(request: HttpRequest) -> HttpResponse:
    new_address = ""
    if request.method == "POST":
        token = services.calendar_feed_renew(actor=request.user, request=request)
        # Shown once, in this response only: only the token's hash is kept.
        new_address = request.build_absolute_uri(reverse("panel:calendar_feed", kwargs={"feed_token": token}))
    return render(
        request,
        "panel/meetings/calendar.html",
        {"feed": selectors.calendar_feed_of(user=request.user), "new_address": new_address},
    )


@public
@require_GET
def calendar_feed(request: HttpRequest, feed_token: str) -> HttpResponse:
    feed = selectors.calendar_feed_by_token(services.feed_token_hash(feed_token))
    meetings = selectors.feed_meetings(user=feed.user)
    services.calendar_feed_used(feed=feed, meetings=len(meetings), request=request)
    response = HttpResponse(meetings_calendar(meetings), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "no-store"
    response["Content-Disposition"] = 'inline; filename="panel-meetings.ics"'
    return response
