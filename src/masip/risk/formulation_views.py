"""Formulation pages: start (clinicians), edit a draft, complete, read. Thin: reads come from
risk.history, writes go through risk.formulation_services (which check the policy again)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from masip.access.decorators import case_permission
from masip.access.policy import Action, Compartment
from masip.cases.models import Case
from masip.core.forms import add_service_errors
from masip.risk import formulation_services as services
from masip.risk.formulation_forms import FormulationForm, FormulationStartForm, ScenarioFormSet, scenarios_of
from masip.risk.history import formulation_get_for
from masip.risk.models import AssessmentStatus, Formulation


@case_permission(Compartment.HEALTH, Action.CREATE)
@require_http_methods(["GET", "POST"])
def formulation_start(request: HttpRequest, case: Case) -> HttpResponse:
    offered = services.formulation_compartments_offered(user=request.user, case=case)
    if request.method == "POST":
        form = FormulationStartForm(request.POST, offered=offered)
        if form.is_valid():
            try:
                formulation = services.formulation_start(
                    actor=request.user,
                    case=case,
                    compartment=form.cleaned_data["compartment"],
                    assessed_on=form.cleaned_data["assessed_on"],
                    request=request,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Formulation started. Save it as a draft as you go.")
                return redirect("risk:formulation_edit", case_id=case.pk, formulation_id=formulation.pk)
    else:
        form = FormulationStartForm(
            offered=offered, initial={"compartment": Compartment.HEALTH, "assessed_on": timezone.localdate()}
        )
    return render(request, "risk/formulations/start.html", {"case": case, "form": form})


@case_permission(Compartment.TEAM, Action.VIEW)
def formulation_detail(request: HttpRequest, case: Case, formulation_id: str) -> HttpResponse:
    formulation = formulation_get_for(user=request.user, case=case, formulation_id=formulation_id, request=request)
    may_edit = formulation.status == AssessmentStatus.DRAFT and services.formulation_may_write(
        user=request.user, case=case
    )
    domains = [
        (name, label, getattr(formulation, name), getattr(formulation, f"{name}_rationale"))
        for name, label in services.DOMAINS
    ]
    return render(
        request,
        "risk/formulations/detail.html",
        {"case": case, "formulation": formulation, "may_edit": may_edit, "domains": domains},
    )


def _initial(formulation: Formulation) -> dict[str, Any]:
    initial = {name: getattr(formulation, name) for name in services.FIELDS}
    return {**initial, "version": formulation.version}


@case_permission(Compartment.HEALTH, Action.CREATE)
@require_http_methods(["GET", "POST"])
def formulation_edit(request: HttpRequest, case: Case, formulation_id: str) -> HttpResponse:
    formulation = formulation_get_for(user=request.user, case=case, formulation_id=formulation_id, request=request)
    if formulation.status != AssessmentStatus.DRAFT:
        messages.info(request, "This formulation is completed and can no longer be changed. Start a new one.")
        return redirect("risk:formulation_detail", case_id=case.pk, formulation_id=formulation.pk)
    if not services.formulation_may_write(user=request.user, case=case):
        raise PermissionDenied("Only clinicians can write formulations.")
    status = 200
    if request.method == "POST":
        form = FormulationForm(request.POST)
        scenarios = ScenarioFormSet(request.POST, prefix="scenario")
        complete = request.POST.get("action") == "complete"
        if form.is_valid() and scenarios.is_valid():
            write = services.formulation_complete if complete else services.formulation_save
            try:
                saved = write(
                    actor=request.user,
                    formulation=formulation,
                    expected_version=form.cleaned_data["version"],
                    values=form.values(),
                    scenarios=scenarios_of(scenarios),
                    request=request,
                )
            except services.StaleFormulationError as stale:
                # The editor's entries stay on the page; saving again replaces what they were shown.
                data = request.POST.copy()
                data["version"] = str(stale.current.version)
                form = FormulationForm(data)
                form.is_valid()
                form.add_error(None, str(stale))
                status = 409
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                if complete:
                    messages.success(request, "Formulation completed. The case's current risk has been updated.")
                    return redirect("risk:formulation_detail", case_id=case.pk, formulation_id=saved.pk)
                messages.success(request, "Draft saved.")
                return redirect("risk:formulation_edit", case_id=case.pk, formulation_id=saved.pk)
    else:
        form = FormulationForm(initial=_initial(formulation))
        scenarios = ScenarioFormSet(
            prefix="scenario",
            initial=[
                {
                    "description": s.description,
                    "likelihood": s.likelihood,
                    "imminence": s.imminence,
                    "management": s.management,
                }
                for s in formulation.scenario_list  # type: ignore[attr-defined]
            ],
        )
    return render(
        request,
        "risk/formulations/edit.html",
        {"case": case, "formulation": formulation, "form": form, "scenarios": scenarios},
        status=status,
    )
