"""The partner referrer's pages, driven as a referrer drives them: the question pages, saving and
coming back, checking answers, sending, and following the referral in "Your referrals"."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse
from django.utils import timezone

from masip.accounts.models import Role
from masip.audit.models import AuditAction, AuditEvent
from masip.referrals.models import Referral, ReferralStatus, ReferralSubject, SubjectRole, Urgency
from masip.referrals.services import (
    ReferralDraft,
    SubjectEntry,
    draft_of,
    referral_save_draft,
    screening_save,
    triage_decide,
)
from tests.conftest import verified_client
from tests.factories import MembershipFactory, UnitFactory, member

from .helpers import VICTIM, complete_draft, referrer_in, submitted_referral

pytestmark = pytest.mark.django_db


def _fresh(referral: Referral) -> Referral:
    return Referral.unscoped.get(pk=referral.pk)


def _url(name: str, referral: Referral, **kwargs: Any) -> str:
    return reverse(f"referrals:{name}", kwargs={"draft_id": referral.pk, **kwargs})


def _version_on(client: Client, url: str) -> str:
    """The draft version a page was opened at, as a browser would send it back."""
    response = client.get(url)
    assert response.status_code == 200, url
    found = re.search(r'name="version" value="(\d+)"', response.content.decode())
    assert found, f"no version on {url}"
    return found.group(1)


def _post(client: Client, url: str, data: dict[str, Any], *, later: bool = False) -> Any:
    """Open the page, then send it with the version it showed (Continue, or Save and come back later)."""
    version = _version_on(client, url)
    return client.post(url, {"version": version, "action": "later" if later else "continue", **data})


def _date(prefix: str, day: date | tuple[Any, Any, Any] | None) -> dict[str, Any]:
    if day is None:
        return {f"{prefix}_day": "", f"{prefix}_month": "", f"{prefix}_year": ""}
    d, m, y = (day.day, day.month, day.year) if isinstance(day, date) else day
    return {f"{prefix}_day": d, f"{prefix}_month": m, f"{prefix}_year": y}


def _errors(response: Any) -> str:
    """The text of the page's error summary (empty when there is none)."""
    html = response.content.decode()
    found = re.search(r'<div class="govuk-error-summary".*?</ul>', html, re.S)
    return found.group(0) if found else ""


VICTIM_FORM = {
    "given_name": "Alice",
    "family_name": "Hart",
    **_date("date_of_birth", date(1990, 4, 12)),
    "approximate_age": "",
    "gender": "female",
    "nhs_number": "",
    "phone": "07700 900111",
    "email": "alice@example.org",
    "address": "1 High Street, Anytown",
}


def _start(client: Client) -> Referral:
    response = client.post(reverse("referrals:start"))
    assert response.status_code == 302
    draft_id = resolve(response["Location"]).kwargs["draft_id"]
    return Referral.unscoped.get(pk=draft_id)


# The whole path ------------------------------------------------------------------------------


def test_a_referrer_makes_a_referral_page_by_page_saves_it_for_later_and_sends_it() -> None:
    unit = UnitFactory()
    referrer = referrer_in(unit)
    client = verified_client(referrer)

    home = client.get(reverse("home")).content.decode()
    assert reverse("referrals:start") in home
    assert reverse("referrals:mine") in home
    start = client.get(reverse("referrals:start"))
    assert unit.name in start.content.decode()

    response = client.post(reverse("referrals:start"), {"unit": unit.pk})
    draft = Referral.unscoped.get(referred_by=referrer)
    assert draft.status == ReferralStatus.DRAFT
    assert response["Location"] == _url("draft_about", draft)

    response = _post(
        client,
        _url("draft_about", draft),
        {"urgency": Urgency.URGENT, "crime_reference": "CR/77/26", "external_reference": "IDVA-1"},
    )
    assert response["Location"] == _url("draft_victims", draft)
    assert "You have not added a victim yet" in client.get(_url("draft_victims", draft)).content.decode()

    response = _post(client, _url("draft_victim_add", draft), VICTIM_FORM)
    assert response["Location"] == _url("draft_victims", draft)
    assert "Alice Hart" in client.get(_url("draft_victims", draft)).content.decode()

    # The suspect is known; the referrer starts on their details and is called away.
    response = _post(client, _url("draft_suspects", draft), {"known": "yes"})
    assert response["Location"] == _url("draft_suspect_add", draft)
    response = _post(
        client,
        _url("draft_suspect_add", draft),
        {"given_name": "Robert", "family_name": "Mason", **_date("date_of_birth", None), "pnc_id": "99/123456A"},
        later=True,
    )
    assert response["Location"] == reverse("referrals:mine")
    mine = client.get(reverse("referrals:mine")).content.decode()
    assert f"Your draft referral {draft.reference} has been saved" in mine
    assert _url("draft_check", draft) in mine  # Continue

    # Coming back: what was entered is all there.
    saved = draft_of(_fresh(draft))
    assert saved.urgency == Urgency.URGENT
    assert saved.crime_reference == "CR/77/26"
    assert [(s.role, s.given_name, s.date_of_birth) for s in saved.subjects] == [
        (SubjectRole.VICTIM, "Alice", date(1990, 4, 12)),
        (SubjectRole.SUSPECT, "Robert", None),
    ]
    check = client.get(_url("draft_check", draft)).content.decode()
    assert "Alice Hart" in check
    assert "Robert Mason" in check
    assert "99/123456A" in check

    response = _post(client, _url("draft_relationship", draft), {"relationship": "ex_intimate"})
    assert response["Location"] == _url("draft_behaviours", draft)
    response = _post(client, _url("draft_behaviours", draft), {"behaviours": ["following", "turning_up"]})
    assert response["Location"] == _url("draft_orders", draft)
    response = _post(client, _url("draft_orders", draft), {"existing_orders": "Non-molestation order to 2027"})
    assert response["Location"] == _url("draft_consent", draft)
    # The consent page is skipped for now: the check page will send the referrer back to it.
    response = _post(client, _url("draft_summary", draft), {"summary": "Follows her home from work every day."})
    assert response["Location"] == _url("draft_check", draft)

    # Sending without the victim's consent answer: refused, with a link to the page that fixes it.
    response = _post(client, _url("draft_check", draft), {})
    assert response.status_code == 200
    errors = _errors(response)
    assert "Record whether the victim consents to this referral." in errors
    assert f'href="{_url("draft_consent", draft)}?from=check#id_consent_to_referral_0"' in errors
    assert _fresh(draft).status == ReferralStatus.DRAFT

    # Following the link and answering brings the referrer back to check their answers.
    consent_url = _url("draft_consent", draft) + "?from=check"
    today = timezone.localdate()
    response = _post(
        client,
        consent_url,
        {
            "consent_to_referral": "yes",
            **_date("consent_to_referral_on", today),
            "consent_to_sharing": "yes",
            **_date("consent_to_sharing_on", today),
        },
    )
    assert response["Location"] == _url("draft_check", draft)

    response = _post(client, _url("draft_check", draft), {})
    assert response["Location"] == reverse("referrals:submitted", kwargs={"referral_id": draft.pk})
    sent = _fresh(draft)
    assert sent.status == ReferralStatus.RECEIVED
    assert sent.behaviours == ["following", "turning_up"]
    assert sent.consent_to_sharing is True
    assert sent.consent_to_sharing_on == today
    confirmation = client.get(response["Location"]).content.decode()
    assert "Referral sent" in confirmation
    assert sent.reference in confirmation

    mine = client.get(reverse("referrals:mine")).content.decode()
    assert sent.reference in mine
    assert "Received" in mine
    assert "Drafts not yet sent" not in mine
    # A sent referral can no longer be changed from its question pages.
    response = client.get(_url("draft_about", draft))
    assert response["Location"] == reverse("referrals:mine_detail", kwargs={"referral_id": draft.pk})


def test_a_referrer_of_several_units_chooses_one_and_cannot_forge_another() -> None:
    first, second, elsewhere = UnitFactory(name="North Unit"), UnitFactory(name="South Unit"), UnitFactory()
    referrer = referrer_in(first)
    MembershipFactory(user=referrer, unit=second, role=Role.PARTNER_REFERRER)
    client = verified_client(referrer)
    page = client.get(reverse("referrals:start")).content.decode()
    assert "North Unit" in page
    assert "South Unit" in page

    response = client.post(reverse("referrals:start"), {"unit": elsewhere.pk})
    assert response.status_code == 200
    assert "Choose one of the units listed." in _errors(response)
    assert not Referral.unscoped.filter(referred_by=referrer).exists()

    response = client.post(reverse("referrals:start"), {"unit": second.pk})
    assert response.status_code == 302
    assert Referral.unscoped.get(referred_by=referrer).unit == second


# People on the referral ----------------------------------------------------------------------


def test_an_unidentified_suspect_is_a_valid_referral() -> None:
    unit = UnitFactory()
    referrer = referrer_in(unit)
    client = verified_client(referrer)
    draft = referral_save_draft(actor=referrer, unit=unit, draft=complete_draft(subjects=(VICTIM,)))

    response = _post(client, _url("draft_suspects", draft), {}, later=True)
    assert response["Location"] == reverse("referrals:mine")
    response = _post(client, _url("draft_suspects", draft), {})
    assert "Choose whether you know who the suspect is." in _errors(response)
    response = _post(client, _url("draft_suspects", draft), {"known": "no"})
    assert response["Location"] == _url("draft_relationship", draft)
    assert "The suspect has not been identified" in client.get(_url("draft_suspects", draft)).content.decode()
    assert "The suspect has not been identified" in client.get(_url("draft_check", draft)).content.decode()

    response = _post(client, _url("draft_check", draft), {})
    assert response.status_code == 302
    suspect = ReferralSubject.unscoped.get(referral=draft, role=SubjectRole.SUSPECT)
    assert suspect.unidentified
    assert _fresh(draft).status == ReferralStatus.RECEIVED


def test_naming_the_suspect_later_replaces_not_identified() -> None:
    unit = UnitFactory()
    referrer = referrer_in(unit)
    client = verified_client(referrer)
    draft = referral_save_draft(
        actor=referrer,
        unit=unit,
        draft=complete_draft(subjects=(VICTIM, SubjectEntry(role=SubjectRole.SUSPECT, unidentified=True))),
    )
    _post(client, _url("draft_suspect_add", draft), {"given_name": "Robert", **_date("date_of_birth", None)})
    suspects = list(ReferralSubject.unscoped.filter(referral=draft, role=SubjectRole.SUSPECT))
    assert [(s.unidentified, s.given_name) for s in suspects] == [(False, "Robert")]


def test_victims_are_added_changed_and_removed_without_touching_other_answers() -> None:
    unit = UnitFactory()
    referrer = referrer_in(unit)
    client = verified_client(referrer)
    draft = referral_save_draft(actor=referrer, unit=unit, draft=complete_draft())
    _post(client, _url("draft_victim_add", draft), {**VICTIM_FORM, "given_name": "Beth", "family_name": "Hart"})
    _post(
        client,
        _url("draft_victim_change", draft, number=1),
        {**VICTIM_FORM, "given_name": "Alicia", **_date("date_of_birth", None), "approximate_age": "34"},
    )
    names = [(s.given_name, s.approximate_age) for s in draft_of(_fresh(draft)).subjects if s.role == "victim"]
    assert names == [("Alicia", 34), ("Beth", None)]

    page = client.get(_url("draft_victim_remove", draft, number=1)).content.decode()
    assert "Remove Alicia Hart from the victims?" in page
    response = _post(client, _url("draft_victim_remove", draft, number=1), {})
    assert response["Location"] == _url("draft_victims", draft)
    after = draft_of(_fresh(draft))
    assert [s.given_name for s in after.subjects] == ["Beth", "Robert"]
    # Other pages' answers are untouched by the people pages.
    assert after.summary == complete_draft().summary
    assert after.behaviours == complete_draft().behaviours
    # A victim who is no longer there (removed in another window) leads back to the list.
    response = client.get(_url("draft_victim_change", draft, number=5))
    assert response["Location"] == _url("draft_victims", draft)


def test_a_victim_needs_a_name_to_continue_but_not_to_save_for_later() -> None:
    unit = UnitFactory()
    referrer = referrer_in(unit)
    client = verified_client(referrer)
    draft = referral_save_draft(actor=referrer, unit=unit, draft=ReferralDraft())
    blank = {**VICTIM_FORM, "given_name": "", "family_name": ""}
    response = _post(client, _url("draft_victim_add", draft), blank)
    assert "Enter the victim&#x27;s first name or last name." in _errors(response)
    assert not ReferralSubject.unscoped.filter(referral=draft).exists()
    response = _post(client, _url("draft_victim_add", draft), blank, later=True)
    assert response["Location"] == reverse("referrals:mine")
    assert ReferralSubject.unscoped.filter(referral=draft).count() == 1


# Dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ((31, 2, 2023), "Date of birth must be a real date: there is no 31 February 2023"),
        ((12, 13, 1990), "Date of birth must be a real date: the month must be from 1 to 12."),
        (("", 4, 1990), "Date of birth must include a day."),
        ((12, "", ""), "Date of birth must include a month and year."),
        (("1st", 4, 1990), "Date of birth must be a real date, in numbers"),
        ((12, 4, 90), "The year of the date of birth must have 4 numbers"),
        ((12, 4, 1850), "Date of birth must be in 1900 or later."),
    ],
)
def test_impossible_dates_of_birth_are_refused_with_a_clear_message(typed: tuple[Any, ...], message: str) -> None:
    unit = UnitFactory()
    referrer = referrer_in(unit)
    client = verified_client(referrer)
    draft = referral_save_draft(actor=referrer, unit=unit, draft=ReferralDraft())
    response = _post(client, _url("draft_victim_add", draft), {**VICTIM_FORM, **_date("date_of_birth", typed)})
    assert response.status_code == 200
    errors = _errors(response)
    assert message in errors
    # The summary links to the day box, which is on the page and marked as wrong.
    assert 'href="#id_date_of_birth_0"' in errors
    day_box = re.search(r'<input class="([^"]*)"[^>]*id="id_date_of_birth_0"', response.content.decode())
    assert day_box is not None
    assert "govuk-input--error" in day_box.group(1)
    assert not ReferralSubject.unscoped.filter(referral=draft).exists()
    assert _fresh(draft).version == draft.version


def test_future_dates_are_refused() -> None:
    unit = UnitFactory()
    referrer = referrer_in(unit)
    client = verified_client(referrer)
    draft = referral_save_draft(actor=referrer, unit=unit, draft=ReferralDraft())
    tomorrow = timezone.localdate() + timedelta(days=1)

    response = _post(client, _url("draft_victim_add", draft), {**VICTIM_FORM, **_date("date_of_birth", tomorrow)})
    assert "Date of birth must be today or in the past." in _errors(response)

    response = _post(
        client,
        _url("draft_consent", draft),
        {
            "consent_to_referral": "yes",
            **_date("consent_to_referral_on", tomorrow),
            "consent_to_sharing": "no",
            **_date("consent_to_sharing_on", None),
        },
    )
    errors = _errors(response)
    assert "The date of consent to the referral must be today or in the past." in errors
    assert "Enter the date the victim gave their answer about information sharing." in errors
    assert _fresh(draft).consent_to_referral is None


def test_a_date_of_birth_after_the_referral_date_is_sent_back_to_that_person() -> None:
    # Entered before the date input existed (or through another channel): the check page names
    # the person and links to the page that fixes it.
    unit = UnitFactory()
    referrer = referrer_in(unit)
    client = verified_client(referrer)
    late = SubjectEntry(role=SubjectRole.SUSPECT, given_name="Robert", date_of_birth=date(2999, 1, 1))
    bad_nhs = SubjectEntry(role=SubjectRole.VICTIM, given_name="Alice", nhs_number="123 456 7890")
    draft = referral_save_draft(actor=referrer, unit=unit, draft=complete_draft(subjects=(bad_nhs, late)))
    response = _post(client, _url("draft_check", draft), {})
    errors = _errors(response)
    assert "The date of birth of Robert is after the referral date." in errors
    assert f'href="{_url("draft_suspect_change", draft, number=1)}?from=check#id_date_of_birth_0"' in errors
    assert "The NHS number of Alice is not a valid NHS number." in errors
    assert f'href="{_url("draft_victim_change", draft, number=1)}?from=check#id_nhs_number"' in errors
    assert _fresh(draft).status == ReferralStatus.DRAFT


def test_the_check_page_links_each_missing_part_to_its_page() -> None:
    unit = UnitFactory()
    referrer = referrer_in(unit)
    client = verified_client(referrer)
    draft = referral_save_draft(actor=referrer, unit=unit, draft=ReferralDraft())
    errors = _errors(_post(client, _url("draft_check", draft), {}))
    assert f'<a href="{_url("draft_victims", draft)}?from=check">Add at least one victim' in errors
    assert f'<a href="{_url("draft_suspects", draft)}?from=check">Add the suspect' in errors
    assert f'href="{_url("draft_consent", draft)}?from=check#id_consent_to_referral_0"' in errors


# Two windows ---------------------------------------------------------------------------------


def test_a_page_saved_from_a_stale_window_is_refused_and_says_so() -> None:
    unit = UnitFactory()
    referrer = referrer_in(unit)
    client = verified_client(referrer)
    draft = referral_save_draft(actor=referrer, unit=unit, draft=complete_draft())
    url = _url("draft_summary", draft)
    first_window = _version_on(client, url)
    second_window = _version_on(client, url)

    response = client.post(url, {"version": first_window, "action": "continue", "summary": "From window one."})
    assert response.status_code == 302
    response = client.post(url, {"version": second_window, "action": "continue", "summary": "From window two."})
    assert response.status_code == 200
    assert "This draft was changed in another window" in _errors(response)
    assert "your answers on this page were not saved" in _errors(response)
    assert _fresh(draft).summary == "From window one."

    # Removing a victim in one window, then changing them in another: refused, nothing lost.
    change_url = _url("draft_victim_change", draft, number=1)
    old = _version_on(client, change_url)
    _post(client, _url("draft_victim_remove", draft, number=1), {})
    response = client.post(change_url, {"version": old, "action": "continue", **VICTIM_FORM})
    assert response.status_code == 302  # the victim is gone: back to the list, with a message
    assert response["Location"] == _url("draft_victims", draft)
    assert not ReferralSubject.unscoped.filter(referral=draft, role=SubjectRole.VICTIM).exists()


def test_sending_from_a_stale_check_page_is_refused() -> None:
    unit = UnitFactory()
    referrer = referrer_in(unit)
    client = verified_client(referrer)
    draft = referral_save_draft(actor=referrer, unit=unit, draft=complete_draft())
    old = _version_on(client, _url("draft_check", draft))
    _post(client, _url("draft_orders", draft), {"existing_orders": "Bail: no contact"})
    response = client.post(_url("draft_check", draft), {"version": old})
    assert "it was not sent" in _errors(response)
    assert _fresh(draft).status == ReferralStatus.DRAFT


def test_a_page_without_its_version_is_refused_without_an_error_page() -> None:
    unit = UnitFactory()
    referrer = referrer_in(unit)
    client = verified_client(referrer)
    draft = referral_save_draft(actor=referrer, unit=unit, draft=complete_draft())
    response = client.post(_url("draft_summary", draft), {"summary": "No version", "version": "x"})
    assert response.status_code == 200
    assert "This page is out of date" in _errors(response)
    assert _fresh(draft).summary == complete_draft().summary


# Access --------------------------------------------------------------------------------------


def test_nobody_else_opens_your_draft_or_referral() -> None:
    unit = UnitFactory()
    owner = referrer_in(unit)
    draft = referral_save_draft(actor=owner, unit=unit, draft=complete_draft())
    sent = submitted_referral(unit=unit, referrer=owner)
    colleague = referrer_in(unit)
    # A screener of the same unit sees the referral in the queue, but not as its referrer.
    screener = member(Role.CLINICIAN, unit=unit)
    for other in (colleague, screener):
        client = verified_client(other)
        urls = [
            _url("draft_about", draft),
            _url("draft_victim_change", draft, number=1),
            _url("draft_check", draft),
            reverse("referrals:mine_detail", kwargs={"referral_id": sent.pk}),
            reverse("referrals:submitted", kwargs={"referral_id": sent.pk}),
            reverse("referrals:mine_withdraw", kwargs={"referral_id": sent.pk}),
        ]
        for url in urls:
            before = AuditEvent.objects.count()
            assert client.get(url).status_code == 404, url
            denied = AuditEvent.objects.filter(action=AuditAction.DENIED, actor=other).order_by("-seq").first()
            assert denied is not None
            assert AuditEvent.objects.count() == before + 1
            assert denied.object_id in (str(draft.pk), str(sent.pk))
        response = client.post(
            _url("draft_summary", draft), {"version": draft.version, "action": "continue", "summary": "Changed"}
        )
        assert response.status_code == 404
        assert sent.reference not in client.get(reverse("referrals:mine")).content.decode()
    assert _fresh(draft).summary == complete_draft().summary


def test_roles_without_referrals_are_refused() -> None:
    unit = UnitFactory()
    analyst = member(Role.ANALYST, unit=unit)
    client = verified_client(analyst)
    assert client.get(reverse("referrals:start")).status_code == 403
    assert client.get(reverse("referrals:mine")).status_code == 403
    assert reverse("referrals:start") not in client.get(reverse("home")).content.decode()


def test_reading_a_referral_is_audited() -> None:
    unit = UnitFactory()
    referrer = referrer_in(unit)
    referral = submitted_referral(unit=unit, referrer=referrer)
    client = verified_client(referrer)
    client.get(reverse("referrals:mine_detail", kwargs={"referral_id": referral.pk}))
    client.get(reverse("referrals:mine"))
    views = AuditEvent.objects.filter(actor=referrer, action=AuditAction.VIEW).order_by("seq")
    assert [(e.object_id, e.unit_id) for e in views] == [(str(referral.pk), unit.pk), ("", unit.pk)]
    assert views.last().detail["listed"] == [str(referral.pk)]  # type: ignore[union-attr]


# What the referrer sees of the unit's work ---------------------------------------------------


def test_the_referrer_sees_status_decision_and_advice_never_the_screening_or_reasons(
    django_capture_on_commit_callbacks: Any,
) -> None:
    unit = UnitFactory()
    referrer = referrer_in(unit)
    referral = submitted_referral(unit=unit, referrer=referrer)
    screener = member(Role.CLINICIAN, unit=unit)
    client = verified_client(referrer)
    detail_url = reverse("referrals:mine_detail", kwargs={"referral_id": referral.pk})

    screening_save(
        actor=screener,
        referral=referral,
        fixated="yes",
        obsessive="yes",
        unwanted="yes",
        repeated="yes",
        answers={},
        notes="SCREENING NOTE: suspect has a knife conviction",
    )
    assert "Being screened" in client.get(reverse("referrals:mine")).content.decode()
    assert "Being screened" in client.get(detail_url).content.decode()

    referral = _fresh(referral)
    with django_capture_on_commit_callbacks(execute=True):
        triage_decide(
            actor=screener,
            referral=referral,
            decision="partner_managed",
            reasons="UNIT REASONS: low concern after screening",
            advice="Complete a safety plan with the victim and refer again if the visits resume.",
            expected_version=referral.version,
        )
    for url in (reverse("referrals:mine"), detail_url):
        page = client.get(url).content.decode()
        assert "Partner-managed with unit advice" in page
        assert "SCREENING NOTE" not in page
        assert "knife" not in page
        assert "UNIT REASONS" not in page
        assert "Messages every night" not in page  # nor the description the unit works from
    assert "Complete a safety plan with the victim" in client.get(detail_url).content.decode()
    # The email tells the referrer where to read the advice, without the advice itself.
    [message] = mail.outbox
    assert reverse("referrals:mine") in message.body
    assert "safety plan" not in message.body


def test_an_accepted_referral_shows_the_decision_but_not_the_case() -> None:
    unit = UnitFactory()
    referrer = referrer_in(unit)
    referral = submitted_referral(unit=unit, referrer=referrer)
    screener = member(Role.CLINICIAN, unit=unit)
    decided = triage_decide(
        actor=screener,
        referral=referral,
        decision="accepted",
        reasons="UNIT REASONS: escalating",
        expected_version=referral.version,
    )
    page = verified_client(referrer).get(reverse("referrals:mine_detail", kwargs={"referral_id": referral.pk}))
    html = page.content.decode()
    assert "Accepted for unit risk management" in html
    assert decided.case is not None
    assert decided.case.reference not in html
    assert str(decided.case.pk) not in html
    assert "UNIT REASONS" not in html


# Withdrawing ---------------------------------------------------------------------------------


def test_a_referrer_withdraws_a_draft_or_an_undecided_referral_with_a_reason() -> None:
    unit = UnitFactory()
    referrer = referrer_in(unit)
    client = verified_client(referrer)
    draft = referral_save_draft(actor=referrer, unit=unit, draft=complete_draft())
    sent = submitted_referral(unit=unit, referrer=referrer)

    url = reverse("referrals:mine_withdraw", kwargs={"referral_id": sent.pk})
    response = _post(client, url, {"reason": "  "})
    assert "Enter why you are withdrawing the referral." in _errors(response)
    assert _fresh(sent).status == ReferralStatus.RECEIVED

    response = _post(client, url, {"reason": "Victim has moved to another force area."})
    assert response["Location"] == reverse("referrals:mine")
    assert _fresh(sent).status == ReferralStatus.WITHDRAWN
    event = AuditEvent.objects.filter(object_id=str(sent.pk), action=AuditAction.CHANGE).order_by("-seq").first()
    assert event is not None
    assert event.justification == "Victim has moved to another force area."

    _post(client, reverse("referrals:mine_withdraw", kwargs={"referral_id": draft.pk}), {"reason": "Duplicate"})
    assert _fresh(draft).status == ReferralStatus.WITHDRAWN
    mine = client.get(reverse("referrals:mine")).content.decode()
    assert "Withdrawn" in mine
    # A withdrawn draft cannot be taken up again.
    response = client.get(_url("draft_about", draft))
    assert response["Location"] == reverse("referrals:mine_detail", kwargs={"referral_id": draft.pk})


def test_a_decided_referral_cannot_be_withdrawn() -> None:
    unit = UnitFactory()
    referrer = referrer_in(unit)
    referral = submitted_referral(unit=unit, referrer=referrer)
    triage_decide(
        actor=member(Role.CLINICIAN, unit=unit),
        referral=referral,
        decision="signposted",
        reasons="Signposted to local advocacy.",
        expected_version=referral.version,
    )
    client = verified_client(referrer)
    detail = reverse("referrals:mine_detail", kwargs={"referral_id": referral.pk})
    assert "Withdraw this referral" not in client.get(detail).content.decode()
    response = client.post(
        reverse("referrals:mine_withdraw", kwargs={"referral_id": referral.pk}),
        {"version": _fresh(referral).version, "reason": "Changed my mind"},
    )
    assert response["Location"] == detail
    assert _fresh(referral).status == ReferralStatus.DECIDED


# Refusals the service makes, shown on the page --------------------------------------------


def test_a_referrer_without_an_agency_is_told_what_to_do() -> None:
    unit = UnitFactory()
    referrer = member(Role.PARTNER_REFERRER, unit=unit, agency=None)
    response = verified_client(referrer).post(reverse("referrals:start"), {"unit": unit.pk})
    assert response.status_code == 200
    assert "Ask your unit&#x27;s manager to set your agency." in _errors(response)
    assert not Referral.unscoped.filter(referred_by=referrer).exists()


def test_your_own_reference_cannot_be_used_twice_by_your_agency() -> None:
    unit = UnitFactory()
    referrer = referrer_in(unit)
    client = verified_client(referrer)
    submitted_referral(unit=unit, referrer=referrer, external_reference="IDVA-7")
    draft = referral_save_draft(actor=referrer, unit=unit, draft=complete_draft())
    response = _post(client, _url("draft_about", draft), {"urgency": "routine", "external_reference": "IDVA-7"})
    assert response.status_code == 200
    assert "Your agency has already sent a referral with the reference" in _errors(response)
    assert 'href="#id_external_reference"' in _errors(response)
    assert _fresh(draft).external_reference == ""


def test_your_referrals_costs_the_same_queries_however_many_there_are(
    django_assert_max_num_queries: Any,
) -> None:
    unit = UnitFactory()
    referrer = referrer_in(unit)
    client = verified_client(referrer)
    submitted_referral(unit=unit, referrer=referrer)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("referrals:mine"))
    for _ in range(4):
        submitted_referral(unit=unit, referrer=referrer)
    referral_save_draft(actor=referrer, unit=unit, draft=complete_draft())
    with django_assert_max_num_queries(len(one.captured_queries)):
        page = client.get(reverse("referrals:mine")).content.decode()
    assert page.count("Received") == 5
