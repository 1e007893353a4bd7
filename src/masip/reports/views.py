"""The unit dashboard: aggregates of one unit over a period, for whoever reads the unit's
aggregates (unit managers, analysts). Thin: the period form, then the selector."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from masip.access.decorators import requires_capability
from masip.access.policy import Capability
from masip.core.unit_settings import chosen_unit
from masip.reports.forms import PeriodForm, default_period
from masip.reports.selectors import dashboard_for, units_reported


@requires_capability(Capability.VIEW_AGGREGATES)
def dashboard(request: HttpRequest) -> HttpResponse:
    units = units_reported(user=request.user)
    unit = chosen_unit(request, units)
    period = default_period()
    form = PeriodForm(request.GET if "start" in request.GET or "end" in request.GET else None)
    if form.is_bound:
        if not form.is_valid():
            return render(request, "reports/dashboard.html", {"form": form, "unit": unit, "units": units}, status=400)
        period = form.cleaned_data["period"]
    else:
        form = PeriodForm(initial={"start": period.start, "end": period.end})
    report = dashboard_for(user=request.user, unit=unit, period=period, request=request)
    return render(request, "reports/dashboard.html", {"form": form, "unit": unit, "units": units, "report": report})
