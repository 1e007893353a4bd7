"""Pages of the panel's items part: recording, during a meeting, what was said about an item
(discussion notes), what was decided, the actions agreed and the item's outcome; the actions
tracker across meetings; and the unit's decision options. Thin: reads come from selectors_items,
writes go through services_items and services_actions (which check the rules again)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from masip.access.decorators import case_permission, reads_audited_together, requires_capability
from masip.access.policy import Action, Capability, Compartment
from masip.access.principal import principal_for
from masip.accounts.models import Unit
from masip.cases.models import Case
from masip.core.forms import add_service_errors
from masip.core.models import StaleEditError
from masip.core.unit_settings import chosen_unit
from masip.panel import rules, services_actions
from masip.panel import selectors_items as selectors
from masip.panel import services_items as services
from masip.panel.forms_items import ActionForm, DecisionForm, NoteForm, OptionEditForm, OptionForm, OutcomeForm
from masip.panel.models import AgendaItem, ItemStatus


def item_url(case: Case, item: AgendaItem) -> str:
    """The item's page in its meeting."""
    return reverse("panel:item_detail", kwargs={"meeting_id": item.meeting_id, "item_id": item.pk})


def _recording_item(request: HttpRequest, case: Case, item_id: str) -> AgendaItem:
    item = selectors.item_get_for(user=request.user, case=case, item_id=item_id, request=request)
    if not services.may_record(user=request.user, meeting=item.meeting):
        raise PermissionDenied(services.NOT_A_RECORDER)
    return item


def _form_page(
    request: HttpRequest,
    *,
    case: Case,
    item: AgendaItem,
    form: forms.Form,
    heading: str,
    button: str,
    url_name: str,
    fields: list[str],
    context: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    refusal = services.recording_refusal(item.meeting)
    if refusal is None and item.status == ItemStatus.WITHDRAWN:
        refusal = "This case was taken off the agenda, so nothing can be recorded about it at this meeting."
    return render(
        request,
        "panel/items/form.html",
        {
            "case": case,
            "item": item,
            "meeting": item.meeting,
            "form": form,
            "fields": [form[name] for name in fields],
            "heading": heading,
            "button": button,
            "action_url": reverse(url_name, kwargs={"case_id": case.pk, "item_id": item.pk}),
            "back_url": item_url(case, item),
            "refusal": refusal,
            **(context or {}),
        },
        status=status,
    )


@case_permission(Compartment.TEAM, Action.CREATE)
@require_http_methods(["GET", "POST"])
def note_add(request: HttpRequest, case: Case, item_id: str) -> HttpResponse:
    item = _recording_item(request, case, item_id)
    compartments = services.note_compartments_offered(user=request.user, unit_id=case.unit_id)
    form = NoteForm(request.POST or None, compartments=compartments)
    if request.method == "POST" and form.is_valid():
        try:
            note = services.discussion_note_add(
                actor=request.user,
                item=item,
                compartment=form.cleaned_data["compartment"],
                text=form.cleaned_data["text"],
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"Note recorded. Only people allowed the “{note.get_compartment_display()}” compartment can read it.",
            )
            return redirect(item_url(case, item))
    return _form_page(
        request,
        case=case,
        item=item,
        form=form,
        heading="Record what was said",
        button="Record the note",
        url_name="panel_case:note_add",
        fields=["compartment", "text"],
    )


@case_permission(Compartment.TEAM, Action.CREATE)
@require_http_methods(["GET", "POST"])
def decision_add(request: HttpRequest, case: Case, item_id: str) -> HttpResponse:
    item = _recording_item(request, case, item_id)
    options = services.decision_options_for(unit=item.meeting.unit)
    form = DecisionForm(request.POST or None, options=options)
    if request.method == "POST" and form.is_valid():
        try:
            decision = services.item_decision_add(
                actor=request.user,
                item=item,
                option_id=form.cleaned_data["option"],
                detail=form.cleaned_data["detail"],
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Decision recorded: {decision.option.label}.")
            return redirect(item_url(case, item))
    return _form_page(
        request,
        case=case,
        item=item,
        form=form,
        heading="Record a decision",
        button="Record the decision",
        url_name="panel_case:decision_add",
        fields=["option", "detail"],
        context={"quorum": rules.quorum_for(item.meeting)},
    )


@case_permission(Compartment.TEAM, Action.CREATE)
@require_http_methods(["GET", "POST"])
def action_add(request: HttpRequest, case: Case, item_id: str) -> HttpResponse:
    item = _recording_item(request, case, item_id)
    owners = services_actions.action_owner_choices(case=case)
    form = ActionForm(request.POST or None, owners=owners)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            action = services_actions.panel_action_add(
                actor=request.user,
                item=item,
                title=data["title"],
                detail=data["detail"],
                owner_id=data["owner"],
                agency_id=data["agency"],
                due_on=data["due_on"],
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"Action recorded. {action.owner} has it as a task on this case, due {action.due_on:%-d %B %Y}.",
            )
            return redirect(item_url(case, item))
    return _form_page(
        request,
        case=case,
        item=item,
        form=form,
        heading="Record an action",
        button="Record the action",
        url_name="panel_case:action_add",
        fields=["title", "detail", "owner", "agency", "due_on"],
    )


@case_permission(Compartment.TEAM, Action.CHANGE)
@require_http_methods(["GET", "POST"])
def item_outcome(request: HttpRequest, case: Case, item_id: str) -> HttpResponse:
    item = _recording_item(request, case, item_id)
    stale = False
    if request.method == "POST":
        form = OutcomeForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.item_outcome_record(
                    actor=request.user,
                    item=item,
                    expected_version=data["version"],
                    status=data["status"],
                    next_review_on=data["next_review_on"],
                    request=request,
                )
            except StaleEditError as error:
                stale = True
                current = error.current
                form = OutcomeForm({**request.POST.dict(), "version": str(current.version)})
                form.is_valid()
                form.add_error(
                    None,
                    "Someone recorded this item's outcome after you opened the page, so yours was not saved. It is "
                    f"now “{current.get_status_display()}”. Check it and record yours again if it is still right.",
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "The item's outcome is recorded.")
                return redirect(item_url(case, item))
    else:
        initial_status = item.status if item.status in services.OUTCOMES else ""
        form = OutcomeForm(
            initial={"version": item.version, "status": initial_status, "next_review_on": item.next_review_on}
        )
    return _form_page(
        request,
        case=case,
        item=item,
        form=form,
        heading="Record the item's outcome",
        button="Record the outcome",
        url_name="panel_case:item_outcome",
        fields=["version", "status", "next_review_on"],
        status=409 if stale else 200,
    )


# --- the actions tracker -----------------------------------------------------------------------


@reads_audited_together
@requires_capability(Capability.ATTEND_PANEL)
def actions(request: HttpRequest) -> HttpResponse:
    states = dict(selectors.TrackerState.CHOICES)
    state = request.GET.get("state") or selectors.TrackerState.OPEN
    if state not in states:
        state = selectors.TrackerState.OPEN
    tracker = selectors.actions_tracker_for(user=request.user, state=state, request=request)
    return render(request, "panel/items/actions.html", {"tracker": tracker, "states": selectors.TrackerState.CHOICES})


# --- the unit's decision options ---------------------------------------------------------------


def _chaired_units(request: HttpRequest) -> list[Unit]:
    units = principal_for(request.user).units_with(Capability.CHAIR_PANEL)
    return list(Unit.objects.filter(pk__in=units).order_by("name"))


def _options_url(unit_id: int) -> str:
    return f"{reverse('panel:decision_options')}?unit={unit_id}"


@requires_capability(Capability.CHAIR_PANEL)
@require_http_methods(["GET", "POST"])
def decision_options(request: HttpRequest) -> HttpResponse:
    units = _chaired_units(request)
    unit = chosen_unit(request, units)
    form = OptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            option = services.decision_option_add(
                actor=request.user,
                unit=unit,
                label=form.cleaned_data["label"],
                description=form.cleaned_data["description"],
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"“{option.label}” is added at the end of the list.")
            return redirect(_options_url(unit.pk))
    options = services.decision_options_for(unit=unit, active_only=False)
    return render(
        request, "panel/items/decision_options.html", {"unit": unit, "units": units, "options": options, "form": form}
    )


@requires_capability(Capability.CHAIR_PANEL)
@require_http_methods(["GET", "POST"])
def decision_option_edit(request: HttpRequest, option_id: str) -> HttpResponse:
    option = selectors.chaired_option_get(user=request.user, option_id=option_id, request=request)
    initial = {"label": option.label, "description": option.description, "active": option.active}
    form = OptionEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and "delete" in request.POST:
        try:
            services.decision_option_delete(actor=request.user, option=option, request=request)
        except ValidationError as error:
            # The refusal is shown over the option as it stands.
            form = OptionEditForm({**initial, "active": "on" if option.active else ""})
            form.is_valid()
            add_service_errors(form, error)
        else:
            messages.success(request, f"“{option.label}” is deleted.")
            return redirect(_options_url(option.unit_id))
    elif request.method == "POST" and form.is_valid():
        try:
            services.decision_option_update(
                actor=request.user,
                option=option,
                label=form.cleaned_data["label"],
                description=form.cleaned_data["description"],
                active=form.cleaned_data["active"],
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "The option is saved.")
            return redirect(_options_url(option.unit_id))
    return render(request, "panel/items/decision_option_edit.html", {"option": option, "form": form})


@requires_capability(Capability.CHAIR_PANEL)
@require_http_methods(["POST"])
def decision_option_move(request: HttpRequest, option_id: str) -> HttpResponse:
    option = selectors.chaired_option_get(user=request.user, option_id=option_id, request=request)
    direction = request.POST.get("direction")
    if direction in ("up", "down"):
        services.decision_option_move(actor=request.user, option=option, up=direction == "up", request=request)
    return redirect(_options_url(option.unit_id))
