"""The cross-unit comparison, for whoever reads the aggregates of two or more units (analysts,
commissioners). Thin: the choice of units and period, then the selector."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from masip.access.decorators import requires_capability
from masip.access.policy import Capability
from masip.reports.comparison import standard_period_choices, twelve_months
from masip.reports.forms_comparison import ComparisonForm
from masip.reports.selectors import units_reported
from masip.reports.selectors_comparison import comparison_for

TEMPLATE = "reports/comparison/comparison.html"


@requires_capability(Capability.VIEW_AGGREGATES)
def comparison(request: HttpRequest) -> HttpResponse:
    units = units_reported(user=request.user)
    if len(units) < 2:
        return render(request, TEMPLATE, {"units": units, "one_unit": True})
    context = {"units": units, "standard": standard_period_choices()}
    if "start" in request.GET or "end" in request.GET or "units" in request.GET:
        data = request.GET.copy()
        if "chosen" not in data and "units" not in data:
            # A link with a period only (the nightly periods) compares every unit; the form
            # itself says it was sent ("chosen"), so unticking every box is an error there.
            data.setlist("units", [str(unit.pk) for unit in units])
        form = ComparisonForm(data, units=units)
        if not form.is_valid():
            return render(request, TEMPLATE, {**context, "form": form}, status=400)
        period, chosen = form.cleaned_data["period"], form.chosen_units()
    else:
        period, chosen = twelve_months(timezone.localdate()), units
        form = ComparisonForm(
            initial={"start": period.start, "end": period.end, "units": [str(u.pk) for u in units]}, units=units
        )
    report = comparison_for(user=request.user, units=chosen, period=period, request=request)
    return render(request, TEMPLATE, {**context, "form": form, "report": report})
