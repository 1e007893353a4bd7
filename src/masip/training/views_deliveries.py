"""Pages of training deliveries: the list, booking and changing one, its page, its attendance
and its certificates of attendance. Thin: reads from selectors_deliveries, writes through
services_deliveries, PDFs from certificates."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from masip.access.decorators import requires_capability
from masip.access.lookup import NOT_FOUND_MESSAGE
from masip.access.policy import Capability
from masip.accounts.models import Unit
from masip.core.forms import add_service_errors
from masip.core.models import StaleEditError
from masip.core.pdf import PdfUnavailable
from masip.training import certificates
from masip.training import selectors_deliveries as selectors
from masip.training import services_deliveries as services
from masip.training.forms_deliveries import CountFormSet, DeliveryForm, NamedFormSet, VersionForm
from masip.training.models import Attendee, AttendeeRole, AudienceType, Delivery, DeliveryStatus, Enquiry
from masip.training.selectors import of_unit, trainers_of, training_unit

NO_CERTIFICATES = "training/deliveries/no_certificates.html"


def _suffix(unit: Unit, units: list[Unit], joiner: str = "?") -> str:
    return f"{joiner}unit={unit.pk}" if len(units) > 1 else ""


def _delivery_url(delivery: Delivery, unit: Unit, units: list[Unit]) -> str:
    return reverse("training:delivery", kwargs={"delivery_id": delivery.pk}) + _suffix(unit, units)


def _delivery(request: HttpRequest, delivery_id: Any) -> tuple[Delivery, Unit, list[Unit]]:
    unit, units = training_unit(request)
    delivery = of_unit(
        Delivery.objects.select_related("organisation", "agenda", "unit", "enquiry"), unit=unit, pk=delivery_id
    )
    return delivery, unit, units


@requires_capability(Capability.MANAGE_TRAINING)
def deliveries(request: HttpRequest) -> HttpResponse:
    unit, units = training_unit(request)
    upcoming, past = selectors.delivery_lists(unit=unit)
    return render(
        request,
        "training/deliveries/list.html",
        {"unit": unit, "units": units, "upcoming": upcoming, "past": past},
    )


def _form(unit: Unit, *args: Any, **kwargs: Any) -> DeliveryForm:
    return DeliveryForm(
        *args,
        organisations=selectors.organisations_of(unit),
        trainers=trainers_of(unit),
        agendas=selectors.agendas_of(unit),
        **kwargs,
    )


def _enquiry(unit: Unit, value: Any) -> Enquiry | None:
    if value in (None, ""):
        return None
    return of_unit(Enquiry, unit=unit, pk=value)


@requires_capability(Capability.MANAGE_TRAINING)
def delivery_new(request: HttpRequest) -> HttpResponse:
    unit, units = training_unit(request)
    status = 200
    enquiry: Enquiry | None
    if request.method == "POST":
        form = _form(unit, request.POST)
        enquiry = _enquiry(unit, request.POST.get("enquiry"))
        if form.is_valid():
            try:
                delivery = services.delivery_create(
                    actor=request.user, unit=unit, draft=form.draft(enquiry=enquiry), request=request
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Delivery {delivery.reference} booked.")
                return redirect(_delivery_url(delivery, unit, units))
        status = 400
    else:
        enquiry = _enquiry(unit, request.GET.get("enquiry"))
        initial = DeliveryForm.initial_from_enquiry(enquiry) if enquiry else {"mode": "in_person"}
        form = _form(unit, initial=initial)
    return render(
        request,
        "training/deliveries/form.html",
        {"unit": unit, "units": units, "form": form, "enquiry": enquiry},
        status=status,
    )


@requires_capability(Capability.MANAGE_TRAINING)
def delivery_edit(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery, unit, units = _delivery(request, delivery_id)
    status = 200
    problem = ""
    if request.method == "POST":
        form = _form(unit, request.POST)
        if form.is_valid():
            try:
                delivery = services.delivery_update(
                    actor=request.user,
                    delivery=delivery,
                    expected_version=form.cleaned_data["version"] or 0,
                    draft=form.draft(),
                    request=request,
                )
            except StaleEditError as stale:
                delivery = stale.current or delivery
                form = _form(unit, initial=DeliveryForm.initial_for(delivery))
                problem = str(stale)
                status = 409
            except ValidationError as error:
                add_service_errors(form, error)
                status = 400
            else:
                messages.success(request, "The delivery was saved.")
                return redirect(_delivery_url(delivery, unit, units))
        else:
            status = 400
    else:
        form = _form(unit, initial=DeliveryForm.initial_for(delivery))
    return render(
        request,
        "training/deliveries/form.html",
        {"unit": unit, "units": units, "form": form, "delivery": delivery, "problem": problem},
        status=status,
    )


@requires_capability(Capability.MANAGE_TRAINING)
def delivery(request: HttpRequest, delivery_id: int) -> HttpResponse:
    record, unit, units = _delivery(request, delivery_id)
    audience = record.audience if isinstance(record.audience, dict) else {}
    return render(
        request,
        "training/deliveries/detail.html",
        {
            "unit": unit,
            "units": units,
            "delivery": record,
            "trainers": list(record.trainers.order_by("full_name")),
            "audience": [(label, int(audience.get(value) or 0)) for value, label in AudienceType.choices],
            "attendance": selectors.attendance_of(record),
            "agenda_items": selectors.agenda_items(record.agenda),
            "held": record.status == DeliveryStatus.HELD,
            "feedback_open": record.date <= timezone.localdate() <= record.feedback_closes_on,
        },
    )


@requires_capability(Capability.MANAGE_TRAINING)
def delivery_attendance(request: HttpRequest, delivery_id: int) -> HttpResponse:
    record, unit, units = _delivery(request, delivery_id)
    today = timezone.localdate()
    too_early = record.date > today
    status = 200
    problem = ""
    if request.method == "POST":
        counts = CountFormSet(request.POST, prefix="counts")
        named = NamedFormSet(request.POST, prefix="named")
        version = VersionForm(request.POST)
        status = 400
        if counts.is_valid() and named.is_valid() and version.is_valid():
            try:
                services.attendance_save(
                    actor=request.user,
                    delivery=record,
                    expected_version=version.cleaned_data["version"],
                    counts=[c for form in counts if (c := form.row()) is not None],
                    named=[n for form in named if (n := form.row()) is not None],
                    request=request,
                    today=today,
                )
            except StaleEditError as stale:
                problem = str(stale)
                record = stale.current or record
                status = 409
            except ValidationError as error:
                problem = " ".join(error.messages)
            else:
                messages.success(request, "The attendance was saved.")
                return redirect(_delivery_url(record, unit, units))
        else:
            problem = "Some rows need correcting: see the messages beside them."
            if not version.is_valid():
                problem = "The page was out of date: reload it and enter the attendance again."
    else:
        summary = selectors.attendance_of(record)
        counts = CountFormSet(
            prefix="counts",
            initial=[
                {"organisation_name": r.organisation.name, "role": r.role, "count": r.count} for r in summary.rows
            ],
        )
        named = NamedFormSet(
            prefix="named",
            initial=[{"name": a.name, "organisation_name": a.organisation.name, "role": a.role} for a in summary.named],
        )
    return render(
        request,
        "training/deliveries/attendance.html",
        {
            "unit": unit,
            "units": units,
            "delivery": record,
            "counts": counts,
            "named": named,
            "version": record.version,
            "problem": problem,
            "too_early": too_early,
            "roles": AttendeeRole.choices,
        },
        status=status,
    )


def _certificates(request: HttpRequest, record: Delivery, attendees: list[Any], filename: str) -> HttpResponse:
    context: dict[str, Any] = {"delivery": record}
    try:
        pdf = certificates.certificates_pdf(delivery=record, attendees=attendees, actor=request.user, request=request)
    except certificates.NotHeld as refused:
        return render(request, NO_CERTIFICATES, {**context, "message": str(refused)}, status=400)
    except ValueError:
        message = (
            "Nobody's name was recorded for this delivery, so there is no certificate to make. "
            "Add names on the attendance page."
        )
        return render(request, NO_CERTIFICATES, {**context, "message": message}, status=400)
    except PdfUnavailable:
        message = "The software that makes PDFs is not fully installed on this server. Tell your system administrator."
        return render(request, NO_CERTIFICATES, {**context, "message": message}, status=503)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@requires_capability(Capability.MANAGE_TRAINING)
@never_cache
def delivery_certificates(request: HttpRequest, delivery_id: int) -> HttpResponse:
    record, _, _ = _delivery(request, delivery_id)
    attendees = list(record.attendees.select_related("organisation").order_by("name", "pk"))
    return _certificates(request, record, attendees, f"{record.reference}-certificates.pdf")


@requires_capability(Capability.MANAGE_TRAINING)
@never_cache
def attendee_certificate(request: HttpRequest, delivery_id: int, attendee_id: int) -> HttpResponse:
    record, _, _ = _delivery(request, delivery_id)
    try:
        attendee = record.attendees.select_related("organisation").get(pk=int(attendee_id))
    except (ValueError, TypeError, Attendee.DoesNotExist) as exc:
        raise Http404(NOT_FOUND_MESSAGE) from exc
    return _certificates(request, record, [attendee], f"{record.reference}-certificate-{attendee.pk}.pdf")
