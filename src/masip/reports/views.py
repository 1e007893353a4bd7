"""The unit dashboard: aggregates of one unit over a period, for whoever reads the unit's
aggregates (unit managers, analysts). Thin: the period form, then the selector. The figures are
those counted today when there are any (the page says when); "Count again now" counts them
afresh (a POST, then back to the same page)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

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
    params = request.POST if request.method == "POST" else request.GET
    form = PeriodForm(params if "start" in params or "end" in params else None)
    if form.is_bound:
        if not form.is_valid():
            return render(request, "reports/dashboard.html", {"form": form, "unit": unit, "units": units}, status=400)
        period = form.cleaned_data["period"]
    else:
        form = PeriodForm(initial={"start": period.start, "end": period.end})
    if request.method == "POST":
        # Count again now, then show the page as a reload would.
        dashboard_for(user=request.user, unit=unit, period=period, request=request, recount=True)
        query = {"start": period.start.isoformat(), "end": period.end.isoformat()}
        if len(units) > 1:
            query["unit"] = str(unit.pk)
        return redirect(f"{reverse('reports:dashboard')}?{urlencode(query)}")
    report = dashboard_for(user=request.user, unit=unit, period=period, request=request)
    return render(request, "reports/dashboard.html", {"form": form, "unit": unit, "units": units, "report": report})
