"""Victim safety and support pages. Thin: reads from selectors_safety, writes through
services_safety (which check the policy again)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from masip.access.decorators import case_permission, reads_audited_together
from masip.access.policy import Action, Compartment
from masip.cases.models import Case, CaseParticipant
from masip.core.forms import add_service_errors
from masip.core.models import StaleEditError
from masip.interventions import selectors_safety as selectors
from masip.interventions import services_safety as services
from masip.interventions.forms_safety import (
    AdvocacyContactForm,
    NeedsAssessmentForm,
    SafeContactForm,
    SafetyActionFormSet,
    SafetyPlanForm,
    SupportReferralForm,
    VictimMeasureForm,
)


def _victim_url(case: Case, participant: CaseParticipant, anchor: str = "") -> str:
    url = reverse("interventions:safety_victim", kwargs={"case_id": case.pk, "participant_id": participant.pk})
    return f"{url}#{anchor}" if anchor else url


def _victim(request: HttpRequest, case: Case, participant_id: Any) -> CaseParticipant:
    return selectors.victim_get_for(user=request.user, case=case, participant_id=participant_id, request=request)


@reads_audited_together
@case_permission(Compartment.TEAM, Action.VIEW)
def victim_safety(request: HttpRequest, case: Case, participant_id: Any) -> HttpResponse:
    participant = _victim(request, case, participant_id)
    user = request.user
    context = {
        "case": case,
        "participant": participant,
        "plan": selectors.safety_plan_for(user=user, participant=participant, request=request),
        "contact": selectors.safe_contact_for(user=user, participant=participant, request=request),
        "contact_visible": selectors.may(user, case, Compartment.VICTIM_CONTACT),
        "contact_editable": selectors.may(user, case, Compartment.VICTIM_CONTACT, Action.CHANGE),
        "advocacy_visible": selectors.may(user, case, Compartment.ADVOCACY),
        "may_write": selectors.may(user, case, Compartment.TEAM, Action.CREATE),
        "measures": selectors.victim_measures_for(user=user, participant=participant, request=request),
    }
    return render(request, "interventions/safety/victim.html", context)


@case_permission(Compartment.TEAM, Action.VIEW)
def plan_version(request: HttpRequest, case: Case, participant_id: Any, number: int) -> HttpResponse:
    participant = _victim(request, case, participant_id)
    version = selectors.safety_plan_version_get_for(
        user=request.user, participant=participant, number=number, request=request
    )
    return render(
        request,
        "interventions/safety/plan_version.html",
        {"case": case, "participant": participant, "version": version},
    )


# Saving a revision adds a version and changes nothing already saved: the team's `create` right.
@case_permission(Compartment.TEAM, Action.CREATE)
def plan_revise(request: HttpRequest, case: Case, participant_id: Any) -> HttpResponse:
    participant = _victim(request, case, participant_id)
    team = selectors.case_team_users_for(case=case)
    stale: str | None = None
    if request.method == "POST":
        form = SafetyPlanForm(request.POST)
        actions = SafetyActionFormSet(request.POST, prefix="actions", form_kwargs={"team": team})
        if form.is_valid() and actions.is_valid():
            planned = [
                services.PlannedAction(
                    kind=row.cleaned_data["kind"],
                    description=row.cleaned_data["description"],
                    owner=row.owner_user(),
                    due_on=row.cleaned_data["due_on"],
                    status=row.cleaned_data["status"],
                )
                for row in actions.forms
                if not row.is_blank()
            ]
            try:
                version = services.safety_plan_revise(
                    actor=request.user,
                    participant=participant,
                    based_on=form.cleaned_data["based_on"],
                    risks=form.cleaned_data["risks"],
                    review_on=form.cleaned_data["review_on"],
                    actions=planned,
                    request=request,
                )
            except services.StalePlanError as error:
                # Their entries stay in the form, now based on the current version: saving again
                # knowingly makes theirs the next version (the one they were shown stays readable).
                stale = str(error)
                data = request.POST.copy()
                data["based_on"] = str(error.current)
                form = SafetyPlanForm(data)
                form.is_valid()
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Safety plan saved as version {version.number}.")
                return redirect(_victim_url(case, participant, "plan"))
    else:
        current = selectors.safety_plan_for(user=request.user, participant=participant, request=request).current
        initial_rows: list[dict[str, Any]] = []
        if current is None:
            form = SafetyPlanForm(initial={"based_on": 0})
        else:
            form = SafetyPlanForm(
                initial={"based_on": current.number, "risks": current.risks, "review_on": current.review_on}
            )
            initial_rows = [
                {
                    "kind": a.kind,
                    "description": a.description,
                    "owner": str(a.owner_id),
                    "due_on": a.due_on,
                    "status": a.status,
                }
                for a in current.action_rows  # type: ignore[attr-defined]
            ]
        actions = SafetyActionFormSet(initial=initial_rows, prefix="actions", form_kwargs={"team": team})
    return render(
        request,
        "interventions/safety/plan_form.html",
        {"case": case, "participant": participant, "form": form, "actions": actions, "stale": stale},
        status=409 if stale else 200,
    )


@case_permission(Compartment.VICTIM_CONTACT, Action.CHANGE)
def contact_edit(request: HttpRequest, case: Case, participant_id: Any) -> HttpResponse:
    participant = _victim(request, case, participant_id)
    stale: str | None = None
    if request.method == "POST":
        form = SafeContactForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.safe_contact_save(
                    actor=request.user,
                    participant=participant,
                    expected_version=data["version"],
                    safe_channels=data["safe_channels"],
                    safe_times=data["safe_times"],
                    no_voicemail=data["no_voicemail"],
                    safe_word=data["safe_word"],
                    trusted_third_party=data["trusted_third_party"],
                    request=request,
                )
            except StaleEditError as error:
                stale = str(error)
                current = selectors.safe_contact_for(user=request.user, participant=participant, request=request)
                posted = request.POST.copy()
                posted["version"] = str(current.version if current else 0)
                form = SafeContactForm(posted)
                form.is_valid()
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Safe contact preferences saved.")
                return redirect(_victim_url(case, participant, "contact"))
    else:
        current = selectors.safe_contact_for(user=request.user, participant=participant, request=request)
        if current is None:
            form = SafeContactForm(initial={"version": 0})
        else:
            form = SafeContactForm(
                initial={
                    "version": current.version,
                    "safe_channels": current.safe_channels,
                    "safe_times": current.safe_times,
                    "no_voicemail": current.no_voicemail,
                    "safe_word": current.safe_word,
                    "trusted_third_party": current.trusted_third_party,
                }
            )
    return render(
        request,
        "interventions/safety/contact_form.html",
        {"case": case, "participant": participant, "form": form, "stale": stale},
        status=409 if stale else 200,
    )


@reads_audited_together
@case_permission(Compartment.ADVOCACY, Action.VIEW)
def advocacy_log(request: HttpRequest, case: Case, participant_id: Any) -> HttpResponse:
    participant = _victim(request, case, participant_id)
    log = selectors.advocacy_log_for(user=request.user, participant=participant, request=request)
    return render(
        request,
        "interventions/safety/advocacy.html",
        {
            "case": case,
            "participant": participant,
            "log": log,
            "may_write": selectors.may(request.user, case, Compartment.ADVOCACY, Action.CREATE),
        },
    )


def _record(
    request: HttpRequest,
    case: Case,
    participant_id: Any,
    *,
    form_class: type[Form],
    service: Any,
    title: str,
    done: str,
    back: str,
) -> HttpResponse:
    """The shared shape of a one-form page that records one row for the victim."""
    participant = _victim(request, case, participant_id)
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            service(actor=request.user, participant=participant, request=request, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, done)
            if back == "advocacy":
                return redirect(
                    reverse(
                        "interventions:safety_advocacy", kwargs={"case_id": case.pk, "participant_id": participant.pk}
                    )
                )
            return redirect(_victim_url(case, participant, back))
    return render(
        request,
        "interventions/safety/record_form.html",
        {"case": case, "participant": participant, "form": form, "title": title},
    )


@case_permission(Compartment.ADVOCACY, Action.CREATE)
def advocacy_contact_add(request: HttpRequest, case: Case, participant_id: Any) -> HttpResponse:
    return _record(
        request,
        case,
        participant_id,
        form_class=AdvocacyContactForm,
        service=services.advocacy_contact_record,
        title="Log a support contact",
        done="Support contact logged.",
        back="advocacy",
    )


@case_permission(Compartment.ADVOCACY, Action.CREATE)
def needs_add(request: HttpRequest, case: Case, participant_id: Any) -> HttpResponse:
    return _record(
        request,
        case,
        participant_id,
        form_class=NeedsAssessmentForm,
        service=services.needs_assessment_record,
        title="Record a needs assessment",
        done="Needs assessment recorded.",
        back="advocacy",
    )


@case_permission(Compartment.ADVOCACY, Action.CREATE)
def support_referral_add(request: HttpRequest, case: Case, participant_id: Any) -> HttpResponse:
    return _record(
        request,
        case,
        participant_id,
        form_class=SupportReferralForm,
        service=services.support_referral_record,
        title="Record a referral to other support",
        done="Referral recorded.",
        back="advocacy",
    )


@case_permission(Compartment.TEAM, Action.CREATE)
def measure_add(request: HttpRequest, case: Case, participant_id: Any) -> HttpResponse:
    return _record(
        request,
        case,
        participant_id,
        form_class=VictimMeasureForm,
        service=services.victim_measure_record,
        title="Record what the victim reported",
        done="Victim-reported measures recorded.",
        back="measures",
    )
