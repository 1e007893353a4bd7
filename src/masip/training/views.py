"""The trainers' start page: the unit's catalogue, agendas, enquiries, deliveries and reports."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from masip.access.decorators import requires_capability
from masip.access.policy import Capability
from masip.training.models import DeliveryStatus, EnquiryStatus
from masip.training.selectors import training_unit


@requires_capability(Capability.MANAGE_TRAINING)
def hub(request: HttpRequest) -> HttpResponse:
    unit, units = training_unit(request)
    return render(
        request,
        "training/hub.html",
        {
            "unit": unit,
            "units": units,
            "new_enquiries": unit.training_enquiries.filter(status=EnquiryStatus.NEW).count(),
            "planned_deliveries": unit.training_deliveries.filter(status=DeliveryStatus.PLANNED).count(),
        },
    )
