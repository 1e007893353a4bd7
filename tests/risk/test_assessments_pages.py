"""Assessment pages on a case and on a referral: start, answer, save a draft, complete, the
result with its next steps, raising the level, stale edits, and the same 404 for what is not
the user's to see."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from masip.accounts.models import Role
from masip.audit.models import AuditAction, AuditEvent
from masip.cases.models import Case, RiskLevel
from masip.referrals.models import ReferralStatus
from masip.risk import services
from masip.risk.models import Assessment, AssessmentStatus
from tests.conftest import verified_client
from tests.factories import CaseFactory, TeamMemberFactory, UnitFactory, member
from tests.referrals.helpers import submitted_referral
from tests.risk.assessment_helpers import answers, count_yes_definition, judgement_definition, store_version
from tests.risk.test_assessments_services import Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(unit: Any) -> Team:
    return Team(unit)


def _url(name: str, case: Any, assessment: Any = None) -> str:
    kwargs: dict[str, Any] = {"case_id": case.pk}
    if assessment is not None:
        kwargs["assessment_id"] = assessment.pk
    return reverse(f"risk:{name}", kwargs=kwargs)


def _form(given: dict[str, Any], version: int, action: str, **extra: Any) -> dict[str, Any]:
    data = {f"answer_{item}": value for item, value in given.items()}
    return {**data, "version": str(version), "action": action, "rationale": "", **extra}


def test_start_answer_save_and_complete_through_the_pages(team: Team):
    stalking = store_version(
        count_yes_definition(id="stalking", name="Illustrative stalking screen", triggers=[]), unit=team.unit
    )
    client = verified_client(team.police)
    case_page = client.get(reverse("cases:detail", kwargs={"case_id": team.case.pk})).content.decode()
    assert _url("assessments", team.case) in case_page

    start = client.get(_url("assessment_start", team.case)).content.decode()
    assert "Illustrative screen" in start
    assert "Illustrative</strong>" in start
    assert "masip illustrative wording; no licence needed." in start

    response = client.post(_url("assessment_start", team.case), {"instrument_version": team.screen.pk})
    assessment = Assessment.unscoped.get(instrument_version=team.screen)
    assert response.status_code == 302
    assert response["Location"] == _url("assessment_edit", team.case, assessment)

    form = client.get(_url("assessment_edit", team.case, assessment)).content.decode()
    assert "Illustrative question 1?" in form
    assert "Context note 1." in form
    assert 'value="unknown"' in form
    assert "Save draft" in form
    assert "Complete assessment" in form

    response = client.post(_url("assessment_edit", team.case, assessment), _form({"q1": "yes"}, 1, "draft"))
    assert response.status_code == 302
    assert Assessment.unscoped.get(pk=assessment.pk).answers == {"q1": "yes"}

    given = answers(14)
    given["q8"] = "yes"
    response = client.post(_url("assessment_edit", team.case, assessment), _form(given, 2, "complete"), follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert '<dd class="govuk-summary-list__value" id="score">14' in page
    assert "Visible high risk (High)" in page
    assert "Start the stalking screen." in page
    assert f'value="{stalking.pk}"' in page  # the button that starts the instrument it suggests
    assert "A full formulation is recommended." in page
    assert Case.unscoped.get(pk=team.case.pk).risk_level == RiskLevel.HIGH

    listing = client.get(_url("assessments", team.case)).content.decode()
    assert "Illustrative screen v1" in listing
    assert "Visible high risk" in listing
    assert "Completed" in listing


def test_missing_answers_and_a_lowering_judgement_are_shown_on_the_form(team: Team):
    assessment = services.assessment_start(actor=team.police, instrument_version=team.screen, case=team.case)
    client = verified_client(team.police)
    given = answers(14)
    del given["q3"]
    response = client.post(
        _url("assessment_edit", team.case, assessment),
        _form(given, 1, "complete", judgement_level="low", judgement_reason="Calm on the phone."),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "the assessment cannot be completed without it" in page
    assert 'href="#id_answer_q3_0"' in page
    # What was typed stays on the form.
    assert 'name="answer_q14" value="yes" id="id_answer_q14_0" checked' in page
    assert Assessment.unscoped.get(pk=assessment.pk).status == AssessmentStatus.DRAFT

    given["q3"] = "yes"
    response = client.post(
        _url("assessment_edit", team.case, assessment),
        _form(given, 1, "complete", judgement_level="low", judgement_reason="Calm on the phone."),
    )
    assert "Professional judgement can raise a risk level but never lower it: the answers give High" in (
        response.content.decode()
    )
    assert Assessment.unscoped.get(pk=assessment.pk).status == AssessmentStatus.DRAFT


def test_a_stale_draft_is_refused_and_the_entries_kept(team: Team):
    assessment = services.assessment_start(actor=team.police, instrument_version=team.screen, case=team.case)
    client = verified_client(team.police)
    url = _url("assessment_edit", team.case, assessment)
    assert client.post(url, _form({"q1": "yes"}, 1, "draft")).status_code == 302
    # A second tab, opened before the first save, sends its answers.
    response = client.post(url, _form({"q1": "no", "q2": "yes"}, 1, "draft"))
    page = response.content.decode()
    assert response.status_code == 409
    assert "saved by someone else while you had it open" in page
    assert 'name="answer_q2" value="yes" id="id_answer_q2_0" checked' in page
    assert 'name="version" value="2"' in page
    assert Assessment.unscoped.get(pk=assessment.pk).answers == {"q1": "yes"}


def test_a_completed_assessment_cannot_be_edited_and_can_be_raised(team: Team):
    assessment = services.assessment_start(actor=team.police, instrument_version=team.screen, case=team.case)
    done = services.assessment_complete(
        actor=team.police, assessment=assessment, expected_version=1, answers=answers(13), rationale=""
    )
    client = verified_client(team.police)
    response = client.get(_url("assessment_edit", team.case, done), follow=True)
    assert "completed and cannot be changed" in response.content.decode()
    response = client.post(_url("assessment_edit", team.case, done), _form(answers(0), done.version, "draft"))
    assert response.status_code == 302
    assert Assessment.unscoped.get(pk=done.pk).answers == answers(13)

    raise_url = _url("assessment_raise", team.case, done)
    response = client.post(raise_url, {"version": done.version, "level": "high", "reason": ""})
    assert "Write why you judge the risk higher." in response.content.decode()
    response = client.post(raise_url, {"version": done.version, "level": "low", "reason": "Calmer."})
    assert "never lower it" in response.content.decode()
    assert Assessment.unscoped.get(pk=done.pk).level == "moderate"

    response = client.post(
        raise_url, {"version": done.version, "level": "high", "reason": "New threat to her sister."}, follow=True
    )
    page = response.content.decode()
    assert "Raised by professional judgement" in page
    assert "New threat to her sister." in page
    assert Case.unscoped.get(pk=team.case.pk).risk_level == RiskLevel.HIGH


def test_a_health_assessment_is_hidden_from_the_advocate_but_the_level_is_not(team: Team):
    spj = store_version(judgement_definition(), unit=team.unit)
    assessment = services.assessment_start(actor=team.clinician, instrument_version=spj, case=team.case)
    services.assessment_complete(
        actor=team.clinician,
        assessment=assessment,
        expected_version=1,
        answers={"ex_partner": "no", "motive": "reconcile"},
        rationale="Persistent, wants to reconcile.",
        judgement_level="moderate",
    )
    clinician = verified_client(team.clinician)
    shown = clinician.get(_url("assessment", team.case, assessment)).content.decode()
    assert "Persistent, wants to reconcile." in shown

    advocate = verified_client(team.advocate)
    assert advocate.get(_url("assessment", team.case, assessment)).status_code == 404
    listing = advocate.get(_url("assessments", team.case)).content.decode()
    assert "Illustrative structured judgement" not in listing
    assert '<strong id="case-risk">Moderate</strong>' in listing
    assert AuditEvent.objects.filter(
        actor=team.advocate, action=AuditAction.DENIED, object_id=str(assessment.pk)
    ).exists()


def test_another_units_assessment_is_the_same_404(team: Team):
    other_unit = UnitFactory()
    other = Team(other_unit)
    theirs = services.assessment_start(actor=other.police, instrument_version=other.screen, case=other.case)
    client = verified_client(team.police)
    for name in ("assessment", "assessment_edit", "assessment_raise"):
        assert client.get(_url(name, team.case, theirs)).status_code == 404
        assert client.get(_url(name, team.case, theirs).replace(str(theirs.pk), "not-an-id")).status_code == 404
    # Another case of the same unit, with the user on neither its team nor the assessment's.
    mine_elsewhere = CaseFactory(unit=team.unit)
    TeamMemberFactory(case=mine_elsewhere, user=team.police)
    ours = services.assessment_start(actor=team.police, instrument_version=team.screen, case=team.case)
    assert client.get(_url("assessment", mine_elsewhere, ours)).status_code == 404


def test_the_start_page_offers_only_the_instruments_a_role_may_use(team: Team):
    spj = store_version(judgement_definition(), unit=team.unit)
    page = verified_client(team.advocate).get(_url("assessment_start", team.case)).content.decode()
    assert "Illustrative screen" in page
    assert "Illustrative structured judgement" not in page
    response = verified_client(team.advocate).post(_url("assessment_start", team.case), {"instrument_version": spj.pk})
    assert "not offered to you" in response.content.decode()
    assert not Assessment.unscoped.exists()


def test_screening_assessment_pages_on_a_referral(unit: Any):
    screener = member(Role.CLINICIAN, unit=unit)
    screen = store_version(count_yes_definition(), unit=unit)
    referral = submitted_referral(unit=unit)
    client = verified_client(screener)
    base = {"referral_id": referral.pk}
    screening = client.get(reverse("referrals:screen", kwargs=base)).content.decode()
    assert reverse("risk_referral:assessments", kwargs=base) in screening

    response = client.post(reverse("risk_referral:assessment_start", kwargs=base), {"instrument_version": screen.pk})
    assessment = Assessment.unscoped.get(referral=referral)
    kwargs = {**base, "assessment_id": assessment.pk}
    assert response["Location"] == reverse("risk_referral:assessment_edit", kwargs=kwargs)
    response = client.post(
        reverse("risk_referral:assessment_edit", kwargs=kwargs), _form(answers(6), 1, "complete"), follow=True
    )
    assert "Medium (Moderate)" in response.content.decode()
    listing = client.get(reverse("risk_referral:assessments", kwargs=base)).content.decode()
    assert "Illustrative screen v1" in listing

    # A referral that is no longer waiting for its decision takes no new screening assessment.
    type(referral).unscoped.filter(pk=referral.pk).update(status=ReferralStatus.WITHDRAWN)
    response = client.post(
        reverse("risk_referral:assessment_start", kwargs=base), {"instrument_version": screen.pk}, follow=True
    )
    assert Assessment.unscoped.filter(referral=referral).count() == 1
    assert "no longer" in response.content.decode()

    # Someone who does not screen referrals cannot reach the pages.
    advocate = verified_client(member(Role.STALKING_ADVOCATE, unit=unit))
    assert advocate.get(reverse("risk_referral:assessments", kwargs=base)).status_code == 403
