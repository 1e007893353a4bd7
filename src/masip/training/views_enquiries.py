"""The trainers' enquiries queue and one enquiry. Thin: reads from selectors_enquiries, writes
through services_enquiries."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from masip.access.decorators import requires_capability
from masip.access.policy import Capability
from masip.core.forms import add_service_errors
from masip.core.models import StaleEditError
from masip.training import selectors_enquiries as selectors
from masip.training import services_enquiries as services
from masip.training.forms_enquiries import EnquiryEditForm, StatusFilterForm, VersionForm
from masip.training.models import AudienceType, Enquiry
from masip.training.selectors import of_unit, trainers_of, training_unit


@requires_capability(Capability.MANAGE_TRAINING)
def enquiries(request: HttpRequest) -> HttpResponse:
    unit, units = training_unit(request)
    chosen = StatusFilterForm(request.GET)
    status = chosen.cleaned_data["status"] if chosen.is_valid() else ""
    return render(
        request,
        "training/enquiries/list.html",
        {
            "unit": unit,
            "units": units,
            "filter_form": chosen,
            "status": status,
            "enquiries": list(selectors.enquiry_queue(unit=unit, status=status)[:200]),
            "counts": selectors.enquiry_counts(unit=unit),
        },
    )


def _audience_rows(enquiry: Enquiry) -> list[tuple[str, int]]:
    numbers = enquiry.audience if isinstance(enquiry.audience, dict) else {}
    return [(label, int(numbers.get(value) or 0)) for value, label in AudienceType.choices]


@requires_capability(Capability.MANAGE_TRAINING)
def enquiry(request: HttpRequest, enquiry_id: int) -> HttpResponse:
    unit, units = training_unit(request)
    record = of_unit(Enquiry.objects.select_related("assigned_to", "organisation"), unit=unit, pk=enquiry_id)
    trainers = trainers_of(unit)
    here = reverse("training:enquiry", kwargs={"enquiry_id": record.pk}) + (
        f"?unit={unit.pk}" if len(units) > 1 else ""
    )
    form = EnquiryEditForm(
        initial={
            "version": record.version,
            "status": record.status,
            "assigned_to": record.assigned_to_id,
            "trainer_notes": record.trainer_notes,
        },
        trainers=trainers,
    )
    status = 200
    problem = ""
    if request.method == "POST":
        action = request.POST.get("action", "save")
        try:
            if action == "link":
                version = VersionForm(request.POST)
                if not version.is_valid():
                    raise ValidationError("The page was out of date: reload it and try again.")
                services.enquiry_link_organisation(
                    actor=request.user,
                    enquiry=record,
                    expected_version=version.cleaned_data["version"],
                    request=request,
                )
                messages.success(request, "The enquiry is linked to its organisation.")
                return redirect(here)
            form = EnquiryEditForm(request.POST, trainers=trainers)
            if form.is_valid():
                services.enquiry_update(
                    actor=request.user,
                    enquiry=record,
                    expected_version=form.cleaned_data["version"],
                    status=form.cleaned_data["status"],
                    assigned_to=form.cleaned_data["assigned_to"],
                    trainer_notes=form.cleaned_data["trainer_notes"],
                    request=request,
                )
                messages.success(request, "The enquiry was saved.")
                return redirect(here)
            status = 400
        except StaleEditError as stale:
            record = stale.current or record
            form = EnquiryEditForm(
                initial={
                    "version": record.version,
                    "status": record.status,
                    "assigned_to": record.assigned_to_id,
                    "trainer_notes": record.trainer_notes,
                },
                trainers=trainers,
            )
            problem = str(stale)
            status = 409
        except ValidationError as error:
            add_service_errors(form, error)
            status = 400
    return render(
        request,
        "training/enquiries/detail.html",
        {
            "unit": unit,
            "units": units,
            "enquiry": record,
            "audience": _audience_rows(record),
            "form": form,
            "problem": problem,
            "version_form": VersionForm(initial={"version": record.version}),
        },
        status=status,
    )
