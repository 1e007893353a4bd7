"""The unit's screening pages: the queue, one referral's screening with identity matching, the
triage decision and withdrawal. Thin: reads come from referrals.selectors, writes go through
referrals.services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from masip.access.decorators import requires_capability
from masip.access.policy import Capability
from masip.access.principal import principal_for
from masip.cases import selectors as case_selectors
from masip.cases.workflow_forms import NEW_CASE, ReferralAttachForm
from masip.core.forms import add_service_errors
from masip.core.models import StaleEditError
from masip.referrals import selectors, services
from masip.referrals.models import OPEN_STATUSES, Behaviour, Referral, TriageDecision
from masip.referrals.questions import CURRENT_QUESTION_SET
from masip.referrals.screening_forms import (
    ADVICE_REVEAL_ID,
    AssignScreenerForm,
    DecisionForm,
    QueueFilterForm,
    ScreeningForm,
    WithdrawForm,
)

REFERRALS_PER_PAGE = 25
STALE_REFERRAL = (
    "Someone else changed or decided this referral after you opened it. Nothing you entered was saved: "
    "open the referral again to see what was done, then decide whether it still needs your action."
)


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _screen_url(referral: Referral, anchor: str = "") -> str:
    url = reverse("referrals:screen", kwargs={"referral_id": referral.pk})
    return f"{url}#{anchor}" if anchor else url


# The queue ---------------------------------------------------------------------------------


@requires_capability(Capability.TRIAGE_REFERRALS)
def queue(request: HttpRequest) -> HttpResponse:
    user = request.user
    units = principal_for(user).units_with(Capability.TRIAGE_REFERRALS)
    form = QueueFilterForm(request.GET or None, screeners=selectors.triage_members(unit_ids=units))
    if form.is_bound:
        form.is_valid()
    today = timezone.localdate()
    referrals = selectors.screening_queue(user=user, **form.queue_filters(user=user, today=today))
    page = Paginator(referrals, REFERRALS_PER_PAGE).get_page(request.GET.get("page"))
    rows = selectors.queue_rows(page.object_list, today=today)
    selectors.screening_queue_audit(user=user, referrals=[row.referral for row in rows], request=request)
    period_start, period_end = form.period(today=today)
    return render(
        request,
        "referrals/screening/queue.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "several_units": len(units) > 1,
            "counts": selectors.screening_counts(user=user, start=period_start, end=period_end),
            "period_start": period_start,
            "period_end": period_end,
            "filtered": bool(request.GET.keys() - {"page", "period_from", "period_to"}),
        },
    )


# One referral's screening ------------------------------------------------------------------


def _screen_context(
    request: HttpRequest,
    referral: Referral,
    screening_form: ScreeningForm | None = None,
) -> dict[str, Any]:
    user = request.user
    screening = selectors.screening_of(user=user, referral=referral)
    is_open = referral.status in OPEN_STATUSES
    screeners = selectors.triage_members(unit_ids=[referral.unit_id]) if is_open else []
    subjects = selectors.screening_subjects_for(user=user, referral=referral, request=request)
    deadline = selectors.queue_rows([referral])[0]
    return {
        "referral": referral,
        "deadline": deadline,
        "is_open": is_open,
        "screening": screening,
        "screening_form": (screening_form or ScreeningForm(screening=screening)) if is_open else None,
        "question_set": CURRENT_QUESTION_SET,
        "assign_form": AssignScreenerForm(
            initial={"expected_version": referral.version, "screener": referral.screener_id}, screeners=screeners
        )
        if is_open
        else None,
        "user_may_screen": any(s.pk == user.pk for s in screeners),
        "subjects": subjects,
        "contact_roles": selectors.roles_seeing_victim_contact(),
        "behaviours": _behaviour_labels(referral),
    }


def _behaviour_labels(referral: Referral) -> list[str]:
    labels = dict(Behaviour.choices)
    return [str(labels.get(value, value)) for value in referral.behaviours or []]


@requires_capability(Capability.TRIAGE_REFERRALS)
def screen(request: HttpRequest, referral_id: str) -> HttpResponse:
    """The referral as sent, its screener, the screening form and identity matching. A POST
    saves the screening."""
    referral = selectors.referral_for_screening(user=request.user, referral_id=referral_id, request=request)
    form = None
    if request.method == "POST":
        form = ScreeningForm(request.POST)
        if form.is_valid():
            try:
                services.screening_save(
                    actor=request.user, referral=referral, request=request, **form.service_arguments()
                )
            except StaleEditError as stale:
                form.add_error(None, str(stale))
            except ValidationError as error:
                if referral.status not in OPEN_STATUSES:  # decided or withdrawn meanwhile: no form to show
                    messages.error(request, _error_text(error))
                    return redirect(_screen_url(referral, "screening"))
                add_service_errors(form, error)
            else:
                messages.success(request, f"Screening of referral {referral.reference} saved.")
                return redirect(_screen_url(referral, "screening"))
    context = _screen_context(request, referral, form)
    return render(request, "referrals/screening/screen.html", context)


@requires_capability(Capability.TRIAGE_REFERRALS)
@require_POST
def assign(request: HttpRequest, referral_id: str) -> HttpResponse:
    referral = selectors.referral_for_screening(user=request.user, referral_id=referral_id, request=request)
    form = AssignScreenerForm(request.POST, screeners=selectors.triage_members(unit_ids=[referral.unit_id]))
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(_screen_url(referral, "screener"))
    screener = form.screeners[form.cleaned_data["screener"]]
    try:
        services.referral_assign_screener(
            actor=request.user,
            referral=referral,
            screener=screener,
            expected_version=form.cleaned_data["expected_version"],
            request=request,
        )
    except StaleEditError as stale:
        messages.error(request, str(stale))
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        who = "you" if screener.pk == request.user.pk else str(screener)
        messages.success(request, f"Referral {referral.reference} is now with {who} to screen.")
    return redirect(_screen_url(referral, "screener"))


@requires_capability(Capability.TRIAGE_REFERRALS)
@require_POST
def subject_link(request: HttpRequest, referral_id: str, subject_id: str) -> HttpResponse:
    """The screener's decision that a person the referral names is someone the unit knows."""
    referral = selectors.referral_for_screening(user=request.user, referral_id=referral_id, request=request)
    subject = selectors.subject_for_screening(
        user=request.user, referral=referral, subject_id=subject_id, request=request
    )
    anchor = f"subject-{subject.pk}"
    person_id = request.POST.get("person_id", "").strip()
    if not person_id:
        messages.error(request, f"Choose which person {subject.display_name} is, or create a new person.")
        return redirect(_screen_url(referral, anchor))
    person = selectors.person_to_link(user=request.user, subject=subject, person_id=person_id, request=request)
    try:
        services.referral_subject_link(actor=request.user, subject=subject, person=person, request=request)
    except StaleEditError as stale:
        messages.error(request, str(stale))
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, f"{subject.display_name} is linked to the existing person {person.display_name}.")
    return redirect(_screen_url(referral, anchor))


@requires_capability(Capability.TRIAGE_REFERRALS)
@require_POST
def subject_create_person(request: HttpRequest, referral_id: str, subject_id: str) -> HttpResponse:
    """The screener's decision that a person the referral names is nobody the unit knows."""
    referral = selectors.referral_for_screening(user=request.user, referral_id=referral_id, request=request)
    subject = selectors.subject_for_screening(
        user=request.user, referral=referral, subject_id=subject_id, request=request
    )
    try:
        services.referral_subject_create_person(actor=request.user, subject=subject, request=request)
    except StaleEditError as stale:
        messages.error(request, str(stale))
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, f"A new person record was created for {subject.display_name} and linked.")
    return redirect(_screen_url(referral, f"subject-{subject.pk}"))


# Triage decision and withdrawal ------------------------------------------------------------


def _closed(request: HttpRequest, referral: Referral) -> HttpResponse:
    messages.info(
        request,
        f"Referral {referral.reference} is “{referral.get_status_display()}”, so it can no longer be "
        "decided or withdrawn.",
    )
    return redirect(_screen_url(referral))


@requires_capability(Capability.TRIAGE_REFERRALS)
def decide(request: HttpRequest, referral_id: str) -> HttpResponse:
    referral = selectors.referral_for_screening(user=request.user, referral_id=referral_id, request=request)
    # A POST goes to the service even when the referral has closed meanwhile: the person who
    # filled in the form is told that someone else got there first, and nothing is written.
    if request.method != "POST" and referral.status not in OPEN_STATUSES:
        return _closed(request, referral)
    # Open cases about the same victim or perpetrator: an accepted referral may attach there.
    links = case_selectors.triage_case_links(user=request.user, referral=referral, request=request)
    attach_form = None
    if request.method == "POST":
        form = DecisionForm(request.POST)
        if links.open_cases:
            attach_form = ReferralAttachForm(request.POST, cases=links.open_cases)
        accepting = request.POST.get("decision") == TriageDecision.ACCEPTED
        attach_ok = attach_form is None or not accepting or attach_form.is_valid()
        if form.is_valid() and attach_ok:
            data = form.cleaned_data
            outcome = attach_form.cleaned_data["outcome"] if attach_form is not None and accepting else NEW_CASE
            attach_to = None
            if outcome != NEW_CASE:
                attach_to = case_selectors.attachable_case_for(
                    user=request.user, referral=referral, case_id=outcome, request=request
                )
            try:
                services.triage_decide(
                    actor=request.user,
                    referral=referral,
                    decision=data["decision"],
                    reasons=data["reasons"],
                    advice=data["advice"] if data["decision"] == TriageDecision.PARTNER_MANAGED else "",
                    expected_version=data["expected_version"],
                    attach_to=attach_to,
                    request=request,
                )
            except StaleEditError:
                form.add_error(None, STALE_REFERRAL)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                label = referral.get_decision_display()
                if attach_to is not None:
                    messages.success(
                        request,
                        f"Referral {referral.reference} accepted and attached to case {attach_to.reference}. "
                        "No new case was opened.",
                    )
                    return redirect(_screen_url(referral))
                if referral.case is not None:
                    messages.success(
                        request, f"Referral {referral.reference} accepted. Case {referral.case.reference} is open."
                    )
                    return redirect("cases:detail", case_id=referral.case.pk)
                messages.success(request, f"Decision recorded for referral {referral.reference}: {label}.")
                return redirect(_screen_url(referral))
    else:
        form = DecisionForm(initial={"expected_version": referral.version})
        if links.open_cases:
            attach_form = ReferralAttachForm(cases=links.open_cases)
    return render(
        request,
        "referrals/screening/decide.html",
        {
            "referral": referral,
            "form": form,
            "attach_form": attach_form,
            "links": links,
            "advice_reveal_id": ADVICE_REVEAL_ID,
            "partner_managed": TriageDecision.PARTNER_MANAGED.value,
            "unlinked": selectors.unlinked_subjects(user=request.user, referral=referral),
        },
    )


@requires_capability(Capability.TRIAGE_REFERRALS)
def withdraw(request: HttpRequest, referral_id: str) -> HttpResponse:
    referral = selectors.referral_for_screening(user=request.user, referral_id=referral_id, request=request)
    # A POST goes to the service even when the referral has closed meanwhile: the person who
    # filled in the form is told that someone else got there first, and nothing is written.
    if request.method != "POST" and referral.status not in OPEN_STATUSES:
        return _closed(request, referral)
    if request.method == "POST":
        form = WithdrawForm(request.POST)
        if form.is_valid():
            try:
                services.referral_withdraw(
                    actor=request.user,
                    referral=referral,
                    reason=form.cleaned_data["reason"],
                    expected_version=form.cleaned_data["expected_version"],
                    request=request,
                )
            except StaleEditError:
                form.add_error(None, STALE_REFERRAL)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, f"Referral {referral.reference} withdrawn. The reason has been recorded.")
                return redirect("referrals:queue")
    else:
        form = WithdrawForm(initial={"expected_version": referral.version})
    return render(request, "referrals/screening/withdraw.html", {"referral": referral, "form": form})
