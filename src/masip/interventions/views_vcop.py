"""Pages of the Victims' Code part. Thin: reads from selectors_vcop, writes through services_vcop."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from masip.access.decorators import case_permission, reads_audited_together, requires_capability
from masip.access.policy import Action, Capability, Compartment
from masip.access.principal import principal_for
from masip.cases.models import Case
from masip.core.forms import add_service_errors
from masip.core.models import StaleEditError
from masip.interventions import selectors_vcop, services_vcop
from masip.interventions.forms_vcop import EventForm, MarkSentForm, SettingsForm, ViewForm
from masip.interventions.models_vcop import VcopUpdateStatus


@reads_audited_together
@case_permission(Compartment.TEAM, Action.VIEW)
def vcop_index(request: HttpRequest, case: Case) -> HttpResponse:
    """Each victim's agreement, views, and updates to give (overdue ones marked)."""
    victims = selectors_vcop.vcop_page_for(user=request.user, case=case, request=request)
    principal = principal_for(request.user)
    return render(
        request,
        "interventions/vcop/index.html",
        {
            "case": case,
            "victims": victims,
            "may_change": principal.may(case.unit_id, Compartment.TEAM, Action.CHANGE),
            "may_create": principal.may(case.unit_id, Compartment.TEAM, Action.CREATE),
        },
    )


@case_permission(Compartment.TEAM, Action.CHANGE)
@require_http_methods(["GET", "POST"])
def vcop_settings(request: HttpRequest, case: Case, participant_id: str) -> HttpResponse:
    victim = selectors_vcop.victim_get_for(user=request.user, case=case, participant_id=participant_id, request=request)
    current = selectors_vcop.victim_settings_for(user=request.user, participant=victim)
    initial = {
        "enhanced_rights": "yes" if current is None or current.enhanced_rights else "no",
        "enhanced_reason": current.enhanced_reason if current else "",
        "update_frequency": current.update_frequency if current else "",
        "channel": current.channel if current else "",
        "version": current.version if current else None,
    }
    form = SettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services_vcop.vcop_settings_save(
                actor=request.user,
                case=case,
                participant=victim,
                enhanced_rights=data["enhanced_rights"] == "yes",
                enhanced_reason=data["enhanced_reason"],
                update_frequency=data["update_frequency"],
                channel=data["channel"],
                expected_version=data["version"],
                request=request,
            )
        except StaleEditError as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"What was agreed with {victim.person} is saved.")
            return redirect("interventions:vcop_index", case_id=case.pk)
    return render(request, "interventions/vcop/settings.html", {"case": case, "victim": victim, "form": form})


@case_permission(Compartment.TEAM, Action.CREATE)
@require_http_methods(["GET", "POST"])
def vcop_view_add(request: HttpRequest, case: Case, participant_id: str) -> HttpResponse:
    victim = selectors_vcop.victim_get_for(user=request.user, case=case, participant_id=participant_id, request=request)
    form = ViewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services_vcop.vcop_view_record(
                actor=request.user,
                case=case,
                participant=victim,
                topic=data["topic"],
                given_on=data["given_on"],
                views=data["views"],
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{victim.person}'s views are recorded.")
            return redirect("interventions:vcop_index", case_id=case.pk)
    return render(request, "interventions/vcop/view_add.html", {"case": case, "victim": victim, "form": form})


@case_permission(Compartment.TEAM, Action.CREATE)
@require_http_methods(["GET", "POST"])
def vcop_event_add(request: HttpRequest, case: Case) -> HttpResponse:
    """Record by hand an event the legal actions do not record (an interview, a decision not to
    investigate...): each victim's update clock starts."""
    form = EventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services_vcop.vcop_event_record(
                actor=request.user,
                case=case,
                kind=form.cleaned_data["kind"],
                occurred_at=form.occurred_at(),  # type: ignore[arg-type]
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error, field_for={"occurred_at": "occurred_date"})
        else:
            messages.success(request, "Event recorded. Each victim's update is now due: see below.")
            return redirect("interventions:vcop_index", case_id=case.pk)
    return render(request, "interventions/vcop/event_add.html", {"case": case, "form": form})


@case_permission(Compartment.TEAM, Action.CHANGE)
@require_http_methods(["GET", "POST"])
def vcop_update_mark_sent(request: HttpRequest, case: Case, update_id: str) -> HttpResponse:
    update = selectors_vcop.update_get_for(user=request.user, case=case, update_id=update_id, request=request)
    if update.status != VcopUpdateStatus.OPEN:
        messages.info(request, "This update was already recorded as given.")
        return redirect("interventions:vcop_index", case_id=case.pk)
    form = MarkSentForm(request.POST or None, initial={"version": update.version})
    if request.method == "POST" and form.is_valid():
        try:
            services_vcop.vcop_update_mark_sent(
                actor=request.user,
                update=update,
                sent_at=form.sent_at(),  # type: ignore[arg-type]
                channel=form.cleaned_data["channel"],
                summary=form.cleaned_data["summary"],
                expected_version=form.cleaned_data["version"],
                request=request,
            )
        except StaleEditError:
            messages.error(
                request,
                "Someone else recorded this update after you opened it, so yours was not saved. "
                "Check what they recorded below.",
            )
            return redirect("interventions:vcop_index", case_id=case.pk)
        except ValidationError as error:
            add_service_errors(form, error, field_for={"sent_at": "sent_date"})
        else:
            messages.success(request, f"Update to {update.participant.person} recorded as given.")
            return redirect("interventions:vcop_index", case_id=case.pk)
    return render(request, "interventions/vcop/mark_sent.html", {"case": case, "update": update, "form": form})


@reads_audited_together
@requires_capability(Capability.OVERSEE_UNIT_CASELOAD)
def vcop_overdue(request: HttpRequest) -> HttpResponse:
    """Overdue Victims' Code updates on the open cases of the units the manager oversees."""
    updates = selectors_vcop.unit_overdue_updates_for(user=request.user, request=request)
    return render(request, "interventions/vcop/unit_overdue.html", {"updates": updates})
