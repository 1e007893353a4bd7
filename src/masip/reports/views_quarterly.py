"""The quarterly report: the quarter form, then the PDF. Thin: the form checks the quarter, the
report module reads and audits the figures and renders the PDF."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from masip.access.decorators import requires_capability
from masip.access.policy import Capability
from masip.core.pdf import PdfUnavailable
from masip.core.unit_settings import chosen_unit
from masip.reports.forms_quarterly import QuarterForm
from masip.reports.quarterly import pdf_filename, quarterly_pdf_for
from masip.reports.selectors import units_reported


@requires_capability(Capability.VIEW_AGGREGATES)
@require_GET
def quarterly(request: HttpRequest) -> HttpResponse:
    units = units_reported(user=request.user)
    unit = chosen_unit(request, units)
    asked = "year" in request.GET or "quarter" in request.GET
    form = QuarterForm(request.GET if asked else None, initial=QuarterForm.initial_for())
    context = {"form": form, "unit": unit, "units": units}
    if not asked:
        return render(request, "reports/quarterly/form.html", context)
    if not form.is_valid():
        return render(request, "reports/quarterly/form.html", context, status=400)
    try:
        report, pdf = quarterly_pdf_for(
            user=request.user, unit=unit, quarter=form.cleaned_data["chosen"], request=request
        )
    except PdfUnavailable:
        return render(request, "reports/quarterly/pdf_unavailable.html", context)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf_filename(report)}"'
    response["Cache-Control"] = "no-store"
    return response
