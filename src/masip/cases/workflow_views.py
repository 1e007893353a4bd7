"""Case workflow pages: status, case team and lead agency, people, parallel processes. Thin:
reads come from cases.selectors, writes go through cases.services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from masip.access.decorators import case_permission, requires_capability
from masip.access.policy import Action, Capability, Compartment
from masip.cases import selectors, services
from masip.cases.models import Case, ProcessKind
from masip.cases.workflow_forms import (
    LeadAgencyForm,
    ParticipantCreateForm,
    ParticipantLinkForm,
    PersonSearchForm,
    ProcessAddForm,
    ProcessEndForm,
    StatusChangeForm,
    TeamAllocateForm,
    VersionForm,
)
from masip.core.forms import add_service_errors
from masip.core.models import StaleEditError
from masip.people.matching import PersonDetails


def _case_url(case: Case, anchor: str) -> str:
    return reverse("cases:detail", kwargs={"case_id": case.pk}) + f"#{anchor}"


def _form_errors(form: forms.Form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


# Status ------------------------------------------------------------------------------------


@case_permission(Compartment.TEAM, Action.CHANGE)
def status_change(request: HttpRequest, case: Case) -> HttpResponse:
    """The case's status, its history and, for its leads, the moves it can make next."""
    may_change = services.may_change_status(actor=request.user, case=case)
    offered = services.allowed_transitions(case.status)
    form = None
    conflict = ""
    if may_change:
        if request.method == "POST":
            form = StatusChangeForm(request.POST, offered=offered)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    services.case_transition(
                        actor=request.user,
                        case=case,
                        to=data["to"],
                        reason=data["reason"],
                        closure_reason=data["closure_reason"],
                        risk_at_closure=data["risk_at_closure"],
                        expected_version=data["expected_version"],
                        request=request,
                    )
                except StaleEditError as stale:
                    # Show the case as it is now, with the moves it can make now, and say who changed it.
                    conflict = str(stale)
                    case.refresh_from_db()
                    offered = services.allowed_transitions(case.status)
                    form = StatusChangeForm(offered=offered, initial={"expected_version": case.version})
                except ValidationError as error:
                    add_service_errors(form, error)
                else:
                    messages.success(request, f"Case {case.reference} is now “{case.get_status_display()}”.")
                    return redirect(_case_url(case, "status"))
        else:
            form = StatusChangeForm(offered=offered, initial={"expected_version": case.version})
    elif request.method == "POST":
        raise PermissionDenied(
            "Only the case's lead investigator, lead clinician or the unit manager can change its status."
        )
    return render(
        request,
        "cases/workflow/status.html",
        {
            "case": case,
            "form": form,
            "conflict": conflict,
            "offered": offered,
            "history": selectors.case_status_history_for(case=case),
        },
    )


# Case team and lead agency -----------------------------------------------------------------


def _team_page(
    request: HttpRequest,
    case: Case,
    allocate_form: TeamAllocateForm | None = None,
    agency_form: LeadAgencyForm | None = None,
) -> HttpResponse:
    members = selectors.allocatable_members(case=case)
    return render(
        request,
        "cases/workflow/team.html",
        {
            "case": case,
            "members": selectors.case_team_history_for(case=case),
            "allocate_form": allocate_form or TeamAllocateForm(members=members),
            "agency_form": agency_form
            or LeadAgencyForm(initial={"agency": case.lead_agency_id, "expected_version": case.version}),
        },
    )


@requires_capability(Capability.ALLOCATE_CASES)
def team(request: HttpRequest, case_id: str) -> HttpResponse:
    """Allocate and reallocate the case team (unit manager)."""
    case = selectors.case_for_allocation(user=request.user, case_id=case_id, request=request)
    if request.method != "POST":
        return _team_page(request, case)
    form = TeamAllocateForm(request.POST, members=selectors.allocatable_members(case=case))
    if form.is_valid():
        user = form.members[form.cleaned_data["user"]]
        try:
            member = services.case_team_allocate(
                actor=request.user,
                case=case,
                user=user,
                role_on_case=form.cleaned_data["role_on_case"],
                purpose=form.cleaned_data["purpose"],
                request=request,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{user} joined case {case.reference} as {member.get_role_on_case_display()}.")
            return redirect(reverse("cases:team", kwargs={"case_id": case.pk}))
    return _team_page(request, case, allocate_form=form)


@requires_capability(Capability.ALLOCATE_CASES)
@require_POST
def team_end(request: HttpRequest, case_id: str, member_id: int) -> HttpResponse:
    case = selectors.case_for_allocation(user=request.user, case_id=case_id, request=request)
    member = selectors.team_member_for(user=request.user, case=case, member_id=member_id, request=request)
    try:
        services.case_team_end(actor=request.user, member=member, request=request)
    except ValidationError as error:
        messages.info(request, " ".join(error.messages))
    else:
        messages.success(request, f"{member.user} has left the team of case {case.reference}. The record is kept.")
    return redirect(reverse("cases:team", kwargs={"case_id": case.pk}))


@requires_capability(Capability.ALLOCATE_CASES)
@require_POST
def lead_agency(request: HttpRequest, case_id: str) -> HttpResponse:
    case = selectors.case_for_allocation(user=request.user, case_id=case_id, request=request)
    form = LeadAgencyForm(request.POST)
    if form.is_valid():
        try:
            services.case_set_lead_agency(
                actor=request.user,
                case=case,
                agency=form.cleaned_data["agency"],
                expected_version=form.cleaned_data["expected_version"],
                request=request,
            )
        except StaleEditError as stale:
            form.add_error(None, str(stale))
        else:
            messages.success(request, f"The lead agency of case {case.reference} is now {case.lead_agency}.")
            return redirect(reverse("cases:team", kwargs={"case_id": case.pk}))
    return _team_page(request, case, agency_form=form)


# People on the case ------------------------------------------------------------------------


@case_permission(Compartment.TEAM, Action.CHANGE)
def participant_add(request: HttpRequest, case: Case) -> HttpResponse:
    """Find a person of the unit by name and add them, or record a new person and add them."""
    search = PersonSearchForm(request.GET or None)
    candidates = []
    if search.is_bound and search.is_valid():
        candidates = selectors.people_to_add(
            user=request.user,
            case=case,
            given_name=search.cleaned_data["given_name"],
            family_name=search.cleaned_data["family_name"],
            request=request,
        )
    link_form: ParticipantLinkForm | None = None
    create_form = ParticipantCreateForm(initial=dict(search.data.items()) if search.is_bound else None)
    if request.method == "POST":
        if request.POST.get("action") == "create":
            create_form = ParticipantCreateForm(request.POST)
            if create_form.is_valid():
                data = create_form.cleaned_data
                try:
                    participant = services.case_participant_add_new_person(
                        actor=request.user,
                        case=case,
                        details=PersonDetails(
                            given_name=data["given_name"],
                            family_name=data["family_name"],
                            date_of_birth=data["date_of_birth"],
                        ),
                        role=data["role"],
                        relationship=data["relationship"],
                        request=request,
                    )
                except ValidationError as error:
                    add_service_errors(create_form, error)
                else:
                    return _added(request, case, participant)
        else:
            link_form = ParticipantLinkForm(request.POST)
            if link_form.is_valid():
                person = selectors.person_to_add(
                    user=request.user, case=case, person_id=link_form.cleaned_data["person_id"], request=request
                )
                try:
                    participant = services.case_participant_add(
                        actor=request.user,
                        case=case,
                        person=person,
                        role=link_form.cleaned_data["role"],
                        relationship=link_form.cleaned_data["relationship"],
                        request=request,
                    )
                except ValidationError as error:
                    add_service_errors(link_form, error)
                else:
                    return _added(request, case, participant)
    return render(
        request,
        "cases/workflow/participant_add.html",
        {
            "case": case,
            "search": search,
            "candidates": candidates,
            "link_form": link_form or ParticipantLinkForm(),
            "link_errors": link_form.errors if link_form is not None else None,
            "create_form": create_form,
        },
    )


def _added(request: HttpRequest, case: Case, participant: Any) -> HttpResponse:
    messages.success(
        request,
        f"{participant.person.display_name} added to case {case.reference} as "
        f"{participant.get_role_display().lower()}.",
    )
    return redirect(_case_url(case, "people"))


@case_permission(Compartment.TEAM, Action.CHANGE)
@require_POST
def participant_end(request: HttpRequest, case: Case, participant_id: str) -> HttpResponse:
    participant = selectors.participant_for(
        user=request.user, case=case, participant_id=participant_id, request=request
    )
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect(_case_url(case, "people"))
    try:
        services.case_participant_end(
            actor=request.user,
            participant=participant,
            expected_version=form.cleaned_data["expected_version"],
            request=request,
        )
    except (StaleEditError, ValidationError) as error:
        messages.error(request, " ".join(error.messages) if isinstance(error, ValidationError) else str(error))
    else:
        messages.success(
            request, f"{participant.person.display_name}'s part in this case has ended. The record is kept."
        )
    return redirect(_case_url(case, "people"))


# Parallel processes ------------------------------------------------------------------------


@case_permission(Compartment.TEAM, Action.CHANGE)
def process_add(request: HttpRequest, case: Case) -> HttpResponse:
    form = ProcessAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            process = services.case_process_add(actor=request.user, case=case, request=request, **data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"{process.get_kind_display()} recorded on case {case.reference}.")
            return redirect(_case_url(case, "processes"))
    return render(request, "cases/workflow/process_add.html", {"case": case, "form": form, "kinds": ProcessKind})


@case_permission(Compartment.TEAM, Action.CHANGE)
@require_POST
def process_end(request: HttpRequest, case: Case, process_id: str) -> HttpResponse:
    process = selectors.process_for(user=request.user, case=case, process_id=process_id, request=request)
    form = ProcessEndForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return redirect(_case_url(case, "processes"))
    try:
        services.case_process_end(
            actor=request.user,
            process=process,
            ended_on=form.cleaned_data["ended_on"],
            expected_version=form.cleaned_data["expected_version"],
            request=request,
        )
    except StaleEditError as stale:
        messages.error(request, str(stale))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{process.get_kind_display()} marked as ended.")
    return redirect(_case_url(case, "processes"))
