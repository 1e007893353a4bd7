"""Pages of the minutes part. Thin: the meeting comes from selectors_minutes (scoped to the
meetings the user may see), the minutes' content from the builder behind it, and every write
(distribution, a reader's own PDF, approval) goes through services_minutes."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from masip.access.decorators import reads_audited_together, requires_capability
from masip.access.policy import Capability
from masip.core.forms import add_service_errors
from masip.core.pdf import PdfUnavailable
from masip.panel import selectors_minutes, services_minutes
from masip.panel.forms_minutes import ApproveForm, DistributeForm
from masip.panel.minutes import pdf_filename
from masip.panel.models import Meeting, MeetingStatus, MinutesStatus
from masip.panel.rules import may_chair

NOT_CHAIR = "Only a chair of this meeting's unit can send or approve its minutes."


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _pdf_unavailable(request: HttpRequest, meeting: Meeting) -> HttpResponse:
    # Answered as a page, not an error: the minutes can still be read and printed from the page.
    return render(request, "panel/minutes/pdf_unavailable.html", {"meeting": meeting})


def _chaired_meeting(request: HttpRequest, meeting_id: str) -> Meeting:
    meeting = selectors_minutes.meeting_get_for(user=request.user, meeting_id=meeting_id, request=request)
    if not may_chair(request.user, meeting):
        raise PermissionDenied(NOT_CHAIR)
    return meeting


@reads_audited_together
@requires_capability(Capability.ATTEND_PANEL)
@require_GET
def minutes_page(request: HttpRequest, meeting_id: str) -> HttpResponse:
    """The minutes as the viewer may read them: their member's version, or a chair's own."""
    meeting = selectors_minutes.meeting_get_for(user=request.user, meeting_id=meeting_id, request=request)
    page = selectors_minutes.minutes_page_for(user=request.user, meeting=meeting, request=request)
    return render(request, "panel/minutes/minutes.html", {"page": page, "meeting": meeting, "content": page.content})


@requires_capability(Capability.ATTEND_PANEL)
@require_GET
def minutes_pdf_download(request: HttpRequest, meeting_id: str) -> HttpResponse:
    """The viewer's version as a PDF, audited as an export."""
    meeting = selectors_minutes.meeting_get_for(user=request.user, meeting_id=meeting_id, request=request)
    try:
        copy = services_minutes.minutes_export_own(actor=request.user, meeting=meeting, request=request)
    except PdfUnavailable:
        return _pdf_unavailable(request, meeting)
    return _pdf_response(copy.pdf, pdf_filename(copy.content))


@requires_capability(Capability.CHAIR_PANEL)
@require_http_methods(["GET", "POST"])
def minutes_distribute(request: HttpRequest, meeting_id: str) -> HttpResponse:
    """Send the minutes to the members with an account; `?member=<id>` downloads the PDF of a
    member without one, for the chair to send by secure email (each a recorded disclosure)."""
    meeting = _chaired_meeting(request, meeting_id)
    member_id = request.GET.get("member")
    if request.method == "GET" and member_id:
        member = selectors_minutes.member_without_account_or_404(
            user=request.user, meeting=meeting, member_id=member_id, request=request
        )
        try:
            copy = services_minutes.minutes_disclose_pdf(
                actor=request.user, meeting=meeting, member=member, request=request
            )
        except PdfUnavailable:
            return _pdf_unavailable(request, meeting)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("panel:minutes_distribute", meeting_id=meeting.pk)
        name = member.name.lower().replace(" ", "-")
        return _pdf_response(copy.pdf, pdf_filename(copy.content).replace(".pdf", f"-{name}.pdf"))
    page = selectors_minutes.distribution_page_for(meeting=meeting)
    form = DistributeForm(request.POST if request.method == "POST" else None, members=page.with_account)
    if request.method == "POST" and form.is_valid():
        try:
            sent = services_minutes.minutes_distribute(
                actor=request.user, meeting=meeting, members=list(form.cleaned_data["members"]), request=request
            )
        except PdfUnavailable:
            return _pdf_unavailable(request, meeting)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Minutes sent to {len(sent)} member{'s' if len(sent) != 1 else ''}.")
            return redirect("panel:minutes_distribute", meeting_id=meeting.pk)
    return render(
        request,
        "panel/minutes/distribute.html",
        {"meeting": meeting, "page": page, "form": form, "closed": meeting.status == MeetingStatus.CLOSED},
    )


@requires_capability(Capability.CHAIR_PANEL)
@require_http_methods(["GET", "POST"])
def minutes_approve(request: HttpRequest, meeting_id: str) -> HttpResponse:
    """Approve this meeting's minutes at a later meeting in progress (`?at=<meeting id>` chooses
    it, from that meeting's list of minutes awaiting approval)."""
    meeting = _chaired_meeting(request, meeting_id)
    minutes = getattr(meeting, "minutes", None)  # a missing one-to-one raises an AttributeError
    meetings = selectors_minutes.approving_meetings_for(user=request.user, meeting=meeting)
    initial = {"at_meeting": request.GET.get("at")} if request.GET.get("at") else {}
    form = ApproveForm(request.POST if request.method == "POST" else None, meetings=meetings, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services_minutes.minutes_approve(
                actor=request.user, meeting=meeting, at_meeting=form.cleaned_data["at_meeting"], request=request
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Minutes approved and locked: nothing recorded at the meeting can change now.")
            return redirect("panel:minutes", meeting_id=meeting.pk)
    return render(
        request,
        "panel/minutes/approve.html",
        {
            "meeting": meeting,
            "minutes": minutes,
            "approved": minutes is not None and minutes.status == MinutesStatus.APPROVED,
            "form": form,
            "has_choices": meetings.exists(),
        },
    )
