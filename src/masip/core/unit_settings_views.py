"""The page every unit setting shares (triage deadlines, task rules, risk settings): a manager
of several units chooses one, sees its current values in the form, and saves them through the
setting's own service, which checks and audits them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from masip.accounts.models import Unit
from masip.core.forms import add_service_errors
from masip.core.unit_settings import chosen_unit, units_overseen


def unit_settings_page(
    request: HttpRequest,
    *,
    form_class: type[forms.Form],
    current_for: Callable[[Unit], Any],
    save: Callable[..., Any],
    saved_message: Callable[[Unit], str],
    url_name: str,
    template: str,
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """GET shows the chosen unit's settings; POST saves them with `save(actor=, unit=, request=,
    **cleaned_data)` and returns to the page for that unit, or shows the form with the service's
    refusals on its fields. The caller's decorators say who may use the page."""
    units = units_overseen(user=request.user)
    unit = chosen_unit(request, units)
    current = current_for(unit)
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            try:
                save(actor=request.user, unit=unit, request=request, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, saved_message(unit))
                return redirect(f"{reverse(url_name)}?unit={unit.pk}")
    else:
        form = form_class(initial={name: getattr(current, name) for name in form_class.base_fields})
    return render(
        request, template, {"form": form, "unit": unit, "units": units, "current": current, **(context or {})}
    )
