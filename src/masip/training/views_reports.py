"""The training reports, for trainers: one delivery's feedback, and the unit's training over a
period (on the page and as CSV). Thin: the period form, then the selectors."""

from __future__ import annotations

import csv
import io

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from masip.access.decorators import requires_capability
from masip.access.policy import Capability
from masip.core.text import csv_safe
from masip.reports.period import Period
from masip.training.forms_reports import PeriodForm, default_period
from masip.training.models import Delivery
from masip.training.selectors import of_unit, training_unit
from masip.training.selectors_reports import delivery_report as delivery_report_of
from masip.training.selectors_reports import period_report, period_report_rows


@requires_capability(Capability.MANAGE_TRAINING)
def delivery_report(request: HttpRequest, delivery_id: int) -> HttpResponse:
    unit, units = training_unit(request)
    delivery = of_unit(Delivery.objects.select_related("organisation"), unit=unit, pk=delivery_id)
    link = request.build_absolute_uri(reverse("training:feedback", kwargs={"feedback_token": delivery.feedback_token}))
    return render(
        request,
        "training/reports/delivery.html",
        {"unit": unit, "units": units, "report": delivery_report_of(delivery), "feedback_link": link},
    )


def _period(request: HttpRequest) -> tuple[PeriodForm, Period | None]:
    """The period asked for, or the last twelve months; None with the form's errors if invalid."""
    if "start" in request.GET or "end" in request.GET:
        form = PeriodForm(request.GET)
        return form, form.cleaned_data["period"] if form.is_valid() else None
    period = default_period()
    return PeriodForm(initial={"start": period.start, "end": period.end}), period


@requires_capability(Capability.MANAGE_TRAINING)
def reports(request: HttpRequest) -> HttpResponse:
    unit, units = training_unit(request)
    form, period = _period(request)
    context: dict[str, object] = {"unit": unit, "units": units, "form": form}
    if period is None:
        return render(request, "training/reports/period.html", context, status=400)
    return render(
        request, "training/reports/period.html", {**context, "report": period_report(unit=unit, period=period)}
    )


@requires_capability(Capability.MANAGE_TRAINING)
def reports_csv(request: HttpRequest) -> HttpResponse:
    unit, units = training_unit(request)
    form, period = _period(request)
    if period is None:
        return render(request, "training/reports/period.html", {"unit": unit, "units": units, "form": form}, status=400)
    report = period_report(unit=unit, period=period)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in period_report_rows(report):
        writer.writerow([csv_safe(cell) if isinstance(cell, str) else cell for cell in row])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"training-{unit.code}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response
