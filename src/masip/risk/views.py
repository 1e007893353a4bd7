"""Assessment pages, on a case (/cases/<case_id>/risk/) and on a referral at screening
(/referrals/<referral_id>/assessments/): the list, starting one, answering it (draft or
complete), the completed result, and raising its level. Thin: reads come from risk.selectors,
writes go through risk.services (which check the policy again)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from masip.access.decorators import case_permission, requires_capability
from masip.access.policy import Action, Capability, Compartment
from masip.cases.models import Case, CaseStatus
from masip.core.forms import add_service_errors
from masip.core.models import StaleEditError
from masip.referrals.selectors import referral_for_screening
from masip.risk import selectors, services
from masip.risk.definition import ScoringMethod, score
from masip.risk.forms import AssessmentForm, RaiseForm, field_name
from masip.risk.instrument_selectors import instruments_offered
from masip.risk.models import Assessment, AssessmentStatus


@dataclass(frozen=True)
class Place:
    """Where the assessments are: a case, or a referral being screened."""

    case: Case | None = None
    referral: Any = None
    kwargs: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of_case(cls, case: Case) -> Place:
        return cls(case=case, kwargs={"case_id": case.pk})

    @classmethod
    def of_referral(cls, referral: Any) -> Place:
        return cls(referral=referral, kwargs={"referral_id": referral.pk})

    @property
    def namespace(self) -> str:
        return "risk" if self.case is not None else "risk_referral"

    @property
    def unit(self) -> Any:
        return self.case.unit if self.case is not None else self.referral.unit

    @property
    def title(self) -> str:
        return f"Case {self.case.reference}" if self.case is not None else f"Referral {self.referral.reference}"

    @property
    def back_url(self) -> str:
        if self.case is not None:
            return reverse("cases:detail", kwargs={"case_id": self.case.pk})
        return reverse("referrals:screen", kwargs={"referral_id": self.referral.pk})

    @property
    def open(self) -> bool:
        from masip.referrals.models import OPEN_STATUSES

        if self.case is not None:
            return bool(self.case.status != CaseStatus.CLOSED)
        return self.referral.status in OPEN_STATUSES

    def url(self, name: str, assessment: Assessment | None = None) -> str:
        kwargs = dict(self.kwargs)
        if assessment is not None:
            kwargs["assessment_id"] = assessment.pk
        return reverse(f"{self.namespace}:{name}", kwargs=kwargs)

    def urls(self, assessment: Assessment | None = None) -> dict[str, str]:
        names = ("assessments", "assessment_start")
        urls = {name: self.url(name) for name in names}
        if assessment is not None:
            for name in ("assessment", "assessment_edit", "assessment_raise"):
                urls[name] = self.url(name, assessment)
        return urls


def _moved(place: Place, assessment: Assessment, name: str) -> HttpResponse | None:
    """A screening assessment that has joined a case is kept, and changed, on the case's pages."""
    if place.case is None and assessment.case_id is not None:
        return redirect(f"risk:{name}", case_id=assessment.case_id, assessment_id=assessment.pk)
    return None


# List and start ------------------------------------------------------------------------------


def _list(request: HttpRequest, place: Place, assessments: list[Assessment]) -> HttpResponse:
    rows = [(a, place.url("assessment", a)) for a in assessments]
    offered = instruments_offered(user=request.user, unit=place.unit, case=place.case) if place.open else []
    return render(
        request,
        "risk/assessments/list.html",
        {"place": place, "case": place.case, "rows": rows, "may_start": bool(offered), "urls": place.urls()},
    )


def _start(request: HttpRequest, place: Place) -> HttpResponse:
    offered = instruments_offered(user=request.user, unit=place.unit, case=place.case)
    if request.method == "POST":
        version = selectors.instrument_version_offered(
            user=request.user, unit=place.unit, version_id=request.POST.get("instrument_version", "")
        )
        if version is None:
            messages.error(
                request,
                "That instrument is not offered to you here (it may have been withdrawn). Choose one from the list.",
            )
        else:
            try:
                assessment = services.assessment_start(
                    actor=request.user,
                    instrument_version=version,
                    case=place.case,
                    referral=place.referral,
                    request=request,
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, f"{version.instrument.name} started. Answer what you can and save a draft.")
                return redirect(place.url("assessment_edit", assessment))
    return render(
        request,
        "risk/assessments/start.html",
        {"place": place, "case": place.case, "offered": offered, "open": place.open, "urls": place.urls()},
    )


@case_permission(Compartment.TEAM, Action.VIEW)
def assessment_list(request: HttpRequest, case: Case) -> HttpResponse:
    return _list(
        request, Place.of_case(case), selectors.assessment_list_for(user=request.user, case=case, request=request)
    )


@case_permission(Compartment.TEAM, Action.CREATE)
def assessment_start(request: HttpRequest, case: Case) -> HttpResponse:
    return _start(request, Place.of_case(case))


def _referral(request: HttpRequest, referral_id: str) -> Place:
    return Place.of_referral(referral_for_screening(user=request.user, referral_id=referral_id, request=request))


@requires_capability(Capability.TRIAGE_REFERRALS)
def referral_assessment_list(request: HttpRequest, referral_id: str) -> HttpResponse:
    place = _referral(request, referral_id)
    items = selectors.referral_assessment_list_for(user=request.user, referral=place.referral, request=request)
    return _list(request, place, items)


@requires_capability(Capability.TRIAGE_REFERRALS)
def referral_assessment_start(request: HttpRequest, referral_id: str) -> HttpResponse:
    return _start(request, _referral(request, referral_id))


# One assessment: the result, and raising its level -------------------------------------------


def _detail(
    request: HttpRequest, place: Place, assessment: Assessment, raise_form: RaiseForm | None = None, status: int = 200
) -> HttpResponse:
    definition = assessment.instrument_version.parsed
    completed = assessment.status == AssessmentStatus.COMPLETED
    result = selectors.assessment_result(assessment) if completed else None
    may_raise = services.assessment_may_raise(actor=request.user, assessment=assessment) and place.open
    if may_raise and raise_form is None:
        raise_form = RaiseForm(initial={"version": assessment.version})
    return render(
        request,
        "risk/assessments/detail.html",
        {
            "place": place,
            "case": place.case,
            "assessment": assessment,
            "definition": definition,
            "result": result,
            "next_steps": selectors.assessment_next_steps(user=request.user, assessment=assessment, result=result)
            if result is not None
            else [],
            "answers": selectors.answers_shown(definition, assessment.answers),
            "may_edit": services.assessment_may_edit(actor=request.user, assessment=assessment) and place.open,
            "raise_form": raise_form if may_raise else None,
            "urls": place.urls(assessment),
        },
        status=status,
    )


@case_permission(Compartment.TEAM, Action.VIEW)
def assessment_detail(request: HttpRequest, case: Case, assessment_id: str) -> HttpResponse:
    assessment = selectors.assessment_get_for(
        user=request.user, case=case, assessment_id=assessment_id, request=request
    )
    return _detail(request, Place.of_case(case), assessment)


@requires_capability(Capability.TRIAGE_REFERRALS)
def referral_assessment_detail(request: HttpRequest, referral_id: str, assessment_id: str) -> HttpResponse:
    place = _referral(request, referral_id)
    assessment = selectors.referral_assessment_get_for(
        user=request.user, referral=place.referral, assessment_id=assessment_id, request=request
    )
    return _moved(place, assessment, "assessment") or _detail(request, place, assessment)


def _raise(request: HttpRequest, place: Place, assessment: Assessment) -> HttpResponse:
    if request.method != "POST" or assessment.status != AssessmentStatus.COMPLETED:
        return redirect(place.url("assessment", assessment))
    form = RaiseForm(request.POST)
    if form.is_valid():
        try:
            raised = services.assessment_raise(
                actor=request.user,
                assessment=assessment,
                expected_version=form.cleaned_data["version"],
                level=form.cleaned_data["level"],
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except StaleEditError as stale:
            data = request.POST.copy()
            data["version"] = str(stale.current.version)
            return _detail(request, place, stale.current, _refilled(data, str(stale)), status=409)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Level raised to {raised.get_level_display()}, with your reasons.")
            return redirect(place.url("assessment", assessment))
    return _detail(request, place, assessment, form)


def _refilled(data: Any, message: str) -> RaiseForm:
    form = RaiseForm(data)
    form.is_valid()
    form.add_error(None, message)
    return form


@case_permission(Compartment.TEAM, Action.CHANGE)
def assessment_raise(request: HttpRequest, case: Case, assessment_id: str) -> HttpResponse:
    assessment = selectors.assessment_get_for(
        user=request.user, case=case, assessment_id=assessment_id, request=request
    )
    return _raise(request, Place.of_case(case), assessment)


@requires_capability(Capability.TRIAGE_REFERRALS)
def referral_assessment_raise(request: HttpRequest, referral_id: str, assessment_id: str) -> HttpResponse:
    place = _referral(request, referral_id)
    assessment = selectors.referral_assessment_get_for(
        user=request.user, referral=place.referral, assessment_id=assessment_id, request=request
    )
    return _moved(place, assessment, "assessment") or _raise(request, place, assessment)


# Answering: save a draft, or complete ----------------------------------------------------------


def _edit(request: HttpRequest, place: Place, assessment: Assessment) -> HttpResponse:
    if assessment.status != AssessmentStatus.DRAFT:
        messages.error(
            request,
            "This assessment is completed and cannot be changed. To record a higher level, raise the level; "
            "for new answers, start a new assessment.",
        )
        return redirect(place.url("assessment", assessment))
    if not services.assessment_may_edit(actor=request.user, assessment=assessment):
        raise PermissionDenied(
            "Only the assessor can change or complete this draft. Start your own assessment if you need one."
        )
    definition = assessment.instrument_version.parsed
    conflict: Assessment | None = None
    if request.method == "POST":
        form = AssessmentForm(request.POST, definition=definition)
        if form.is_valid():
            completing = request.POST.get("action") == "complete"
            try:
                if completing:
                    services.assessment_complete(
                        actor=request.user,
                        assessment=assessment,
                        expected_version=form.cleaned_data["version"],
                        answers=form.answers(),
                        rationale=form.cleaned_data["rationale"],
                        judgement_level=form.cleaned_data["judgement_level"] or None,
                        judgement_reason=form.cleaned_data["judgement_reason"],
                        request=request,
                    )
                else:
                    services.assessment_save_draft(
                        actor=request.user,
                        assessment=assessment,
                        expected_version=form.cleaned_data["version"],
                        answers=form.answers(),
                        request=request,
                    )
            except StaleEditError as stale:
                # The assessor's entries stay in the form; saving again now replaces what they
                # have just been told about, knowingly.
                conflict = stale.current
                data = request.POST.copy()
                data["version"] = str(conflict.version)
                form = AssessmentForm(data, definition=definition)
                form.is_valid()
            except ValidationError as error:
                add_service_errors(form, error, {item.id: field_name(item.id) for item in definition.items})
            else:
                if completing:
                    messages.success(request, "Assessment completed.")
                    return redirect(place.url("assessment", assessment))
                messages.success(request, "Draft saved. Come back to it to answer the rest and complete it.")
                return redirect(place.url("assessment_edit", assessment))
    else:
        form = AssessmentForm(initial=AssessmentForm.initial_for(assessment), definition=definition)
    so_far = score(definition, assessment.answers) if definition.method != ScoringMethod.NONE else None
    return render(
        request,
        "risk/assessments/edit.html",
        {
            "place": place,
            "case": place.case,
            "assessment": assessment,
            "definition": definition,
            "form": form,
            "conflict": conflict,
            "so_far": so_far,
            "urls": place.urls(assessment),
            "now": timezone.now(),
        },
        status=409 if conflict is not None else 200,
    )


@case_permission(Compartment.TEAM, Action.CREATE)
def assessment_edit(request: HttpRequest, case: Case, assessment_id: str) -> HttpResponse:
    assessment = selectors.assessment_get_for(
        user=request.user, case=case, assessment_id=assessment_id, request=request
    )
    return _edit(request, Place.of_case(case), assessment)


@requires_capability(Capability.TRIAGE_REFERRALS)
def referral_assessment_edit(request: HttpRequest, referral_id: str, assessment_id: str) -> HttpResponse:
    place = _referral(request, referral_id)
    assessment = selectors.referral_assessment_get_for(
        user=request.user, referral=place.referral, assessment_id=assessment_id, request=request
    )
    return _moved(place, assessment, "assessment_edit") or _edit(request, place, assessment)
