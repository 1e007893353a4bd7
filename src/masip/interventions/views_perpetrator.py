"""Pages of perpetrator interventions: the case's list, one intervention (add, see, edit), a
treatment programme with its sessions and attendance, and the clinician's suitability
decisions. Thin: reads come from selectors_perpetrator, writes go through services_perpetrator
(which check the policy again)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from masip.access.decorators import case_permission, reads_audited_together
from masip.access.policy import Action, Compartment
from masip.cases.models import Case
from masip.core.forms import add_service_errors
from masip.core.models import StaleEditError
from masip.interventions import selectors_perpetrator as selectors
from masip.interventions import services_perpetrator as services
from masip.interventions.forms_perpetrator import (
    AttendanceForm,
    InterventionEditForm,
    InterventionForm,
    ProgrammePlanForm,
    SuitabilityForm,
)
from masip.interventions.models_perpetrator import PerpetratorIntervention


def _list_url(case: Case) -> str:
    return reverse("interventions:perpetrator_list", kwargs={"case_id": case.pk})


def _programme_url(programme: PerpetratorIntervention) -> str:
    return reverse(
        "interventions:perpetrator_programme", kwargs={"case_id": programme.case_id, "programme_id": programme.pk}
    )


@reads_audited_together
@case_permission(Compartment.TEAM, Action.VIEW)
def intervention_list(request: HttpRequest, case: Case) -> HttpResponse:
    interventions = selectors.perpetrator_interventions_for(user=request.user, case=case, request=request)
    clinical = selectors.may_read_clinical(user=request.user, case=case)
    decisions = selectors.suitability_decisions_for(user=request.user, case=case, request=request) if clinical else []
    return render(
        request,
        "interventions/perpetrator/list.html",
        {
            "case": case,
            "interventions": interventions,
            "may_add": bool(services.intervention_kinds_offered(user=request.user, case=case)),
            "clinical": clinical,
            "current_decisions": [d for d in decisions if d.superseded_by_id is None],
        },
    )


def _form_kwargs(request: HttpRequest, case: Case) -> dict[str, Any]:
    return {
        "participants": services.perpetrator_participants(case=case),
        "kinds": services.intervention_kinds_offered(user=request.user, case=case),
        "offered": services.intervention_compartments_offered(user=request.user, case=case),
    }


@case_permission(Compartment.TEAM, Action.CREATE)
def intervention_add(request: HttpRequest, case: Case) -> HttpResponse:
    kwargs = _form_kwargs(request, case)
    if request.method == "POST":
        form = InterventionForm(request.POST, **kwargs)
        if form.is_valid():
            try:
                intervention = services.perpetrator_intervention_create(
                    actor=request.user, case=case, draft=form.draft(), request=request
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    f"Intervention recorded. Only people allowed the “{intervention.get_compartment_display()}” "
                    "compartment can read it.",
                )
                return redirect(_list_url(case))
    else:
        form = InterventionForm(**kwargs)
    return render(
        request,
        "interventions/perpetrator/form.html",
        {"case": case, "form": form, "adding": True, "participants": kwargs["participants"]},
    )


@reads_audited_together
@case_permission(Compartment.TEAM, Action.VIEW)
def intervention_detail(request: HttpRequest, case: Case, intervention_id: str) -> HttpResponse:
    intervention = selectors.perpetrator_intervention_get_for(
        user=request.user, case=case, intervention_id=intervention_id, request=request
    )
    return render(
        request,
        "interventions/perpetrator/detail.html",
        {
            "case": case,
            "intervention": intervention,
            "may_edit": services.perpetrator_intervention_may_edit(actor=request.user, intervention=intervention),
        },
    )


@case_permission(Compartment.TEAM, Action.CREATE)
def intervention_edit(request: HttpRequest, case: Case, intervention_id: str) -> HttpResponse:
    intervention = selectors.perpetrator_intervention_get_for(
        user=request.user, case=case, intervention_id=intervention_id, request=request
    )
    if not services.perpetrator_intervention_may_edit(actor=request.user, intervention=intervention):
        raise PermissionDenied("Only its author, or a role allowed to change records in its compartment, can edit it.")
    kwargs = _form_kwargs(request, case)
    conflict: PerpetratorIntervention | None = None
    changed: list[str] = []
    if request.method == "POST":
        form = InterventionEditForm(request.POST, **kwargs)
        if form.is_valid():
            try:
                intervention = services.perpetrator_intervention_update(
                    actor=request.user,
                    intervention=intervention,
                    expected_version=form.cleaned_data["version"],
                    draft=form.draft(),
                    request=request,
                )
            except StaleEditError as stale:
                conflict = stale.current
                changed = _differences(form, conflict)
                # The editor's values stay in the form; sending them again replaces the version
                # they have just been shown, knowingly.
                data = request.POST.copy()
                data["version"] = str(conflict.version)
                form = InterventionEditForm(data, **kwargs)
                form.is_valid()
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, "Your change was saved.")
                return redirect("interventions:perpetrator_detail", case_id=case.pk, intervention_id=intervention.pk)
    else:
        form = InterventionEditForm(initial=InterventionForm.initial_for(intervention), **kwargs)
    return render(
        request,
        "interventions/perpetrator/form.html",
        {
            "case": case,
            "form": form,
            "intervention": intervention,
            "conflict": conflict,
            "changed": changed,
            "adding": False,
            "participants": kwargs["participants"],
        },
        status=409 if conflict is not None else 200,
    )


def _differences(form: InterventionForm, current: PerpetratorIntervention) -> list[str]:
    """The labels of the fields where the saved intervention now differs from what the editor sent."""
    theirs = InterventionForm.initial_for(current)
    mine = form.cleaned_data
    labels = []
    for name, field in form.fields.items():
        if name == "version" or (name == "compartment" and not mine.get(name)):
            continue
        if (theirs[name] or "") != (mine.get(name) or ""):
            labels.append(str(field.label))
    return labels


@reads_audited_together
@case_permission(Compartment.HEALTH, Action.VIEW)
def programme(request: HttpRequest, case: Case, programme_id: str) -> HttpResponse:
    found = selectors.perpetrator_programme_get_for(
        user=request.user, case=case, programme_id=programme_id, request=request
    )
    sessions = selectors.programme_sessions_for(user=request.user, programme=found, request=request)
    return render(
        request,
        "interventions/perpetrator/programme.html",
        {
            "case": case,
            "programme": found,
            "sessions": sessions,
            "summary": services.attendance_summary(sessions),
            "plan_form": None if sessions else ProgrammePlanForm(initial={"first_on": found.started_on}),
        },
    )


@case_permission(Compartment.HEALTH, Action.CREATE)
def programme_plan(request: HttpRequest, case: Case, programme_id: str) -> HttpResponse:
    found = selectors.perpetrator_programme_get_for(
        user=request.user, case=case, programme_id=programme_id, request=request
    )
    form = ProgrammePlanForm(request.POST or None, initial={"first_on": found.started_on})
    if request.method == "POST" and form.is_valid():
        try:
            sessions = services.perpetrator_programme_plan(
                actor=request.user,
                programme=found,
                first_on=form.cleaned_data["first_on"],
                weekly=form.cleaned_data["weekly"],
                follow_up_weeks=form.cleaned_data["follow_up_weeks"],
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{len(sessions)} sessions planned.")
            return redirect(_programme_url(found))
    return render(request, "interventions/perpetrator/plan.html", {"case": case, "programme": found, "form": form})


@case_permission(Compartment.HEALTH, Action.CREATE)
def session_attendance(request: HttpRequest, case: Case, programme_id: str, session_id: str) -> HttpResponse:
    found = selectors.perpetrator_programme_get_for(
        user=request.user, case=case, programme_id=programme_id, request=request
    )
    session = selectors.programme_session_get_for(
        user=request.user, programme=found, session_id=session_id, request=request
    )
    stale = False
    if request.method == "POST":
        form = AttendanceForm(request.POST)
        if form.is_valid():
            try:
                services.perpetrator_session_record(
                    actor=request.user,
                    session=session,
                    expected_version=form.cleaned_data["version"],
                    attendance=form.cleaned_data["attendance"],
                    note=form.cleaned_data["note"],
                    request=request,
                )
            except StaleEditError as error:
                stale = True
                form.add_error(None, str(error))
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Attendance recorded for {session}.")
                return redirect(_programme_url(found))
    else:
        form = AttendanceForm(
            initial={"version": session.version, "attendance": session.attendance, "note": session.note}
        )
    return render(
        request,
        "interventions/perpetrator/attendance.html",
        {"case": case, "programme": found, "session": session, "form": form},
        status=409 if stale else 200,
    )


@reads_audited_together
@case_permission(Compartment.HEALTH, Action.VIEW)
def suitability(request: HttpRequest, case: Case) -> HttpResponse:
    decisions = selectors.suitability_decisions_for(user=request.user, case=case, request=request)
    return render(
        request,
        "interventions/perpetrator/suitability.html",
        {
            "case": case,
            "decisions": decisions,
            "may_decide": selectors.may_decide_suitability(user=request.user, case=case),
        },
    )


@case_permission(Compartment.HEALTH, Action.CHANGE)
def suitability_decide(request: HttpRequest, case: Case) -> HttpResponse:
    participants = services.perpetrator_participants(case=case)
    form = SuitabilityForm(request.POST or None, participants=participants)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.perpetrator_suitability_decide(
                actor=request.user,
                case=case,
                participant_id=data["participant"],
                decision=data["decision"],
                reasons=data["reasons"],
                decided_on=data["decided_on"],
                review_on=data["review_on"],
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, "Decision recorded. Any earlier decision is kept, marked as superseded.")
            return redirect("interventions:perpetrator_suitability", case_id=case.pk)
    return render(
        request,
        "interventions/perpetrator/decide.html",
        {"case": case, "form": form, "participants": participants},
    )
