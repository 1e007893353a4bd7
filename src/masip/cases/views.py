"""Case pages: the caseload, one case, notes, and break-glass. Thin: reads come from
cases.selectors, writes go through cases.services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from masip.access.decorators import case_permission, reads_audited_together, requires_capability
from masip.access.models import BREAK_GLASS_LIFETIME
from masip.access.policy import Action, Capability, Compartment
from masip.access.principal import principal_for
from masip.cases import selectors, services
from masip.cases.forms import BreakGlassForm, CaseFilterForm, CaseNoteForm
from masip.cases.models import Case
from masip.cases.overview import case_overview_for

CASES_PER_PAGE = 25


@requires_capability(Capability.WORK_CASES)
def case_list(request: HttpRequest) -> HttpResponse:
    filter_form = CaseFilterForm(request.GET or None)
    status = filter_form.cleaned_data["status"] if filter_form.is_valid() else ""
    paginator = Paginator(selectors.case_list_for(user=request.user, status=status), CASES_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    cases = list(page.object_list)
    selectors.case_list_audit(user=request.user, cases=cases, request=request)
    return render(
        request,
        "cases/case_list.html",
        {
            "filter_form": filter_form,
            "page": page,
            "cases": cases,
        },
    )


def _detail_context(request: HttpRequest, case: Case, note_form: CaseNoteForm | None = None) -> dict[str, Any]:
    user = request.user
    offered = selectors.note_compartments_offered(user=user, case=case)
    may_add_note = bool(offered) and principal_for(user).may(case.unit_id, Compartment.TEAM, Action.CREATE)
    overview = case_overview_for(user=user, case=case, request=request)
    return {
        "case": case,
        "overview": overview,
        "team": overview.team,
        "participants": overview.participants,
        "contact_visible": overview.contact_visible,
        "contact_roles": selectors.roles_seeing_victim_contact(),
        "note_form": (note_form or CaseNoteForm(offered=offered)) if may_add_note else None,
        "case_tasks": overview.tasks,
        "status_history": overview.status_history,
        "processes": overview.processes,
        "may_change_case": overview.may_change_case,
        "may_change_status": overview.may_change_status,
        "may_allocate": overview.may_allocate,
        # The evidence section (evidence/_case_section_body.html).
        "items": overview.evidence,
        "total": overview.evidence_total,
        "may_upload": overview.may_upload,
    }


@reads_audited_together
@case_permission(Compartment.TEAM, Action.VIEW)
def case_detail(request: HttpRequest, case: Case) -> HttpResponse:
    """The case overview: who is involved, risk, orders, next review, tasks, the recent timeline, the team."""
    return render(request, "cases/case_detail.html", _detail_context(request, case))


NOTES_PER_PAGE = 50


@reads_audited_together
@case_permission(Compartment.TEAM, Action.VIEW)
def note_list(request: HttpRequest, case: Case) -> HttpResponse:
    """Every note and contact record the user may read on the case, newest first, 50 a page."""
    paginator = Paginator(
        selectors.case_notes_for(user=request.user, case=case).order_by("-created_at", "-pk"), NOTES_PER_PAGE
    )
    page = paginator.get_page(request.GET.get("page"))
    notes = selectors.notes_with_rights(user=request.user, case=case, notes=list(page.object_list))
    may_add_note = principal_for(request.user).may(case.unit_id, Compartment.TEAM, Action.CREATE) and bool(
        selectors.note_compartments_offered(user=request.user, case=case)
    )
    return render(
        request, "cases/notes/list.html", {"case": case, "page": page, "notes": notes, "may_add_note": may_add_note}
    )


@case_permission(Compartment.TEAM, Action.CREATE)
@require_POST
def note_add(request: HttpRequest, case: Case) -> HttpResponse:
    offered = selectors.note_compartments_offered(user=request.user, case=case)
    form = CaseNoteForm(request.POST, offered=offered)
    if form.is_valid():
        try:
            note = services.case_note_add(
                actor=request.user,
                case=case,
                compartment=form.cleaned_data["compartment"],
                body=form.cleaned_data["body"],
                request=request,
            )
        except ValidationError as error:
            form.add_error("body", error)
        else:
            messages.success(
                request,
                f"Note added. Only people allowed the “{note.get_compartment_display()}” compartment can read it.",
            )
            return redirect(reverse("cases:detail", kwargs={"case_id": case.pk}) + "#notes")
    return render(request, "cases/case_detail.html", _detail_context(request, case, form))


@requires_capability(Capability.BREAK_GLASS)
def break_glass(request: HttpRequest, case_id: str) -> HttpResponse:
    case = selectors.case_for_break_glass(user=request.user, case_id=case_id, request=request)
    if selectors.case_is_open_to(user=request.user, case=case):
        return redirect("cases:detail", case_id=case.pk)
    if request.method == "POST":
        form = BreakGlassForm(request.POST)
        if form.is_valid():
            try:
                grant = services.break_glass_open(
                    actor=request.user, case=case, reason=form.cleaned_data["reason"], request=request
                )
            except ValidationError as error:
                form.add_error("reason", error)
            else:
                messages.warning(
                    request,
                    f"You have opened case {case.reference} until {grant.until:%H:%M}. "
                    "Your reason has been recorded and your unit manager has been told.",
                )
                return redirect("cases:detail", case_id=case.pk)
    else:
        services.break_glass_refusal_record(actor=request.user, case=case, request=request)
        form = BreakGlassForm()
    return render(
        request,
        "cases/break_glass.html",
        {"case": case, "form": form, "lifetime_hours": int(BREAK_GLASS_LIFETIME.total_seconds() // 3600)},
    )


@requires_capability(Capability.OVERSEE_UNIT_CASELOAD)
def break_glass_reviews(request: HttpRequest) -> HttpResponse:
    grants = list(selectors.break_glass_grants_to_review(user=request.user))
    selectors.break_glass_review_list_audit(user=request.user, grants=grants, request=request)
    return render(request, "cases/break_glass_reviews.html", {"grants": grants})


@requires_capability(Capability.OVERSEE_UNIT_CASELOAD)
@require_POST
def break_glass_review(request: HttpRequest, grant_id: int) -> HttpResponse:
    grant = selectors.break_glass_grant_for_review(user=request.user, grant_id=grant_id, request=request)
    try:
        services.break_glass_review(actor=request.user, grant=grant, request=request)
    except ValidationError as error:
        messages.info(request, " ".join(error.messages))
    else:
        messages.success(
            request, f"Break-glass access by {grant.user} to case {grant.case.reference} marked as reviewed."
        )
    return redirect("cases:break_glass_reviews")
