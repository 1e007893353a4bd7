"""A case's risk over time (chart and table), its risk events, and the unit's risk settings.
Thin: reads come from risk.history, writes go through risk.event_services and risk.current."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from masip.access.decorators import case_permission, requires_capability
from masip.access.policy import Action, Capability, Compartment
from masip.access.principal import principal_for
from masip.cases.models import Case
from masip.core.forms import add_service_errors
from masip.core.unit_settings_views import unit_settings_page
from masip.risk.chart import risk_chart
from masip.risk.current import risk_settings_for, risk_settings_set
from masip.risk.event_services import risk_event_compartments_offered, risk_event_record
from masip.risk.formulation_forms import RiskEventForm, RiskSettingsForm
from masip.risk.formulation_services import formulation_may_write
from masip.risk.history import formulations_for, risk_event_get_for, risk_history_for
from masip.work import selectors as work_selectors


@case_permission(Compartment.TEAM, Action.VIEW)
def risk_history(request: HttpRequest, case: Case) -> HttpResponse:
    history = risk_history_for(user=request.user, case=case, request=request)
    chart = risk_chart(
        points=history.points,
        markers=history.markers,
        today=timezone.localdate(),
        current_label=case.get_risk_level_display(),
    )
    tasks = work_selectors.case_tasks_for(user=request.user, case=case)
    principal = principal_for(request.user)
    return render(
        request,
        "risk/history/history.html",
        {
            "case": case,
            "history": history,
            "chart": chart,
            "formulations": formulations_for(user=request.user, case=case),
            "next_reassessment": work_selectors.next_reassessment(tasks),
            "may_formulate": formulation_may_write(user=request.user, case=case),
            "may_record_event": principal.may(case.unit_id, Compartment.TEAM, Action.CREATE),
            "today": timezone.localdate(),
        },
    )


@case_permission(Compartment.TEAM, Action.CREATE)
@require_http_methods(["GET", "POST"])
def risk_event_add(request: HttpRequest, case: Case) -> HttpResponse:
    offered = risk_event_compartments_offered(user=request.user, case=case)
    if request.method == "POST":
        form = RiskEventForm(request.POST, offered=offered)
        if form.is_valid():
            data = form.cleaned_data
            try:
                event = risk_event_record(
                    actor=request.user,
                    case=case,
                    kind=data["kind"],
                    occurred_on=data["occurred_on"],
                    details=data["details"],
                    compartment=data["compartment"],
                    request=request,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    f"{event.get_kind_display()} recorded. The case's re-assessment of risk has been set, or brought "
                    "forward, by the unit's rule.",
                )
                return redirect("risk:history", case_id=case.pk)
    else:
        form = RiskEventForm(
            offered=offered, initial={"compartment": Compartment.TEAM, "occurred_on": timezone.localdate()}
        )
    return render(request, "risk/history/event_form.html", {"case": case, "form": form})


@case_permission(Compartment.TEAM, Action.VIEW)
def risk_event_detail(request: HttpRequest, case: Case, event_id: str) -> HttpResponse:
    event = risk_event_get_for(user=request.user, case=case, event_id=event_id, request=request)
    return render(request, "risk/history/event_detail.html", {"case": case, "event": event})


@requires_capability(Capability.OVERSEE_UNIT_CASELOAD)
@require_http_methods(["GET", "POST"])
def risk_settings(request: HttpRequest) -> HttpResponse:
    return unit_settings_page(
        request,
        form_class=RiskSettingsForm,
        current_for=lambda unit: risk_settings_for(unit_id=unit.pk),
        save=risk_settings_set,
        saved_message=lambda unit: (
            f"Risk settings saved for {unit.name}. A case takes the new rule when an assessment or "
            "formulation is next completed on it."
        ),
        url_name="work:risk_settings",
        template="risk/history/settings.html",
    )
