"""The partner referrer's pages: a referral made one question per page, saved as a draft at
every step and resumable, then "Your referrals" with the status of each.

Thin: every save goes through `referral_save_draft` (each page replaces only its own part of
`draft_of(referral)`), submission through `referral_submit`, withdrawal through
`referral_withdraw`. A referrer reaches only referrals they made themselves, and of a submitted
one sees only what `selectors.ReferrerView` holds: never the screening, the unit's reasons or
the case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone

from masip.access.decorators import requires_capability
from masip.access.lookup import get_visible_or_404
from masip.access.policy import Capability
from masip.access.principal import principal_for
from masip.accounts.models import Unit
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.core.forms import add_service_errors
from masip.core.models import StaleEditError
from masip.people.models import Gender, validate_nhs_number
from masip.referrals import selectors, services
from masip.referrals.models import (
    OPEN_STATUSES,
    Behaviour,
    Referral,
    ReferralStatus,
    Relationship,
    SubjectRole,
    Urgency,
)
from masip.referrals.referrer_forms import (
    NOT_ASKED,
    AboutForm,
    BehavioursForm,
    ConfirmForm,
    ConsentForm,
    OrdersForm,
    PersonForm,
    QuestionForm,
    RelationshipForm,
    StartForm,
    SummaryForm,
    SuspectKnownForm,
    WithdrawForm,
)
from masip.referrals.services import ReferralDraft, SubjectEntry

STALE_MESSAGE = (
    "This draft was changed in another window after you opened this page, so your answers on this page were "
    "not saved. Reload the page to see the draft as it is now, then enter your answers again."
)
STALE_SUBMIT_MESSAGE = (
    "This draft was changed in another window after you opened this page, so it was not sent. Reload the page "
    "and check your answers again before you send it."
)
STALE_WITHDRAW_MESSAGE = (
    "This referral changed after you opened this page, so it was not withdrawn. Reload the page to see its "
    "status now, then withdraw it again if you still need to."
)

# The question pages in the order a referrer meets them; the check-answers page comes last.
FLOW = (
    "referrals:draft_about",
    "referrals:draft_victims",
    "referrals:draft_suspects",
    "referrals:draft_relationship",
    "referrals:draft_behaviours",
    "referrals:draft_orders",
    "referrals:draft_consent",
    "referrals:draft_summary",
    "referrals:draft_check",
)
ROLE_WORDS = {SubjectRole.VICTIM: "victim", SubjectRole.SUSPECT: "suspect"}


# Finding the user's own referrals ------------------------------------------------------------


def _own_referral(request: HttpRequest, referral_id: Any) -> Referral:
    """The user's own referral, or the same audited 404 for someone else's and for a missing one."""
    return get_visible_or_404(
        selectors.own_referrals(user=request.user).select_related("unit"),
        referral_id,
        user=request.user,
        request=request,
    )


def _audit_read(request: HttpRequest, referral: Referral) -> None:
    audit_record(action=AuditAction.VIEW, actor=request.user, request=request, unit=referral.unit, obj=referral)


def draft_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Call `view` with the user's own draft named by `draft_id` (its showing audited). A draft
    already sent or withdrawn, perhaps from another window, leads to its status page instead."""

    @wraps(view)
    def wrapper(request: HttpRequest, draft_id: str, **kwargs: Any) -> HttpResponse:
        referral = _own_referral(request, draft_id)
        if referral.status != ReferralStatus.DRAFT:
            messages.info(
                request,
                f"Referral {referral.reference} is “{referral.get_status_display()}”, so it can no longer be changed.",
            )
            return redirect("referrals:mine_detail", referral_id=referral.pk)
        if request.method == "GET":
            _audit_read(request, referral)
        return view(request, referral, **kwargs)

    return wrapper


def _url(name: str, referral: Referral, **kwargs: Any) -> str:
    return reverse(name, kwargs={"draft_id": referral.pk, **kwargs})


def _from_check(request: HttpRequest) -> bool:
    return request.GET.get("from") == "check"


def _next_url(request: HttpRequest, page: str, referral: Referral) -> str:
    if _from_check(request):
        return _url("referrals:draft_check", referral)
    return _url(FLOW[FLOW.index(page) + 1], referral)


def _back_url(request: HttpRequest, page: str, referral: Referral) -> str:
    if _from_check(request):
        return _url("referrals:draft_check", referral)
    index = FLOW.index(page)
    return _url(FLOW[index - 1], referral) if index else reverse("referrals:mine")


def _later(request: HttpRequest) -> bool:
    """The referrer chose "Save and come back later" rather than "Continue"."""
    return request.POST.get("action") == "later"


def _save(request: HttpRequest, referral: Referral, form: QuestionForm, draft: ReferralDraft) -> bool | HttpResponse:
    """Save `draft` over the referral at the version the page showed: True when saved.

    False when refused, with the reason on the form (the page is shown again and nothing is
    saved); a redirect when the draft has been sent from another window meanwhile.
    """
    try:
        services.referral_save_draft(
            actor=request.user,
            unit=referral.unit,
            draft=draft,
            referral=referral,
            expected_version=form.cleaned_data["version"],
            request=request,
        )
    except StaleEditError:
        form.add_error(None, STALE_MESSAGE)
        return False
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            messages.info(request, " ".join(error.messages))
            return redirect("referrals:mine_detail", referral_id=referral.pk)
        add_service_errors(form, error)
        return False
    return True


def _saved(request: HttpRequest, referral: Referral, next_url: str) -> HttpResponse:
    if _later(request):
        messages.success(
            request,
            f"Your draft referral {referral.reference} has been saved. Continue it from this page when you are ready.",
        )
        return redirect("referrals:mine")
    return redirect(next_url)


def _render_question(
    request: HttpRequest, referral: Referral, form: Any, *, page: str, title: str, **extra: Any
) -> HttpResponse:
    visible = form.visible_fields()
    return render(
        request,
        "referrals/referrer/question.html",
        {
            "referral": referral,
            "form": form,
            "title": title,
            "single_question": len(visible) == 1,
            "back_url": _back_url(request, page, referral),
            **extra,
        },
    )


# Starting a referral -------------------------------------------------------------------------


@requires_capability(Capability.SUBMIT_REFERRALS)
def start(request: HttpRequest) -> HttpResponse:
    units = list(Unit.objects.filter(pk__in=principal_for(request.user).units_with(Capability.SUBMIT_REFERRALS)))
    units.sort(key=lambda unit: unit.name)
    form = StartForm(request.POST or None, units=units, initial={"unit": units[0].pk} if len(units) == 1 else {})
    if request.method == "POST" and form.is_valid():
        unit = next(u for u in units if u.pk == form.cleaned_data["unit"])
        try:
            referral = services.referral_save_draft(
                actor=request.user, unit=unit, draft=ReferralDraft(), request=request
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            return redirect(_url(FLOW[0], referral))
    return render(request, "referrals/referrer/start.html", {"form": form, "units": units})


# Question pages ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    """A page that asks about one part of the referral."""

    page: str
    title: str
    form_class: type[QuestionForm]
    initial: Callable[[ReferralDraft], dict[str, Any]]
    apply: Callable[[ReferralDraft, dict[str, Any]], ReferralDraft]


def _yes_no(value: str, current: bool | None) -> bool | None:
    return {"yes": True, "no": False, NOT_ASKED: None}.get(value, current)


def _answer(value: bool | None, unanswered: str | None = None) -> str | None:
    return {True: "yes", False: "no"}.get(value, unanswered)  # type: ignore[arg-type]


def _apply_consent(draft: ReferralDraft, data: dict[str, Any]) -> ReferralDraft:
    referral_answer = _yes_no(data.get("consent_to_referral") or "", draft.consent_to_referral)
    sharing_answer = _yes_no(data.get("consent_to_sharing") or "", draft.consent_to_sharing)
    sharing_on = data.get("consent_to_sharing_on")
    return replace(
        draft,
        consent_to_referral=referral_answer,
        consent_to_referral_on=data.get("consent_to_referral_on"),
        consent_to_sharing=sharing_answer,
        consent_to_sharing_on=None if data.get("consent_to_sharing") == NOT_ASKED else sharing_on,
    )


QUESTIONS = {
    q.page: q
    for q in (
        Question(
            "referrals:draft_about",
            "About the referral",
            AboutForm,
            lambda d: {
                "urgency": d.urgency,
                "crime_reference": d.crime_reference,
                "external_reference": d.external_reference,
            },
            lambda d, data: replace(
                d,
                urgency=data.get("urgency") or d.urgency,
                crime_reference=data.get("crime_reference", "").strip(),
                external_reference=data.get("external_reference", "").strip(),
            ),
        ),
        Question(
            "referrals:draft_relationship",
            "Relationship",
            RelationshipForm,
            lambda d: {"relationship": d.relationship},
            lambda d, data: replace(d, relationship=data.get("relationship") or d.relationship),
        ),
        Question(
            "referrals:draft_behaviours",
            "Behaviours so far",
            BehavioursForm,
            lambda d: {"behaviours": list(d.behaviours)},
            lambda d, data: replace(d, behaviours=tuple(data.get("behaviours") or ())),
        ),
        Question(
            "referrals:draft_orders",
            "Existing orders",
            OrdersForm,
            lambda d: {"existing_orders": d.existing_orders},
            lambda d, data: replace(d, existing_orders=data.get("existing_orders", "").strip()),
        ),
        Question(
            "referrals:draft_consent",
            "The victim's consent",
            ConsentForm,
            lambda d: {
                "consent_to_referral": _answer(d.consent_to_referral),
                "consent_to_referral_on": d.consent_to_referral_on,
                "consent_to_sharing": _answer(
                    d.consent_to_sharing, NOT_ASKED if d.consent_to_referral is not None else None
                ),
                "consent_to_sharing_on": d.consent_to_sharing_on,
            },
            _apply_consent,
        ),
        Question(
            "referrals:draft_summary",
            "What has happened",
            SummaryForm,
            lambda d: {"summary": d.summary},
            lambda d, data: replace(d, summary=data.get("summary", "").strip()),
        ),
    )
}


def _question_view(page: str) -> Callable[..., HttpResponse]:
    question = QUESTIONS[page]

    @requires_capability(Capability.SUBMIT_REFERRALS)
    @draft_page
    def view(request: HttpRequest, referral: Referral) -> HttpResponse:
        draft = services.draft_of(referral)
        if request.method == "POST":
            form = question.form_class(request.POST, answers_needed=not _later(request))
            if form.is_valid():
                outcome = _save(request, referral, form, question.apply(draft, form.cleaned_data))
                if outcome is True:
                    return _saved(request, referral, _next_url(request, page, referral))
                if isinstance(outcome, HttpResponse):
                    return outcome
        else:
            form = question.form_class(initial={**question.initial(draft), "version": referral.version})
        return _render_question(request, referral, form, page=page, title=question.title)

    view.__name__ = view.__qualname__ = page.split(":")[1]
    return view


about = _question_view("referrals:draft_about")
relationship = _question_view("referrals:draft_relationship")
behaviours = _question_view("referrals:draft_behaviours")
orders = _question_view("referrals:draft_orders")
consent = _question_view("referrals:draft_consent")
summary = _question_view("referrals:draft_summary")


# Victims and suspects ------------------------------------------------------------------------


def _people(draft: ReferralDraft, role: str) -> list[SubjectEntry]:
    return [entry for entry in draft.subjects if entry.role == role]


def _with_people(draft: ReferralDraft, role: str, people: list[SubjectEntry]) -> ReferralDraft:
    victims = people if role == SubjectRole.VICTIM else _people(draft, SubjectRole.VICTIM)
    suspects = people if role == SubjectRole.SUSPECT else _people(draft, SubjectRole.SUSPECT)
    return replace(draft, subjects=(*victims, *suspects))


def _list_page(role: str) -> str:
    return "referrals:draft_victims" if role == SubjectRole.VICTIM else "referrals:draft_suspects"


def _entry_display(entry: SubjectEntry) -> str:
    if entry.unidentified:
        return "Not identified"
    return " ".join(part for part in (entry.given_name, entry.family_name) if part) or "Name not given"


def _numbered(draft: ReferralDraft, role: str) -> list[tuple[int, SubjectEntry, str]]:
    return [(number, entry, _entry_display(entry)) for number, entry in enumerate(_people(draft, role), start=1)]


def _people_list(request: HttpRequest, referral: Referral, role: str) -> HttpResponse:
    draft = services.draft_of(referral)
    page = _list_page(role)
    people = _numbered(draft, role)
    known_form = None
    if role == SubjectRole.SUSPECT and not people:
        if request.method == "POST":
            known_form = SuspectKnownForm(request.POST, answers_needed=not _later(request))
            if known_form.is_valid():
                known = known_form.cleaned_data["known"]
                if known == "no":
                    unidentified = SubjectEntry(role=SubjectRole.SUSPECT, unidentified=True)
                    outcome = _save(request, referral, known_form, _with_people(draft, role, [unidentified]))
                    if outcome is True:
                        return _saved(request, referral, _next_url(request, page, referral))
                    if isinstance(outcome, HttpResponse):
                        return outcome
                elif _later(request):
                    return _saved(request, referral, "")  # nothing new to keep: the draft is as saved
                else:
                    return redirect(_suffixed(request, _url("referrals:draft_suspect_add", referral)))
        else:
            known_form = SuspectKnownForm(initial={"version": referral.version})
    return render(
        request,
        "referrals/referrer/people.html",
        {
            "referral": referral,
            "role": role,
            "role_word": ROLE_WORDS[SubjectRole(role)],
            "people": people,
            "form": known_form,
            "back_url": _back_url(request, page, referral),
            "next_url": _next_url(request, page, referral),
            "add_url": _suffixed(request, _url(f"{page[:-1]}_add", referral)),
            "change_page": f"{page[:-1]}_change",
            "remove_page": f"{page[:-1]}_remove",
            "from_check": _from_check(request),
        },
    )


def _suffixed(request: HttpRequest, url: str) -> str:
    """`url`, keeping the referrer's way back to the check-answers page."""
    return f"{url}?from=check" if _from_check(request) else url


@requires_capability(Capability.SUBMIT_REFERRALS)
@draft_page
def victims(request: HttpRequest, referral: Referral) -> HttpResponse:
    return _people_list(request, referral, SubjectRole.VICTIM)


@requires_capability(Capability.SUBMIT_REFERRALS)
@draft_page
def suspects(request: HttpRequest, referral: Referral) -> HttpResponse:
    return _people_list(request, referral, SubjectRole.SUSPECT)


def _person_initial(entry: SubjectEntry) -> dict[str, Any]:
    return {
        name: getattr(entry, name)
        for name in (
            "given_name",
            "family_name",
            "date_of_birth",
            "approximate_age",
            "gender",
            "pnc_id",
            "nhs_number",
            "phone",
            "email",
            "address",
        )
    }


def _entry_from(role: str, data: dict[str, Any]) -> SubjectEntry:
    def text(name: str) -> str:
        return str(data.get(name) or "").strip()

    return SubjectEntry(
        role=role,
        given_name=text("given_name"),
        family_name=text("family_name"),
        date_of_birth=data.get("date_of_birth"),
        approximate_age=data.get("approximate_age"),
        gender=text("gender"),
        pnc_id=text("pnc_id") if role == SubjectRole.SUSPECT else "",
        nhs_number=text("nhs_number"),
        phone=text("phone"),
        email=text("email"),
        address=text("address"),
    )


def _gone(request: HttpRequest, referral: Referral, role: str) -> HttpResponse:
    messages.info(
        request,
        f"That {ROLE_WORDS[SubjectRole(role)]} is no longer on this draft: it may have been removed in another "
        "window. Here is the list as it is now.",
    )
    return redirect(_suffixed(request, _url(_list_page(role), referral)))


def _person_page(request: HttpRequest, referral: Referral, role: str, number: int | None) -> HttpResponse:
    draft = services.draft_of(referral)
    people = _people(draft, role)
    word = ROLE_WORDS[SubjectRole(role)]
    if number is not None and not (1 <= number <= len(people) and not people[number - 1].unidentified):
        return _gone(request, referral, role)
    list_url = _suffixed(request, _url(_list_page(role), referral))
    title = f"Add a {word}" if number is None else f"Change the details of {_entry_display(people[number - 1])}"
    if request.method == "POST":
        form = PersonForm(request.POST, role=role, answers_needed=not _later(request))
        if form.is_valid():
            entry = _entry_from(role, form.cleaned_data)
            if number is None:
                # Naming a suspect replaces "the suspect has not been identified".
                people = [p for p in people if not p.unidentified] + [entry]
            else:
                people[number - 1] = entry
            outcome = _save(request, referral, form, _with_people(draft, role, people))
            if outcome is True:
                return _saved(request, referral, list_url)
            if isinstance(outcome, HttpResponse):
                return outcome
    else:
        initial = _person_initial(people[number - 1]) if number is not None else {}
        form = PersonForm(initial={**initial, "version": referral.version}, role=role)
    return render(
        request,
        "referrals/referrer/person.html",
        {"referral": referral, "form": form, "title": title, "role_word": word, "back_url": list_url},
    )


@requires_capability(Capability.SUBMIT_REFERRALS)
@draft_page
def victim_add(request: HttpRequest, referral: Referral) -> HttpResponse:
    return _person_page(request, referral, SubjectRole.VICTIM, None)


@requires_capability(Capability.SUBMIT_REFERRALS)
@draft_page
def victim_change(request: HttpRequest, referral: Referral, number: int) -> HttpResponse:
    return _person_page(request, referral, SubjectRole.VICTIM, number)


@requires_capability(Capability.SUBMIT_REFERRALS)
@draft_page
def suspect_add(request: HttpRequest, referral: Referral) -> HttpResponse:
    return _person_page(request, referral, SubjectRole.SUSPECT, None)


@requires_capability(Capability.SUBMIT_REFERRALS)
@draft_page
def suspect_change(request: HttpRequest, referral: Referral, number: int) -> HttpResponse:
    return _person_page(request, referral, SubjectRole.SUSPECT, number)


def _remove_page(request: HttpRequest, referral: Referral, role: str, number: int) -> HttpResponse:
    draft = services.draft_of(referral)
    people = _people(draft, role)
    if not 1 <= number <= len(people):
        return _gone(request, referral, role)
    name = _entry_display(people[number - 1])
    word = ROLE_WORDS[SubjectRole(role)]
    list_url = _suffixed(request, _url(_list_page(role), referral))
    if request.method == "POST":
        form = ConfirmForm(request.POST)
        if form.is_valid():
            del people[number - 1]
            outcome = _save(request, referral, form, _with_people(draft, role, people))
            if outcome is True:
                messages.success(request, f"{name} has been removed from the {word}s on this referral.")
                return redirect(list_url)
            if isinstance(outcome, HttpResponse):
                return outcome
    else:
        form = ConfirmForm(initial={"version": referral.version})
    return render(
        request,
        "referrals/referrer/remove.html",
        {"referral": referral, "form": form, "name": name, "role_word": word, "back_url": list_url},
    )


@requires_capability(Capability.SUBMIT_REFERRALS)
@draft_page
def victim_remove(request: HttpRequest, referral: Referral, number: int) -> HttpResponse:
    return _remove_page(request, referral, SubjectRole.VICTIM, number)


@requires_capability(Capability.SUBMIT_REFERRALS)
@draft_page
def suspect_remove(request: HttpRequest, referral: Referral, number: int) -> HttpResponse:
    return _remove_page(request, referral, SubjectRole.SUSPECT, number)


# Check answers and submit --------------------------------------------------------------------


def _first_subject(draft: ReferralDraft, test: Callable[[SubjectEntry], bool]) -> tuple[str, int] | None:
    """The role and number (among that role) of the first person `test` picks out."""
    for role in (SubjectRole.VICTIM, SubjectRole.SUSPECT):
        for number, entry in enumerate(_people(draft, role), start=1):
            if test(entry):
                return role, number
    return None


def _invalid_nhs_number(entry: SubjectEntry) -> bool:
    try:
        validate_nhs_number(entry.nhs_number)
    except ValidationError:
        return True
    return False


def _error_links(referral: Referral, draft: ReferralDraft, errors: dict[str, list[str]]) -> list[tuple[str, str]]:
    """Each submission problem with a link to the page that puts it right."""

    def person_url(found: tuple[str, int] | None, anchor: str, fallback: str) -> str:
        if found is None:
            return _url(fallback, referral) + "?from=check"
        role, number = found
        return _url(f"{_list_page(role)[:-1]}_change", referral, number=number) + f"?from=check#{anchor}"

    check = lambda page, anchor="": _url(page, referral) + "?from=check" + anchor  # noqa: E731
    today = timezone.localdate()
    links = {
        "victims": check("referrals:draft_victims"),
        "suspects": check("referrals:draft_suspects"),
        "date_of_birth": person_url(
            _first_subject(draft, lambda e: e.date_of_birth is not None and e.date_of_birth > today),
            "id_date_of_birth_0",
            "referrals:draft_victims",
        ),
        "nhs_number": person_url(
            _first_subject(draft, lambda e: bool(e.nhs_number) and _invalid_nhs_number(e)),
            "id_nhs_number",
            "referrals:draft_victims",
        ),
        "consent_to_referral": check("referrals:draft_consent", "#id_consent_to_referral_0"),
        "consent_to_sharing": check("referrals:draft_consent", "#id_consent_to_sharing_0"),
    }
    return [(message, links.get(name, "")) for name, problems in errors.items() for message in problems]


@requires_capability(Capability.SUBMIT_REFERRALS)
@draft_page
def check_answers(request: HttpRequest, referral: Referral) -> HttpResponse:
    draft = services.draft_of(referral)
    problems: list[tuple[str, str]] = []
    form = ConfirmForm(request.POST or None, initial={"version": referral.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.referral_submit(
                actor=request.user,
                referral=referral,
                expected_version=form.cleaned_data["version"],
                request=request,
            )
        except StaleEditError:
            problems.append((STALE_SUBMIT_MESSAGE, ""))
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                messages.info(request, " ".join(error.messages))
                return redirect("referrals:mine_detail", referral_id=referral.pk)
            problems = _error_links(referral, draft, error.message_dict)
        else:
            return redirect("referrals:submitted", referral_id=referral.pk)
    elif request.method == "POST":
        problems = [(str(message), "") for message in form.non_field_errors() + form.errors.get("version", [])]
    return render(
        request,
        "referrals/referrer/check_answers.html",
        {
            "referral": referral,
            "draft": draft,
            "form": form,
            "problems": problems,
            "victims": _summaries(draft, SubjectRole.VICTIM),
            "suspects": _summaries(draft, SubjectRole.SUSPECT),
            "labels": _labels(draft),
        },
    )


def _labels(draft: ReferralDraft) -> dict[str, str]:
    def answer(value: bool | None) -> str:
        return {True: "Yes", False: "No"}.get(value, "")  # type: ignore[arg-type]

    def given_on(value: bool | None, on: Any) -> str:
        if value is None or on is None:
            return answer(value)
        return f"{answer(value)}, given on {dateformat.format(on, 'j F Y')}"

    sharing = given_on(draft.consent_to_sharing, draft.consent_to_sharing_on)
    return {
        "urgency": Urgency(draft.urgency).label if draft.urgency in Urgency.values else "",
        "relationship": Relationship(draft.relationship).label if draft.relationship in Relationship.values else "",
        "behaviours": "\n".join(Behaviour(b).label for b in draft.behaviours if b in Behaviour.values),
        "no_orders": "None given",
        "consent_to_referral": given_on(draft.consent_to_referral, draft.consent_to_referral_on),
        "consent_to_sharing": sharing or ("Not asked yet" if draft.consent_to_referral is not None else ""),
    }


def _summaries(draft: ReferralDraft, role: str) -> list[dict[str, Any]]:
    """The victims or suspects of the draft as check-answers rows, numbered as their pages are."""
    genders = dict(Gender.choices)
    summaries = []
    for number, entry, name in _numbered(draft, role):
        if entry.date_of_birth is not None:
            age = ("Date of birth", dateformat.format(entry.date_of_birth, "j F Y"))
        elif entry.approximate_age is not None:
            age = ("Approximate age", f"{entry.approximate_age} years")
        else:
            age = ("Date of birth", "")
        rows = [("Name", "" if name == "Name not given" else name), age, ("Gender", genders.get(entry.gender, ""))]
        if role == SubjectRole.SUSPECT:
            rows.append(("PNC ID", entry.pnc_id))
        rows += [
            ("NHS number", entry.nhs_number),
            ("Phone", entry.phone),
            ("Email", entry.email),
            ("Address", entry.address),
        ]
        summaries.append({"number": number, "name": name, "unidentified": entry.unidentified, "rows": rows})
    return summaries


@requires_capability(Capability.SUBMIT_REFERRALS)
def submitted(request: HttpRequest, referral_id: str) -> HttpResponse:
    referral = _own_referral(request, referral_id)
    if referral.status == ReferralStatus.DRAFT:
        return redirect(_url("referrals:draft_check", referral))
    _audit_read(request, referral)
    return render(request, "referrals/referrer/submitted.html", {"referral": selectors.referrer_view(referral)})


# Your referrals ------------------------------------------------------------------------------


@requires_capability(Capability.SUBMIT_REFERRALS)
def mine(request: HttpRequest) -> HttpResponse:
    views = selectors.referrals_of_referrer(user=request.user)
    units = Unit.objects.in_bulk({view.unit_id for view in views})
    for unit_id, unit in units.items():
        audit_record(
            action=AuditAction.VIEW,
            actor=request.user,
            request=request,
            unit=unit,
            object_type=Referral._meta.label_lower,
            detail={"listed": [str(view.id) for view in views if view.unit_id == unit_id]},
        )
    return render(
        request,
        "referrals/referrer/mine.html",
        {
            "drafts": [view for view in views if view.status == ReferralStatus.DRAFT],
            "sent": [view for view in views if view.status != ReferralStatus.DRAFT],
        },
    )


def _withdrawable(referral: Referral) -> bool:
    return referral.status in (ReferralStatus.DRAFT, *OPEN_STATUSES)


@requires_capability(Capability.SUBMIT_REFERRALS)
def mine_detail(request: HttpRequest, referral_id: str) -> HttpResponse:
    referral = _own_referral(request, referral_id)
    _audit_read(request, referral)
    # Only the referrer's view reaches the template: the screening, the unit's reasons and the
    # case stay out of reach of a template change.
    return render(
        request,
        "referrals/referrer/detail.html",
        {"referral": selectors.referrer_view(referral), "withdrawable": _withdrawable(referral)},
    )


@requires_capability(Capability.SUBMIT_REFERRALS)
def withdraw(request: HttpRequest, referral_id: str) -> HttpResponse:
    referral = _own_referral(request, referral_id)
    if not _withdrawable(referral):
        messages.info(
            request,
            f"Referral {referral.reference} is “{referral.get_status_display()}”, so it can no longer be withdrawn.",
        )
        return redirect("referrals:mine_detail", referral_id=referral.pk)
    if request.method == "POST":
        form = WithdrawForm(request.POST)
        if form.is_valid():
            try:
                services.referral_withdraw(
                    actor=request.user,
                    referral=referral,
                    reason=form.cleaned_data["reason"],
                    expected_version=form.cleaned_data["version"],
                    request=request,
                )
            except StaleEditError:
                form.add_error(None, STALE_WITHDRAW_MESSAGE)
            except ValidationError as error:
                if not hasattr(error, "error_dict"):
                    messages.info(request, " ".join(error.messages))
                    return redirect("referrals:mine_detail", referral_id=referral.pk)
                form.add_error("reason", error.message_dict.get("reason", error.messages))
            else:
                messages.success(request, f"Referral {referral.reference} has been withdrawn.")
                return redirect("referrals:mine")
    else:
        _audit_read(request, referral)
        form = WithdrawForm(initial={"version": referral.version})
    return render(
        request,
        "referrals/referrer/withdraw.html",
        {"referral": selectors.referrer_view(referral), "form": form},
    )
