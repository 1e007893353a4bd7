"""Pages of the panel's agenda. Thin: reads from selectors_agenda, writes through services_agenda."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from masip.access.decorators import case_permission, reads_audited_together, requires_capability
from masip.access.policy import Action, Capability, Compartment
from masip.cases.models import Case
from masip.core.forms import add_service_errors
from masip.core.models import StaleEditError
from masip.panel import selectors_agenda, services_agenda
from masip.panel.forms_agenda import AddCaseForm, DeclineForm, MoveForm, RequestForm, WithdrawForm
from masip.panel.models import Meeting
from masip.panel.rules import may_chair


def _agenda_url(meeting: Meeting) -> str:
    return reverse("panel:agenda", kwargs={"meeting_id": meeting.pk})


def _render_agenda(request: HttpRequest, meeting: Meeting, add_form: AddCaseForm | None = None) -> HttpResponse:
    agenda = selectors_agenda.agenda_for(user=request.user, meeting=meeting, request=request)
    context: dict[str, Any] = {"meeting": meeting, "agenda": agenda, "rows": agenda.rows}
    if agenda.may_chair:
        context["add_form"] = add_form or AddCaseForm()
        context["editable_error"] = _editable_error(meeting)
    return render(request, "panel/agenda/agenda.html", context)


def _editable_error(meeting: Meeting) -> str:
    try:
        services_agenda.ensure_agenda_editable(meeting)
    except ValidationError as error:
        return " ".join(error.messages)
    return ""


def _chaired_meeting(request: HttpRequest, meeting_id: Any) -> Meeting:
    meeting = selectors_agenda.meeting_get_for(user=request.user, meeting_id=meeting_id, request=request)
    if not may_chair(request.user, meeting):
        raise PermissionDenied("Only the unit's panel chair can change the agenda.")
    return meeting


@reads_audited_together
@requires_capability(Capability.ATTEND_PANEL)
def agenda(request: HttpRequest, meeting_id: Any) -> HttpResponse:
    """The meeting's agenda in order: what the reader may see of each item, "restricted" otherwise."""
    meeting = selectors_agenda.meeting_get_for(user=request.user, meeting_id=meeting_id, request=request)
    return _render_agenda(request, meeting)


@requires_capability(Capability.CHAIR_PANEL)
@require_POST
def agenda_build(request: HttpRequest, meeting_id: Any) -> HttpResponse:
    meeting = _chaired_meeting(request, meeting_id)
    try:
        result = services_agenda.agenda_build(actor=request.user, meeting=meeting, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        added = f"{result.added} case{'s' if result.added != 1 else ''} added"
        updated = (
            f", {result.updated} item{'s' if result.updated != 1 else ''} with a new reason" if result.updated else ""
        )
        messages.success(request, f"Agenda built: {added}{updated}. Items already placed kept their order.")
    return redirect(_agenda_url(meeting))


@reads_audited_together
@requires_capability(Capability.CHAIR_PANEL)
@require_POST
def agenda_item_add(request: HttpRequest, meeting_id: Any) -> HttpResponse:
    meeting = _chaired_meeting(request, meeting_id)
    form = AddCaseForm(request.POST)
    if form.is_valid():
        try:
            item = services_agenda.agenda_item_add(
                actor=request.user, meeting=meeting, reference=form.cleaned_data["reference"], request=request
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Case {item.case.reference} added as item {item.position}.")
            return redirect(_agenda_url(meeting))
    return _render_agenda(request, meeting, add_form=form)


def _item_edit(request: HttpRequest, meeting_id: Any, item_id: Any) -> tuple[Meeting, Any]:
    meeting = _chaired_meeting(request, meeting_id)
    item = selectors_agenda.chair_item_for(user=request.user, meeting=meeting, item_id=item_id, request=request)
    return meeting, item


@requires_capability(Capability.CHAIR_PANEL)
@require_POST
def agenda_item_move(request: HttpRequest, meeting_id: Any, item_id: Any) -> HttpResponse:
    meeting, item = _item_edit(request, meeting_id, item_id)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The item was not moved. Reload the page and try again.")
        return redirect(_agenda_url(meeting))
    try:
        moved = services_agenda.agenda_item_move(
            actor=request.user,
            item=item,
            direction=form.cleaned_data["direction"],
            expected_version=form.cleaned_data["version"],
            request=request,
        )
    except StaleEditError:
        messages.error(
            request, "Someone changed the agenda after you opened it, so the item was not moved. Check the order below."
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Case {moved.case.reference} is now item {moved.position}.")
    return redirect(_agenda_url(meeting) + f"#item-{item.pk}")


@requires_capability(Capability.CHAIR_PANEL)
@require_POST
def agenda_item_withdraw(request: HttpRequest, meeting_id: Any, item_id: Any) -> HttpResponse:
    meeting, item = _item_edit(request, meeting_id, item_id)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The item was not taken off the agenda. Reload the page and try again.")
        return redirect(_agenda_url(meeting))
    try:
        services_agenda.agenda_item_withdraw(
            actor=request.user, item=item, expected_version=form.cleaned_data["version"], request=request
        )
    except StaleEditError:
        messages.error(
            request,
            "Someone changed this item after you opened the agenda, so it was not taken off. Check it below.",
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, f"Case {item.case.reference} was taken off the agenda. It stays listed, struck through."
        )
    return redirect(_agenda_url(meeting) + f"#item-{item.pk}")


@reads_audited_together
@requires_capability(Capability.ATTEND_PANEL)
def item_detail(request: HttpRequest, meeting_id: Any, item_id: Any) -> HttpResponse:
    """One item: the case at a glance, its risk and what changed since the panel last discussed
    it; "restricted" only for a reader not entitled to it."""
    meeting = selectors_agenda.meeting_get_for(user=request.user, meeting_id=meeting_id, request=request)
    page = selectors_agenda.item_page_for(user=request.user, meeting=meeting, item_id=item_id, request=request)
    return render(
        request,
        "panel/agenda/item_detail.html",
        {
            "meeting": meeting,
            "page": page,
            "item": page.item,
            "case": page.case,
            "entitled": page.entitled,
            "changes": page.changes,
        },
    )


@case_permission(Compartment.TEAM, Action.CREATE)
@require_http_methods(["GET", "POST"])
def request_create(request: HttpRequest, case: Case) -> HttpResponse:
    """Ask for the case to be brought to the unit's next panel meeting."""
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services_agenda.agenda_request_create(
                actor=request.user, case=case, reason=form.cleaned_data["reason"], request=request
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, "Your request is with the panel chair. The case will be placed when the agenda is built."
            )
            return redirect("cases:detail", case_id=case.pk)
    return render(request, "panel/agenda/request_form.html", {"case": case, "form": form})


@reads_audited_together
@requires_capability(Capability.CHAIR_PANEL)
def requests(request: HttpRequest) -> HttpResponse:
    """Open requests to bring a case, in the units the user chairs."""
    rows = selectors_agenda.open_requests_for(user=request.user, request=request)
    return render(request, "panel/agenda/requests.html", {"requests": rows})


@reads_audited_together
@requires_capability(Capability.CHAIR_PANEL)
@require_http_methods(["GET", "POST"])
def request_decline(request: HttpRequest, request_id: Any) -> HttpResponse:
    agenda_request = selectors_agenda.request_get_for_chair(user=request.user, request_id=request_id, request=request)
    form = DeclineForm(request.POST or None, initial={"version": agenda_request.version})
    if request.method == "POST" and form.is_valid():
        try:
            services_agenda.agenda_request_decline(
                actor=request.user,
                agenda_request=agenda_request,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
                request=request,
            )
        except StaleEditError:
            messages.error(request, "Someone handled this request after you opened it. Check the list below.")
            return redirect("panel:requests")
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"The request to bring case {agenda_request.case.reference} was declined.")
            return redirect("panel:requests")
    return render(request, "panel/agenda/request_decline.html", {"agenda_request": agenda_request, "form": form})
