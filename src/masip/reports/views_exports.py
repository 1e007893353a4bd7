"""Evaluation exports: the unit's past exports, the export form (its answer is the ZIP itself),
and the unit's export keys. Thin: forms, then services_exports."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from masip.access.decorators import requires_capability
from masip.access.policy import Capability
from masip.accounts.models import Unit
from masip.core.unit_settings import chosen_unit
from masip.reports.forms import default_period
from masip.reports.forms_exports import EvaluationExportForm, ExportKeyForm
from masip.reports.selectors import units_reported
from masip.reports.selectors_exports import export_keys_of, exports_of
from masip.reports.services_exports import (
    KEYS_REFUSED,
    ExportRefused,
    evaluation_export,
    export_key_create,
    export_key_retire,
    may_identify,
    may_manage_keys,
)


def _keys_url(unit_pk: int, units: list[Unit]) -> str:
    url = reverse("reports:export_keys")
    return f"{url}?unit={unit_pk}" if len(units) > 1 else url


@requires_capability(Capability.VIEW_AGGREGATES)
def exports(request: HttpRequest) -> HttpResponse:
    units = units_reported(user=request.user)
    unit = chosen_unit(request, units)
    return render(
        request,
        "reports/exports/list.html",
        {
            "unit": unit,
            "units": units,
            "exports": exports_of(unit=unit),
            "may_manage_keys": may_manage_keys(request.user, unit),
        },
    )


@requires_capability(Capability.VIEW_AGGREGATES)
def export_new(request: HttpRequest) -> HttpResponse:
    units = units_reported(user=request.user)
    unit = chosen_unit(request, units)
    identify = may_identify(request.user, unit)
    context = {"unit": unit, "units": units, "may_identify": identify}
    if request.method != "POST":
        period = default_period()
        initial = {"start": period.start, "end": period.end}
        form = EvaluationExportForm(unit=unit, may_identify=identify, initial=initial)
        return render(request, "reports/exports/new.html", {**context, "form": form})
    form = EvaluationExportForm(request.POST, unit=unit, may_identify=identify)
    if not form.is_valid():
        status = 403 if form.identified_refused else 400
        return render(request, "reports/exports/new.html", {**context, "form": form}, status=status)
    data = form.cleaned_data
    try:
        made = evaluation_export(
            actor=request.user,
            unit=unit,
            period=data["period"],
            file_format=data["file_format"],
            key=data["key"],
            identified=data["identified"],
            purpose=data["purpose"],
            recipient=data["recipient"],
            request=request,
        )
    except ExportRefused as refused:
        form.add_error(None, str(refused))
        return render(request, "reports/exports/new.html", {**context, "form": form}, status=403)
    response = HttpResponse(made.content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{made.file_name}"'
    response["Cache-Control"] = "no-store"
    return response


@requires_capability(Capability.VIEW_AGGREGATES)
def export_keys(request: HttpRequest) -> HttpResponse:
    """Every reader of the unit's aggregates sees its keys; only its manager creates or retires them."""
    units = units_reported(user=request.user)
    unit = chosen_unit(request, units)
    manages = may_manage_keys(request.user, unit)
    form = ExportKeyForm(unit=unit)
    status = 200
    if request.method == "POST" and not manages:
        messages.error(request, KEYS_REFUSED)
        status = 403
    elif request.method == "POST" and "retire" in request.POST:
        wanted = request.POST["retire"]
        key = export_keys_of(unit=unit).filter(pk=wanted).first() if wanted.isdigit() else None
        if key is None:
            raise Http404("There is no such export key in this unit.")
        export_key_retire(actor=request.user, key=key, request=request)
        messages.success(request, f"The key “{key.name}” is retired: no new export can use it.")
        return redirect(_keys_url(unit.pk, units))
    elif request.method == "POST":
        form = ExportKeyForm(request.POST, unit=unit)
        if form.is_valid():
            try:
                key = export_key_create(actor=request.user, unit=unit, name=form.cleaned_data["name"], request=request)
            except ValidationError as error:
                form.add_error("name", error)
            else:
                messages.success(request, f"The key “{key.name}” is ready. Its secret stays in masip.")
                return redirect(_keys_url(unit.pk, units))
        status = 400
    return render(
        request,
        "reports/exports/keys.html",
        {"unit": unit, "units": units, "keys": export_keys_of(unit=unit), "form": form, "may_manage_keys": manages},
        status=status,
    )
