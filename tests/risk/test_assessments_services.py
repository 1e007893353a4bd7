"""Assessment services: start, draft, complete (the engine's score and band), judgement that
raises and never lowers, refusals that write nothing, and screening assessments joining a case."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from masip.access.policy import Compartment
from masip.accounts.models import Role
from masip.audit.models import AuditAction, AuditEvent
from masip.cases.models import Case, CaseStatus, RiskLevel
from masip.core.models import StaleEditError
from masip.referrals.services import triage_decide
from masip.risk import services
from masip.risk.instrument_selectors import instruments_offered
from masip.risk.models import Assessment, AssessmentStatus
from masip.risk.selectors import assessment_result
from masip.work.models import Task, TaskKind
from masip.work.services import RuleReason, work_rules_apply
from tests.factories import CaseFactory, TeamMemberFactory, member
from tests.referrals.helpers import submitted_referral
from tests.risk.assessment_helpers import answers, count_yes_definition, judgement_definition, store_version

pytestmark = pytest.mark.django_db


class Team:
    """A case in `unit` with a police investigator, a clinician and an advocate on its team."""

    def __init__(self, unit: Any) -> None:
        self.unit = unit
        self.case = CaseFactory(unit=unit)
        self.police = member(Role.POLICE_INVESTIGATOR, unit=unit)
        self.clinician = member(Role.CLINICIAN, unit=unit)
        self.advocate = member(Role.STALKING_ADVOCATE, unit=unit)
        for user in (self.police, self.clinician, self.advocate):
            TeamMemberFactory(case=self.case, user=user)
        self.screen = store_version(count_yes_definition(), unit=unit)


@pytest.fixture
def team(unit: Any) -> Team:
    return Team(unit)


def _draft(team: Team, actor: Any = None) -> Assessment:
    return services.assessment_start(actor=actor or team.police, instrument_version=team.screen, case=team.case)


def _complete(assessment: Assessment, actor: Any, given: dict[str, Any], **kwargs: Any) -> Assessment:
    return services.assessment_complete(
        actor=actor,
        assessment=assessment,
        expected_version=assessment.version,
        answers=given,
        rationale=kwargs.pop("rationale", "Answers taken with the victim by phone."),
        **kwargs,
    )


def _changes(assessment: Assessment) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(object_id=str(assessment.pk), action=AuditAction.CHANGE).order_by("occurred_at", "pk")
    )


@pytest.mark.parametrize(
    ("yes", "band", "level"), [(13, "Medium", "moderate"), (14, "Visible high risk", "high")], ids=["13-yes", "14-yes"]
)
def test_the_engine_scores_a_completed_assessment_at_the_threshold(team: Team, yes: int, band: str, level: str):
    assessment = _draft(team)
    assert assessment.status == AssessmentStatus.DRAFT
    assert assessment.compartment == Compartment.TEAM
    assessment = services.assessment_save_draft(
        actor=team.police, assessment=assessment, expected_version=assessment.version, answers={"q1": "yes"}
    )
    assert assessment.answers == {"q1": "yes"}

    done = _complete(assessment, team.police, answers(yes))

    stored = Assessment.unscoped.get(pk=assessment.pk)
    assert stored.status == AssessmentStatus.COMPLETED
    assert stored.score == Decimal(yes)
    assert stored.computed_band == band
    assert stored.computed_level == level
    assert stored.level == level
    assert not stored.raised
    assert stored.completed_at is not None
    assert stored.answers == answers(yes)
    assert done.version == stored.version
    assert Case.unscoped.get(pk=team.case.pk).risk_level == level
    create, draft, complete = AuditEvent.objects.filter(object_id=str(assessment.pk)).order_by("occurred_at", "pk")
    assert [e.action for e in (create, draft, complete)] == [AuditAction.CREATE, AuditAction.CHANGE, AuditAction.CHANGE]
    assert draft.fields == ["answers"]
    assert {"score", "computed_band", "level", "completed_at"} <= set(complete.fields)
    assert all(event.actor == team.police for event in (create, draft, complete))


def test_judgement_at_completion_raises_with_a_reason(team: Team):
    done = _complete(
        _draft(team),
        team.police,
        answers(13),
        judgement_level="high",
        judgement_reason="He was seen outside her new address last night.",
    )
    assert (done.computed_level, done.level, done.raised) == ("moderate", "high", True)
    assert done.judgement_reason == "He was seen outside her new address last night."


def test_judgement_higher_than_the_answers_needs_a_reason(team: Team):
    assessment = _draft(team)
    with pytest.raises(ValidationError) as refused:
        _complete(assessment, team.police, answers(13), judgement_level="high", judgement_reason="")
    assert "judgement_reason" in refused.value.message_dict
    assert Assessment.unscoped.get(pk=assessment.pk).status == AssessmentStatus.DRAFT


def test_judgement_can_never_lower_the_level_at_completion(team: Team):
    assessment = _draft(team)
    with pytest.raises(ValidationError) as refused:
        _complete(assessment, team.police, answers(14), judgement_level="low", judgement_reason="She seems calm.")
    message = refused.value.message_dict["judgement_level"][0]
    assert message.startswith("Professional judgement can raise a risk level but never lower it: the answers give High")
    stored = Assessment.unscoped.get(pk=assessment.pk)
    assert (stored.status, stored.level, stored.answers, stored.version) == (AssessmentStatus.DRAFT, "", {}, 1)
    assert Case.unscoped.get(pk=team.case.pk).risk_level == RiskLevel.NOT_ASSESSED


def test_missing_required_answers_are_named_one_by_one(team: Team):
    given = answers(3)
    del given["q5"], given["q27"]
    with pytest.raises(ValidationError) as refused:
        _complete(_draft(team), team.police, given)
    assert {"q5", "q27"} <= set(refused.value.message_dict)


def test_raising_after_completion_is_audited_and_moves_the_case(team: Team):
    done = _complete(_draft(team), team.police, answers(13))
    raised = services.assessment_raise(
        actor=team.clinician,
        assessment=done,
        expected_version=done.version,
        level="high",
        reason="Threats to the victim's new partner reported by the GP.",
    )
    stored = Assessment.unscoped.get(pk=done.pk)
    assert (stored.computed_level, stored.level, stored.score) == ("moderate", "high", Decimal(13))
    assert stored.judgement_reason == "Threats to the victim's new partner reported by the GP."
    assert raised.raised
    event = _changes(done)[-1]
    assert event.actor == team.clinician
    assert sorted(event.fields) == ["judgement_reason", "level"]
    assert event.detail == {"raised": True, "from": "moderate", "to": "high"}
    assert Case.unscoped.get(pk=team.case.pk).risk_level == RiskLevel.HIGH


def test_raising_without_a_reason_is_refused(team: Team):
    done = _complete(_draft(team), team.police, answers(13))
    before = len(_changes(done))
    with pytest.raises(ValidationError) as refused:
        services.assessment_raise(
            actor=team.police, assessment=done, expected_version=done.version, level="high", reason="  "
        )
    assert "reason" in refused.value.message_dict
    assert Assessment.unscoped.get(pk=done.pk).level == "moderate"
    assert len(_changes(done)) == before


def test_lowering_after_completion_is_refused_and_nothing_changes(team: Team):
    done = _complete(_draft(team), team.police, answers(14))
    with pytest.raises(ValidationError) as refused:
        services.assessment_raise(
            actor=team.police, assessment=done, expected_version=done.version, level="moderate", reason="Calmer now."
        )
    assert "never lower it" in refused.value.message_dict["level"][0]
    stored = Assessment.unscoped.get(pk=done.pk)
    assert (stored.level, stored.version, stored.judgement_reason) == ("high", done.version, "")
    assert Case.unscoped.get(pk=team.case.pk).risk_level == RiskLevel.HIGH


def test_a_completed_assessment_is_never_edited(team: Team):
    done = _complete(_draft(team), team.police, answers(14))
    with pytest.raises(ValidationError, match="completed and cannot be changed"):
        services.assessment_save_draft(
            actor=team.police, assessment=done, expected_version=done.version, answers=answers(0)
        )
    with pytest.raises(ValidationError, match="completed and cannot be changed"):
        _complete(done, team.police, answers(0))
    stored = Assessment.unscoped.get(pk=done.pk)
    assert (stored.answers, stored.score, stored.version) == (answers(14), Decimal(14), done.version)


def test_an_answer_to_an_unknown_item_is_refused_and_nothing_stored(team: Team):
    assessment = _draft(team)
    with pytest.raises(ValidationError) as refused:
        services.assessment_save_draft(
            actor=team.police,
            assessment=assessment,
            expected_version=assessment.version,
            answers={"q1": "yes", "q99": "yes", "q2": "perhaps"},
        )
    problems = refused.value.message_dict
    assert problems["q99"] == ["“q99” is not an item of Illustrative screen version 1."]
    assert problems["q2"] == ["Answer yes, no or unknown."]
    stored = Assessment.unscoped.get(pk=assessment.pk)
    assert (stored.answers, stored.version) == ({}, 1)
    assert _changes(assessment) == []


def test_a_stale_draft_edit_is_refused_and_the_first_kept(team: Team):
    assessment = _draft(team)
    services.assessment_save_draft(actor=team.police, assessment=assessment, expected_version=1, answers={"q1": "yes"})
    with pytest.raises(StaleEditError) as stale:
        services.assessment_save_draft(
            actor=team.police, assessment=assessment, expected_version=1, answers={"q1": "no"}
        )
    assert stale.value.current.version == 2
    assert Assessment.unscoped.get(pk=assessment.pk).answers == {"q1": "yes"}


def test_only_the_assessor_edits_a_draft(team: Team):
    assessment = _draft(team)
    with pytest.raises(PermissionDenied):
        services.assessment_save_draft(
            actor=team.advocate, assessment=assessment, expected_version=1, answers={"q1": "yes"}
        )
    assert Assessment.unscoped.get(pk=assessment.pk).answers == {}


def test_a_role_the_instrument_does_not_list_cannot_start_it(team: Team):
    spj = store_version(judgement_definition(), unit=team.unit)
    with pytest.raises(PermissionDenied, match="for the roles its definition lists"):
        services.assessment_start(actor=team.advocate, instrument_version=spj, case=team.case)
    assert not Assessment.unscoped.exists()
    assert spj not in instruments_offered(user=team.advocate, unit=team.unit)
    assert spj in instruments_offered(user=team.clinician, unit=team.unit)


def test_a_withdrawn_version_and_a_closed_case_are_refused(team: Team):
    withdrawn = store_version(count_yes_definition(id="old", name="Old screen"), unit=team.unit, withdrawn=True)
    with pytest.raises(ValidationError, match="has been withdrawn"):
        services.assessment_start(actor=team.police, instrument_version=withdrawn, case=team.case)
    Case.unscoped.filter(pk=team.case.pk).update(status=CaseStatus.CLOSED)
    team.case.refresh_from_db()
    with pytest.raises(ValidationError, match="is closed"):
        services.assessment_start(actor=team.police, instrument_version=team.screen, case=team.case)
    assert not Assessment.unscoped.exists()


def test_a_new_instrument_version_leaves_a_completed_assessment_as_it_was(team: Team):
    done = _complete(_draft(team), team.police, answers(10))
    stricter = count_yes_definition(version="2")
    stricter["scoring"]["bands"][2]["minimum"] = 8
    v2 = store_version(stricter, unit=team.unit)
    assert instruments_offered(user=team.police, unit=team.unit) == [v2]

    stored = Assessment.unscoped.get(pk=done.pk)
    assert stored.instrument_version == team.screen
    assert (stored.score, stored.computed_band, stored.level) == (Decimal(10), "Medium", "moderate")
    assert assessment_result(stored).band is not None
    assert assessment_result(stored).band.label == "Medium"


def test_an_unscored_judgement_sets_the_level_with_a_rationale_in_health(team: Team):
    spj = store_version(judgement_definition(), unit=team.unit)
    assessment = services.assessment_start(actor=team.clinician, instrument_version=spj, case=team.case)
    assert assessment.compartment == Compartment.HEALTH
    given = {"ex_partner": "yes", "separation_date": "2026-01-10", "motive": "revenge"}
    with pytest.raises(ValidationError) as refused:
        _complete(assessment, team.clinician, given, rationale="")
    assert {"judgement_level", "rationale"} <= set(refused.value.message_dict)
    done = _complete(assessment, team.clinician, given, judgement_level="high", rationale="Revenge-driven ex-partner.")
    assert (done.score, done.computed_level, done.level, done.raised) == (None, "", "high", False)
    assert Case.unscoped.get(pk=team.case.pk).risk_level == RiskLevel.HIGH
    # The level is the team's; the clinical assessment is not.
    assert not Assessment.objects.visible_to(team.advocate).filter(pk=done.pk).exists()
    assert Assessment.objects.visible_to(team.clinician).filter(pk=done.pk).exists()
    assert Case.objects.visible_to(team.advocate).get(pk=team.case.pk).risk_level == RiskLevel.HIGH


def test_completion_sets_the_case_risk_and_re_times_its_review(team: Team):
    work_rules_apply(case=team.case, reason=RuleReason.CASE_OPENED)
    review = Task.unscoped.get(case=team.case, kind=TaskKind.REVIEW)
    before = review.due_date
    assert before > timezone.localdate() + timedelta(days=9)  # ten working days, before any assessment
    _complete(_draft(team), team.police, answers(14))
    review.refresh_from_db()
    assert Case.unscoped.get(pk=team.case.pk).risk_level == RiskLevel.HIGH
    # A high-risk case is reviewed within a week (the day moved off a weekend at most).
    assert review.due_date < before
    assert review.period_start + timedelta(days=7) <= review.due_date <= review.period_start + timedelta(days=9)
    assert "high risk" in review.title


def test_a_screening_assessment_joins_the_case_when_the_referral_is_accepted(unit: Any):
    screener = member(Role.POLICE_INVESTIGATOR, unit=unit)
    screen = store_version(count_yes_definition(), unit=unit)
    referral = submitted_referral(unit=unit)
    assessment = services.assessment_start(actor=screener, instrument_version=screen, referral=referral)
    assert assessment.case is None
    _complete(assessment, screener, answers(14))
    referral.refresh_from_db()

    triage_decide(
        actor=screener, referral=referral, decision="accepted", reasons="High risk.", expected_version=referral.version
    )

    referral.refresh_from_db()
    stored = Assessment.unscoped.get(pk=assessment.pk)
    assert referral.case is not None
    assert (stored.case, stored.referral) == (referral.case, referral)
    assert Case.unscoped.get(pk=referral.case.pk).risk_level == RiskLevel.HIGH
    moved = _changes(assessment)[-1]
    assert (moved.fields, moved.case_id) == (["case"], referral.case.pk)
    # Once decided, the referral takes no new screening assessments.
    with pytest.raises(ValidationError, match="no longer be made"):
        services.assessment_start(actor=screener, instrument_version=screen, referral=referral)


def test_a_referral_assessment_needs_a_screener(unit: Any):
    advocate = member(Role.STALKING_ADVOCATE, unit=unit)
    screen = store_version(count_yes_definition(), unit=unit)
    with pytest.raises(PermissionDenied):
        services.assessment_start(actor=advocate, instrument_version=screen, referral=submitted_referral(unit=unit))
    assert not Assessment.unscoped.exists()
