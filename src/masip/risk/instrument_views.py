"""The unit manager's instrument pages: the unit's own and the shipped instruments with their
versions, one version read-only, uploading a definition file, withdrawing a version. Thin: the
checks live in risk.schema, the writes in risk.loading."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from masip.access.decorators import requires_capability
from masip.access.policy import Capability
from masip.accounts.models import Unit
from masip.core.unit_settings import chosen_unit
from masip.core.uploads import FORM_OVERHEAD_BYTES, UploadLimit, declared_length, limit_uploads
from masip.risk.instrument_forms import InstrumentUploadForm
from masip.risk.instrument_selectors import (
    instrument_units_managed,
    instrument_version_get_for,
    instruments_for_manager,
)
from masip.risk.loading import WithdrawRefused, instrument_load_result, instrument_withdraw, may_manage
from masip.risk.schema import DefinitionError, max_bytes, size_text, too_large_message


def _list_url(unit: Unit) -> str:
    return f"{reverse('instruments:list')}?unit={unit.pk}"


@requires_capability(Capability.MANAGE_INSTRUMENTS)
@require_http_methods(["GET"])
def instrument_list(request: HttpRequest) -> HttpResponse:
    units = instrument_units_managed(user=request.user)
    unit = chosen_unit(request, units)
    own, shipped = instruments_for_manager(unit=unit)
    return render(
        request,
        "risk/instruments/list.html",
        {"unit": unit, "units": units, "own": own, "shipped": shipped},
    )


@requires_capability(Capability.MANAGE_INSTRUMENTS)
@require_http_methods(["GET"])
def instrument_version(request: HttpRequest, version_id: str) -> HttpResponse:
    version = instrument_version_get_for(user=request.user, version_id=version_id)
    return render(
        request,
        "risk/instruments/version.html",
        {
            "version": version,
            "definition": version.parsed,
            "may_withdraw": version.withdrawn_at is None and may_manage(request.user, version.instrument.unit_id),
        },
    )


def _upload_page(
    request: HttpRequest, unit: Unit, units: list[Unit], form: InstrumentUploadForm, *, status: int = 200
) -> HttpResponse:
    context: dict[str, Any] = {"unit": unit, "units": units, "form": form, "max_size": size_text(max_bytes())}
    return render(request, "risk/instruments/upload.html", context, status=status)


def _refused(messages_: list[str]) -> InstrumentUploadForm:
    form = InstrumentUploadForm()
    form.cleaned_data = {}
    for message in messages_:
        form.add_error("file", message)
    return form


@requires_capability(Capability.MANAGE_INSTRUMENTS)
@csrf_exempt  # checked by _upload_checked, once the size limit is in place (Django's documented order)
@require_http_methods(["GET", "POST"])
def instrument_upload(request: HttpRequest) -> HttpResponse:
    limit = max_bytes()
    if request.method != "POST":
        units = instrument_units_managed(user=request.user)
        return _upload_page(request, chosen_unit(request, units), units, InstrumentUploadForm())
    if declared_length(request) > limit + FORM_OVERHEAD_BYTES:
        # Refused before the body is read: nothing of the file is parsed, or kept.
        units = instrument_units_managed(user=request.user)
        unit = next((u for u in units if str(u.pk) == request.GET.get("unit")), units[0])  # the body stays unread
        return _upload_page(request, unit, units, _refused([too_large_message(limit)]), status=413)
    handler = limit_uploads(request, limit)
    return _upload_checked(request, handler)


@csrf_protect
def _upload_checked(request: HttpRequest, handler: UploadLimit) -> HttpResponse:
    units = instrument_units_managed(user=request.user)
    unit = chosen_unit(request, units)
    form = InstrumentUploadForm(request.POST, request.FILES)
    if handler.exceeded:
        return _upload_page(request, unit, units, _refused([too_large_message(handler.limit)]), status=413)
    if not form.is_valid():
        return _upload_page(request, unit, units, form)
    upload = form.cleaned_data["file"]
    try:
        result = instrument_load_result(
            actor=request.user, unit=unit, text=upload.read(), filename=upload.name or "", request=request
        )
    except DefinitionError as refused:
        for problem in refused.problems:
            form.add_error("file", str(problem))
        return _upload_page(request, unit, units, form)
    if result.created:
        messages.success(request, result.summary)
    else:
        messages.info(request, result.summary)
    return redirect("instruments:version", version_id=result.version.pk)


@requires_capability(Capability.MANAGE_INSTRUMENTS)
@require_http_methods(["GET", "POST"])
def instrument_version_withdraw(request: HttpRequest, version_id: str) -> HttpResponse:
    version = instrument_version_get_for(user=request.user, version_id=version_id)
    refusal = ""
    if version.instrument.unit_id is None:
        refusal = (
            "Instruments shipped with masip are offered to every unit, so one unit cannot withdraw them. "
            "Ask your system administrator."
        )
    elif not may_manage(request.user, version.instrument.unit_id):
        raise PermissionDenied("Your role does not allow withdrawing this unit's instruments.")
    if request.method == "POST" and not refusal:
        try:
            instrument_withdraw(actor=request.user, version=version, request=request)
        except WithdrawRefused as refused:
            refusal = str(refused)
        else:
            messages.success(
                request,
                f"{version.instrument.name} version {version.version} is withdrawn: it is no longer offered for "
                "new assessments. Assessments already made with it keep it.",
            )
            return redirect("instruments:version", version_id=version.pk)
    return render(request, "risk/instruments/withdraw.html", {"version": version, "refusal": refusal})
