"""Legal actions of a case: the criminal-justice record and the investigation checklist (police
compartment), the orders register and breaches (the case team). Thin: reads from
selectors_legal, writes through services_legal (which check the policy again)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from masip.access.decorators import case_permission, reads_audited_together, requires_capability
from masip.access.policy import Action, Capability, Compartment
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.cases.models import Case
from masip.core.forms import add_service_errors
from masip.core.models import StaleEditError
from masip.interventions import selectors_legal as selectors
from masip.interventions import services_legal as services
from masip.interventions.forms_legal import BreachForm, JusticeEvent, JusticeEventForm, OffencesForm, OrderForm
from masip.interventions.models_legal import Order


def _legal_page(case: Case) -> str:
    return reverse("interventions:legal_record", kwargs={"case_id": case.pk})


def _orders_page(case: Case) -> str:
    return reverse("interventions:order_list", kwargs={"case_id": case.pk})


@case_permission(Compartment.POLICE, Action.VIEW)
def legal_record(request: HttpRequest, case: Case) -> HttpResponse:
    record = selectors.justice_record_for(user=request.user, case=case, request=request)
    court_dates = selectors.court_dates_for(user=request.user, record=record) if record else []
    offences = OffencesForm(
        initial={
            "considered": record.offences_considered if record else [],
            "charged": record.offences_charged if record else [],
            "other_offence": record.other_offence if record else "",
        }
    )
    return render(
        request,
        "interventions/legal/record.html",
        {
            "case": case,
            "record": record,
            "court_dates": court_dates,
            "considered": record.offence_labels(record.offences_considered) if record else [],
            "charged": record.offence_labels(record.offences_charged) if record else [],
            "event_form": JusticeEventForm(),
            "offences_form": offences,
            "may_change": selectors.may_change_police(user=request.user, case=case),
        },
    )


def _record_event(request: HttpRequest, case: Case, form: JusticeEventForm) -> str:
    data, actor = form.cleaned_data, request.user
    event = data["event"]
    day = data["occurred_on"]
    if event == JusticeEvent.ARREST[0]:
        services.justice_arrest_record(actor=actor, case=case, arrested_at=form.moment(), request=request)
        return "Arrest recorded."
    if event == JusticeEvent.BAIL[0]:
        services.justice_bail_start(
            actor=actor, case=case, started_on=day, conditions=data.get("conditions") or "", request=request
        )
        return "Release on bail recorded. Bail runs for 3 months unless extended."
    if event == JusticeEvent.BAIL_EXTEND[0]:
        services.justice_bail_extend(
            actor=actor,
            case=case,
            until=data["until"],
            authority=data.get("authority") or "",
            authorised_by=data.get("authorised_by") or "",
            request=request,
        )
        return "Bail extension recorded."
    if event == JusticeEvent.BAIL_CONDITIONS[0]:
        services.justice_bail_conditions_change(
            actor=actor, case=case, conditions=data.get("conditions") or "", changed_on=day, request=request
        )
        return "Change of bail conditions recorded."
    if event == JusticeEvent.RUI[0]:
        services.justice_rui_record(actor=actor, case=case, released_on=day, request=request)
        return "Release under investigation recorded."
    if event == JusticeEvent.CHARGE[0]:
        services.justice_charge_decide(
            actor=actor, case=case, decision=data.get("decision") or "", decided_on=day, request=request
        )
        return "Charging decision recorded."
    if event == JusticeEvent.COURT[0]:
        services.justice_court_date_add(
            actor=actor, case=case, occurs_at=form.moment(), hearing=data.get("hearing") or "", request=request
        )
        return "Court date recorded."
    services.justice_outcome_record(actor=actor, case=case, outcome=data.get("outcome") or "", request=request)
    return "Outcome recorded."


@case_permission(Compartment.POLICE, Action.CHANGE)
def legal_event_add(request: HttpRequest, case: Case) -> HttpResponse:
    form = JusticeEventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            message = _record_event(request, case, form)
        except ValidationError as error:
            add_service_errors(form, error, {"until": "until", "authority": "authority"})
        else:
            messages.success(request, message)
            return redirect(_legal_page(case))
    return render(request, "interventions/legal/event_form.html", {"case": case, "form": form})


@case_permission(Compartment.POLICE, Action.CHANGE)
def legal_offences_edit(request: HttpRequest, case: Case) -> HttpResponse:
    form = OffencesForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.justice_offences_set(
                actor=request.user,
                case=case,
                considered=form.cleaned_data["considered"],
                charged=form.cleaned_data["charged"],
                other=form.cleaned_data["other_offence"],
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Offences recorded.")
            return redirect(_legal_page(case))
    return render(request, "interventions/legal/offences_form.html", {"case": case, "form": form})


@case_permission(Compartment.TEAM, Action.VIEW)
def order_list(request: HttpRequest, case: Case) -> HttpResponse:
    orders = selectors.orders_for(user=request.user, case=case, request=request)
    return render(
        request,
        "interventions/legal/order_list.html",
        {"case": case, "orders": orders, "may_change": selectors.may_change_orders(user=request.user, case=case)},
    )


@case_permission(Compartment.TEAM, Action.CREATE)
def order_add(request: HttpRequest, case: Case) -> HttpResponse:
    form = OrderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            order = services.order_create(actor=request.user, case=case, draft=form.draft(), request=request)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{order.get_kind_display()} added to the case's orders.")
            return redirect(_order_page(order))
    return render(request, "interventions/legal/order_form.html", {"case": case, "form": form, "order": None})


def _order_page(order: Order) -> str:
    return reverse("interventions:order_detail", kwargs={"case_id": order.case_id, "order_id": order.pk})


@case_permission(Compartment.TEAM, Action.VIEW)
def order_detail(request: HttpRequest, case: Case, order_id: str) -> HttpResponse:
    order = selectors.order_get_for(user=request.user, case=case, order_id=order_id, request=request)
    audit_record(
        action=AuditAction.VIEW,
        actor=request.user,
        request=request,
        unit=case.unit,
        obj=order,
        case_id=case.pk,
        fields=["conditions", "positive_requirements", "notified_on"],
    )
    return render(
        request,
        "interventions/legal/order_detail.html",
        {
            "case": case,
            "order": order,
            "breaches": selectors.order_breaches_for(user=request.user, order=order),
            "breach_form": BreachForm(),
            "may_change": selectors.may_change_orders(user=request.user, case=case),
        },
    )


@case_permission(Compartment.TEAM, Action.CHANGE)
def order_edit(request: HttpRequest, case: Case, order_id: str) -> HttpResponse:
    order = selectors.order_get_for(user=request.user, case=case, order_id=order_id, request=request)
    status = 200
    if request.method == "POST":
        form = OrderForm(request.POST)
        if form.is_valid():
            try:
                services.order_update(
                    actor=request.user,
                    order=order,
                    expected_version=form.cleaned_data.get("version") or order.version,
                    draft=form.draft(),
                    request=request,
                )
            except StaleEditError as stale:
                form.add_error(None, str(stale))
                status = 409
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "The order was updated.")
                return redirect(_order_page(order))
    else:
        form = OrderForm(initial=OrderForm.initial_for(order))
    return render(
        request, "interventions/legal/order_form.html", {"case": case, "form": form, "order": order}, status=status
    )


@case_permission(Compartment.TEAM, Action.CREATE)
@require_POST
def order_breach_add(request: HttpRequest, case: Case, order_id: str) -> HttpResponse:
    order = selectors.order_get_for(user=request.user, case=case, order_id=order_id, request=request)
    form = BreachForm(request.POST)
    if form.is_valid():
        try:
            services.order_breach_record(
                actor=request.user,
                order=order,
                occurred_on=form.cleaned_data["occurred_on"],
                behaviour=form.cleaned_data["behaviour"],
                description=form.cleaned_data["description"],
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Breach recorded on the timeline. The red-flag rules have been run on the case.")
            return redirect(_order_page(order))
    return render(
        request,
        "interventions/legal/order_detail.html",
        {
            "case": case,
            "order": order,
            "breaches": selectors.order_breaches_for(user=request.user, order=order),
            "breach_form": form,
            "may_change": selectors.may_change_orders(user=request.user, case=case),
        },
        status=400,
    )


@case_permission(Compartment.POLICE, Action.VIEW)
def checklist(request: HttpRequest, case: Case) -> HttpResponse:
    version, rows = selectors.checklist_rows_for(user=request.user, case=case, request=request)
    return render(
        request,
        "interventions/legal/checklist.html",
        {
            "case": case,
            "version": version,
            "rows": rows,
            "may_change": selectors.may_change_police(user=request.user, case=case),
        },
    )


@case_permission(Compartment.POLICE, Action.CHANGE)
@require_POST
def checklist_tick(request: HttpRequest, case: Case) -> HttpResponse:
    try:
        services.checklist_tick(
            actor=request.user,
            case=case,
            item_key=request.POST.get("item", ""),
            done=request.POST.get("done") == "1",
            request=request,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(reverse("interventions:checklist_page", kwargs={"case_id": case.pk}))


@reads_audited_together
@requires_capability(Capability.OVERSEE_UNIT_CASELOAD)
def orders_expiring(request: HttpRequest) -> HttpResponse:
    """The orders ending within 90 days on the open cases of the units the manager oversees, and
    those ended in the last 14 days that nothing replaced, soonest first."""
    rows = selectors.unit_orders_ending_for(user=request.user, request=request)
    return render(
        request,
        "interventions/legal/unit_orders_ending.html",
        {"rows": rows, "within": selectors.ENDING_WITHIN_DAYS, "ended_within": selectors.ENDED_WITHIN_DAYS},
    )
