"""The unit manager's page for the unit's triage deadlines. Thin: the rules live in
referrals.deadline_services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from masip.access.decorators import requires_capability
from masip.access.policy import Capability
from masip.core.forms import add_service_errors
from masip.core.unit_settings import chosen_unit, units_overseen
from masip.referrals.deadline_forms import TriageDeadlinesForm
from masip.referrals.deadline_services import (
    MAX_DAYS,
    MIN_DAYS,
    triage_deadlines_for,
    triage_deadlines_set,
)


@requires_capability(Capability.OVERSEE_UNIT_CASELOAD)
@require_http_methods(["GET", "POST"])
def triage_deadlines(request: HttpRequest) -> HttpResponse:
    units = units_overseen(user=request.user)
    unit = chosen_unit(request, units)
    current = triage_deadlines_for(unit=unit)
    if request.method == "POST":
        form = TriageDeadlinesForm(request.POST)
        if form.is_valid():
            try:
                triage_deadlines_set(actor=request.user, unit=unit, request=request, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    f"Triage deadlines saved for {unit.name}. Referrals received from now on get these deadlines; "
                    "referrals already received keep the deadline they were given.",
                )
                return redirect(f"{reverse('referrals:deadlines')}?unit={unit.pk}")
    else:
        form = TriageDeadlinesForm(
            initial={
                "immediate_days": current.immediate_days,
                "urgent_days": current.urgent_days,
                "routine_days": current.routine_days,
            }
        )
    return render(
        request,
        "referrals/deadlines/deadlines.html",
        {
            "form": form,
            "unit": unit,
            "units": units,
            "current": current,
            "min_days": MIN_DAYS,
            "max_days": MAX_DAYS,
        },
    )
