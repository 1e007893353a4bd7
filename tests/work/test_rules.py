"""The unit's task rules: one review per case by risk level, recomputed when the risk changes and
set again when it is done; first contact within working days of acceptance; settings per unit."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from masip.accounts.models import Role
from masip.audit.models import AuditEvent
from masip.cases.models import Case, CaseStatus, RiskLevel
from masip.referrals.services import triage_decide
from masip.work.models import Task, TaskKind, TaskStatus, WorkRules
from masip.work.rules import RuleSettings, work_rules_for, work_rules_set
from masip.work.services import RuleReason, task_cancel, task_complete, work_rules_apply
from tests.conftest import verified_client
from tests.factories import CaseFactory, UnitFactory, member
from tests.referrals.helpers import submitted_referral
from tests.work.helpers import case_with_worker

pytestmark = pytest.mark.django_db

DEFAULTS = RuleSettings(**WorkRules.DEFAULTS, is_default=True)


def open_reviews(case: Case) -> list[Task]:
    return list(Task.unscoped.filter(case=case, kind=TaskKind.REVIEW, status=TaskStatus.OPEN))


def set_risk(case: Case, level: str) -> None:
    Case.unscoped.filter(pk=case.pk).update(risk_level=level)
    case.refresh_from_db()


# --- dates (pure) -----------------------------------------------------------------------------


def test_first_contact_counts_working_days_past_easter():
    # Maundy Thursday 2025: Good Friday and Easter Monday do not count.
    assert DEFAULTS.first_contact_due(date(2025, 4, 17)) == date(2025, 4, 23)
    # Friday: the weekend does not count either.
    assert DEFAULTS.first_contact_due(date(2025, 3, 7)) == date(2025, 3, 11)


@pytest.mark.parametrize(
    ("level", "start", "due"),
    [
        (RiskLevel.HIGH, date(2025, 3, 3), date(2025, 3, 10)),  # weekly
        (RiskLevel.MODERATE, date(2025, 3, 3), date(2025, 4, 2)),  # 30 days
        (RiskLevel.LOW, date(2025, 3, 3), date(2025, 6, 2)),  # 91 days
        (RiskLevel.NOT_ASSESSED, date(2025, 4, 14), date(2025, 4, 30)),  # 10 working days, Easter in between
        (RiskLevel.HIGH, date(2025, 12, 19), date(2025, 12, 29)),  # Boxing Day is a bank holiday
    ],
)
def test_review_due_dates_by_risk_level(level, start, due):
    assert DEFAULTS.review_due(level, start) == due


# --- the rules on a case ----------------------------------------------------------------------


@pytest.mark.parametrize("level", list(RiskLevel))
def test_a_case_gets_one_review_due_by_its_risk_level_and_a_second_run_changes_nothing(level):
    case, worker = case_with_worker(risk_level=level)
    outcome = work_rules_apply(case=case, reason=RuleReason.DAILY)
    [review] = open_reviews(case)
    assert outcome.created == [review]
    today = timezone.localdate()
    assert review.due_date == DEFAULTS.review_due(level, today)
    assert (review.rule, review.period_start, review.owner_id) == (f"review:{level}", today, worker.pk)
    again = work_rules_apply(case=case, reason=RuleReason.DAILY)
    assert not again.changed
    assert len(open_reviews(case)) == 1


def test_a_risk_change_recomputes_the_open_review_from_the_start_of_its_period():
    case, _ = case_with_worker(risk_level=RiskLevel.LOW)
    work_rules_apply(case=case, reason=RuleReason.DAILY)
    [review] = open_reviews(case)
    start = timezone.localdate() - timedelta(days=3)
    Task.unscoped.filter(pk=review.pk).update(period_start=start)
    set_risk(case, RiskLevel.HIGH)

    outcome = work_rules_apply(case=case, reason=RuleReason.RISK_CHANGED)

    [recomputed] = open_reviews(case)
    assert outcome.recomputed == [recomputed]
    assert recomputed.pk == review.pk
    assert recomputed.due_date == max(DEFAULTS.review_due(RiskLevel.HIGH, start), timezone.localdate())
    assert recomputed.rule == "review:high"
    assert recomputed.version == review.version + 1
    event = AuditEvent.objects.filter(object_id=str(review.pk)).order_by("-seq").first()
    assert event.action == "change"
    assert event.detail["reason"] == "risk_changed"


def test_a_review_whose_period_has_run_out_under_the_new_level_is_due_today():
    case, _ = case_with_worker(risk_level=RiskLevel.LOW)
    work_rules_apply(case=case, reason=RuleReason.DAILY)
    Task.unscoped.filter(case=case).update(period_start=timezone.localdate() - timedelta(days=40))
    set_risk(case, RiskLevel.HIGH)
    work_rules_apply(case=case, reason=RuleReason.RISK_CHANGED)
    assert open_reviews(case)[0].due_date == timezone.localdate()


def test_completing_a_review_sets_the_next_one_from_today():
    case, worker = case_with_worker(risk_level=RiskLevel.MODERATE)
    work_rules_apply(case=case, reason=RuleReason.DAILY)
    [review] = open_reviews(case)
    task_complete(actor=worker, task=review, expected_version=review.version)
    review.refresh_from_db()
    assert (review.status, review.closed_by_id) == (TaskStatus.DONE, worker.pk)
    assert review.closed_at is not None
    [following] = open_reviews(case)
    assert following.pk != review.pk
    assert following.due_date == DEFAULTS.review_due(RiskLevel.MODERATE, timezone.localdate())


def test_cancelling_a_review_also_starts_a_new_period():
    case, worker = case_with_worker(risk_level=RiskLevel.HIGH)
    work_rules_apply(case=case, reason=RuleReason.DAILY)
    [review] = open_reviews(case)
    task_cancel(actor=worker, task=review, expected_version=review.version)
    assert len(open_reviews(case)) == 1
    assert Task.unscoped.filter(case=case, status=TaskStatus.CANCELLED).count() == 1


def test_closed_cases_get_no_tasks():
    case, _ = case_with_worker(status=CaseStatus.CLOSED)
    assert not work_rules_apply(case=case, reason=RuleReason.DAILY).changed
    assert not Task.unscoped.filter(case=case).exists()


def test_the_daily_command_is_idempotent(capsys):
    first, _ = case_with_worker(risk_level=RiskLevel.HIGH)
    second = CaseFactory(risk_level=RiskLevel.LOW)  # nobody allocated yet: the review has no owner
    call_command("apply_work_rules")
    assert "2 tasks created" in capsys.readouterr().out
    call_command("apply_work_rules")
    assert "0 tasks created, 0 due dates recomputed" in capsys.readouterr().out
    assert len(open_reviews(first)) == len(open_reviews(second)) == 1
    assert open_reviews(second)[0].owner_id is None


def test_accepting_a_referral_opens_the_case_with_its_first_contact_and_review():
    unit = UnitFactory()
    referral = submitted_referral(unit=unit)
    screener = member(Role.UNIT_MANAGER, unit=unit)
    triage_decide(
        actor=screener, referral=referral, decision="accepted", reasons="Accept.", expected_version=referral.version
    )
    case = Case.unscoped.get(unit=unit)
    tasks = {t.kind: t for t in Task.unscoped.filter(case=case)}
    assert set(tasks) == {TaskKind.REVIEW, TaskKind.FIRST_CONTACT}
    accepted = timezone.localdate(case.opened_at)
    assert tasks[TaskKind.FIRST_CONTACT].due_date == DEFAULTS.first_contact_due(accepted)
    assert tasks[TaskKind.REVIEW].due_date == DEFAULTS.review_due(RiskLevel.NOT_ASSESSED, accepted)
    assert {t.owner_id for t in tasks.values()} == {screener.pk}
    # Running the rules again (the daily run) adds no second first contact.
    work_rules_apply(case=case, reason=RuleReason.CASE_OPENED)
    assert Task.unscoped.filter(case=case).count() == 2


# --- per-unit settings ------------------------------------------------------------------------

GOOD = {
    "high_review_days": 14,
    "moderate_review_days": 28,
    "low_review_days": 56,
    "not_assessed_review_working_days": 5,
    "first_contact_working_days": 1,
    "reassess_high_days": 21,
    "reassess_moderate_days": 60,
    "reassess_low_days": 120,
}


def test_a_units_rules_apply_to_its_cases_only():
    unit = UnitFactory()
    manager = member(Role.UNIT_MANAGER, unit=unit)
    assert work_rules_for(unit_id=unit.pk).is_default
    work_rules_set(actor=manager, unit=unit, **GOOD)
    assert work_rules_for(unit_id=unit.pk) == RuleSettings(**GOOD, is_default=False)
    ours, _ = case_with_worker(unit=unit, risk_level=RiskLevel.HIGH)
    theirs, _ = case_with_worker(risk_level=RiskLevel.HIGH)
    work_rules_apply(case=ours, reason=RuleReason.DAILY)
    work_rules_apply(case=theirs, reason=RuleReason.DAILY)
    today = timezone.localdate()
    assert open_reviews(ours)[0].due_date == RuleSettings(**GOOD, is_default=False).review_due("high", today)
    assert open_reviews(theirs)[0].due_date == DEFAULTS.review_due("high", today)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"high_review_days": 0}, "high_review_days"),
        ({"low_review_days": 367}, "low_review_days"),
        ({"first_contact_working_days": 31}, "first_contact_working_days"),
        ({"not_assessed_review_working_days": -1}, "not_assessed_review_working_days"),
        ({"high_review_days": 30}, "moderate_review_days"),  # high reviewed less often than moderate
        ({"low_review_days": 20}, "low_review_days"),
        ({"reassess_high_days": 0}, "reassess_high_days"),
        ({"reassess_high_days": 90}, "reassess_moderate_days"),  # high re-assessed less often than moderate
        ({"reassess_low_days": 30}, "reassess_low_days"),
    ],
)
def test_invalid_rules_are_refused_by_field_and_nothing_is_written(changes, field):
    unit = UnitFactory()
    manager = member(Role.UNIT_MANAGER, unit=unit)
    with pytest.raises(ValidationError) as refused:
        work_rules_set(actor=manager, unit=unit, **(GOOD | changes))
    assert field in refused.value.message_dict
    assert not WorkRules.objects.filter(unit=unit).exists()


def test_only_the_units_manager_sets_its_rules():
    unit = UnitFactory()
    for actor in (member(Role.POLICE_INVESTIGATOR, unit=unit), member(Role.UNIT_MANAGER)):
        with pytest.raises(PermissionDenied):
            work_rules_set(actor=actor, unit=unit, **GOOD)
    assert not WorkRules.objects.filter(unit=unit).exists()


def test_the_rules_page_saves_and_shows_errors():
    unit = UnitFactory()
    client = verified_client(member(Role.UNIT_MANAGER, unit=unit))
    page = client.get("/work/rules/")
    assert page.status_code == 200
    assert b"Task rules" in page.content
    bad = client.post("/work/rules/", {**GOOD, "unit": unit.pk, "moderate_review_days": "x"})
    assert bad.status_code == 200
    assert b"enter a whole number" in bad.content
    saved = client.post("/work/rules/", {**GOOD, "unit": unit.pk})
    assert saved.status_code == 302
    assert WorkRules.objects.get(unit=unit).low_review_days == 56
    assert client.post("/work/rules/", {**GOOD, "unit": UnitFactory().pk}).status_code == 404
