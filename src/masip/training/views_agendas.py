"""The agenda pages: the list, a new agenda proposed by the builder, one agenda with its times
and edits (buttons that work without JavaScript, and a reorder endpoint for drag and drop),
print and PDF. Thin: reads through selectors_agendas, writes through services_agendas."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from masip.access.decorators import requires_capability
from masip.access.policy import Capability
from masip.core.forms import add_service_errors
from masip.core.models import StaleEditError
from masip.core.pdf import PdfUnavailable, render_pdf
from masip.training import selectors_agendas, services_agendas
from masip.training.forms_agendas import AgendaForm, EditForm, ReorderForm
from masip.training.models import Agenda, AudienceType, Enquiry, SessionFormat
from masip.training.selectors import of_unit, training_unit


def _with_unit(url: str, unit: Any, units: list[Any]) -> str:
    return f"{url}?unit={unit.pk}" if len(units) > 1 else url


@requires_capability(Capability.MANAGE_TRAINING)
def agendas(request: HttpRequest) -> HttpResponse:
    unit, units = training_unit(request)
    return render(
        request,
        "training/agendas/list.html",
        {"unit": unit, "units": units, "agendas": selectors_agendas.agendas_of(unit)},
    )


def _enquiry_initial(unit: Any, raw: str | None) -> tuple[dict[str, Any], Enquiry | None]:
    if not raw:
        return {}, None
    enquiry = of_unit(Enquiry, unit=unit, pk=raw)
    initial: dict[str, Any] = {"title": f"Training for {enquiry.organisation_name}"[:200]}
    if enquiry.preferred_format in SessionFormat.values:
        initial["format"] = enquiry.preferred_format
    for value in AudienceType.values:
        count = (enquiry.audience or {}).get(value)
        if isinstance(count, int) and count >= 0:
            initial[f"count_{value}"] = count
    return initial, enquiry


@requires_capability(Capability.MANAGE_TRAINING)
@require_http_methods(["GET", "POST"])
def agenda_new(request: HttpRequest) -> HttpResponse:
    """Propose an agenda for an audience and a format (pre-filled from `?enquiry=<id>`)."""
    unit, units = training_unit(request)
    initial, enquiry = _enquiry_initial(unit, request.GET.get("enquiry") or request.POST.get("enquiry"))
    form = AgendaForm(request.POST or None, initial=initial, unit=unit)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                agenda = services_agendas.agenda_propose(
                    unit=unit,
                    actor=request.user,
                    title=form.cleaned_data["title"],
                    session_format=form.cleaned_data["format"],
                    audience=form.audience(),
                    trainers=list(form.cleaned_data["trainers"]),
                    enquiry=enquiry,
                    request=request,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Agenda proposed. Check the reasons below and change what you need.")
                return redirect(_with_unit(reverse("training:agenda", args=[agenda.pk]), unit, units))
    return render(
        request,
        "training/agendas/new.html",
        {"unit": unit, "units": units, "form": form, "enquiry": enquiry},
        status=status,
    )


def _render_agenda(
    request: HttpRequest, unit: Any, units: list[Any], agenda: Agenda, *, error: str = "", status: int = 200
) -> HttpResponse:
    layout = selectors_agendas.agenda_layout(agenda, starts=selectors_agendas.parse_start(request.GET.get("start")))
    try:
        services_agendas.ensure_agenda_editable(agenda)
        locked = ""
    except ValidationError as problem:
        locked = " ".join(problem.messages)
    return render(
        request,
        "training/agendas/agenda.html",
        {"unit": unit, "units": units, "agenda": agenda, "layout": layout, "error": error, "locked": locked},
        status=status,
    )


@requires_capability(Capability.MANAGE_TRAINING)
def agenda(request: HttpRequest, agenda_id: Any) -> HttpResponse:
    """One agenda: items with times of day (from `?start=HH:MM`, default 09:30), the total against
    the slot, the builder's reasons, and the edits."""
    unit, units = training_unit(request)
    return _render_agenda(request, unit, units, of_unit(Agenda, unit=unit, pk=agenda_id))


@requires_capability(Capability.MANAGE_TRAINING)
@require_POST
def agenda_edit(request: HttpRequest, agenda_id: Any) -> HttpResponse:
    """One edit by button (see services_agendas.agenda_edit), or "copy". A refused edit shows the
    agenda unchanged with the reason (400; 409 when someone else changed it first)."""
    unit, units = training_unit(request)
    current = of_unit(Agenda, unit=unit, pk=agenda_id)
    form = EditForm(request.POST)
    if not form.is_valid():
        return _render_agenda(
            request, unit, units, current, error="That change was not understood: reload the page and try again.",
            status=400,
        )  # fmt: skip
    data = form.cleaned_data
    if data["action"] == "copy":
        copy = services_agendas.agenda_copy(agenda=current, actor=request.user, request=request)
        messages.success(request, "This is a copy of the agenda: change it as you need.")
        return redirect(_with_unit(reverse("training:agenda", args=[copy.pk]), unit, units))
    try:
        done = services_agendas.agenda_edit(
            agenda=current,
            actor=request.user,
            expected_version=data["version"],
            action=data["action"],
            item_id=data["item"],
            minutes=data["minutes"],
            topic_id=data["topic"],
            request=request,
        )
    except StaleEditError as stale:
        current.refresh_from_db()
        return _render_agenda(request, unit, units, current, error=str(stale), status=409)
    except ValidationError as refused:
        current.refresh_from_db()
        return _render_agenda(request, unit, units, current, error=" ".join(refused.messages), status=400)
    messages.success(request, done)
    anchor = f"#item-{data['item']}" if data["item"] and data["action"] != "remove" else ""
    return redirect(_with_unit(reverse("training:agenda", args=[current.pk]), unit, units) + anchor)


@requires_capability(Capability.MANAGE_TRAINING)
@require_POST
def agenda_reorder(request: HttpRequest, agenda_id: Any) -> HttpResponse:
    """The new order from drag and drop (item ids, comma-separated): JSON {"ok", "version",
    "message"} for the script; 400 when refused, 409 when someone else changed it first."""
    unit, _ = training_unit(request)
    current = of_unit(Agenda, unit=unit, pk=agenda_id)
    form = ReorderForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"ok": False, "message": "The new order was not understood: reload the page."}, status=400)
    try:
        saved = services_agendas.agenda_reorder(
            agenda=current,
            actor=request.user,
            expected_version=form.cleaned_data["version"],
            item_ids=form.cleaned_data["order"],
            request=request,
        )
    except StaleEditError as stale:
        return JsonResponse({"ok": False, "message": str(stale)}, status=409)
    except ValidationError as refused:
        return JsonResponse({"ok": False, "message": " ".join(refused.messages)}, status=400)
    return JsonResponse({"ok": True, "version": saved.version, "message": "New order saved."})


@requires_capability(Capability.MANAGE_TRAINING)
def agenda_print(request: HttpRequest, agenda_id: Any) -> HttpResponse:
    unit, _ = training_unit(request)
    current = of_unit(Agenda, unit=unit, pk=agenda_id)
    layout = selectors_agendas.agenda_layout(current, starts=selectors_agendas.parse_start(request.GET.get("start")))
    return render(request, "training/agendas/print.html", {"unit": unit, "agenda": current, "layout": layout})


@requires_capability(Capability.MANAGE_TRAINING)
def agenda_pdf(request: HttpRequest, agenda_id: Any) -> HttpResponse:
    unit, units = training_unit(request)
    current = of_unit(Agenda, unit=unit, pk=agenda_id)
    layout = selectors_agendas.agenda_layout(current, starts=selectors_agendas.parse_start(request.GET.get("start")))
    try:
        pdf = render_pdf("training/agendas/pdf.html", {"unit": unit, "agenda": current, "layout": layout})
    except PdfUnavailable:
        return _render_agenda(
            request, unit, units, current, error="PDFs cannot be made on this server just now: use the print page.",
            status=503,
        )  # fmt: skip
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="agenda-{current.pk}.pdf"'
    return response
