"""Risk events and re-assessment: an event asks for a re-assessment within the unit's working
days (never pushing one back), each risk level keeps one due from the last assessment, and a
new assessment re-times it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from masip.access.policy import Compartment
from masip.accounts.models import Role
from masip.audit.models import AuditAction, AuditEvent
from masip.cases.models import CaseStatus
from masip.core.workdays import add_working_days, is_working_day
from masip.risk.current import case_risk_refresh, risk_settings_set
from masip.risk.event_services import risk_event_record
from masip.risk.models import RiskEvent, RiskEventKind
from masip.work.models import Task, TaskKind, TaskStatus
from masip.work.rules import work_rules_for
from masip.work.services import RuleReason, task_complete, work_rules_apply
from tests.conftest import verified_client
from tests.factories import CaseFactory, member
from tests.risk.history_factories import assessment, team

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _case():
    case = CaseFactory()
    return case, team(case)


def _open(case) -> list[Task]:
    return list(Task.unscoped.filter(case=case, kind=TaskKind.REASSESSMENT, status=TaskStatus.OPEN))


def _level_due(level: str, start):
    due = start + timedelta(days={"high": 28, "moderate": 90, "low": 180}[level])
    while not is_working_day(due):
        due += timedelta(days=1)
    return due


def _record(actor, case, kind=RiskEventKind.BREACH, occurred_on=TODAY, compartment=Compartment.TEAM, details=""):
    return risk_event_record(
        actor=actor, case=case, kind=kind, occurred_on=occurred_on, details=details, compartment=compartment
    )


def test_an_assessment_sets_a_reassessment_due_by_its_level_owned_by_the_lead_clinician():
    case, people = _case()
    assessed = TODAY - timedelta(days=3)
    assessment(case, "high", assessed, people["investigator"])
    case_risk_refresh(case=case, actor=people["investigator"])
    [task] = _open(case)
    assert task.due_date == _level_due("high", assessed)
    assert task.title == "Re-assess risk (high risk)"
    assert task.owner_id == people["clinician"].pk
    # A later assessment at another level re-times the same task from its own day.
    assessment(case, "low", TODAY, people["investigator"])
    case_risk_refresh(case=case)
    [again] = _open(case)
    assert again.pk == task.pk
    assert again.due_date == _level_due("low", TODAY)
    # The daily run changes nothing.
    assert not work_rules_apply(case=case, reason=RuleReason.DAILY).changed


def test_a_case_not_yet_assessed_has_no_level_reassessment():
    case, _ = _case()
    work_rules_apply(case=case, reason=RuleReason.DAILY)
    assert _open(case) == []


def test_an_event_creates_a_reassessment_due_in_working_days_naming_it_and_is_audited():
    case, people = _case()
    event = _record(people["advocate"], case, kind=RiskEventKind.NEW_THREAT, details="Text: you'll regret it")
    [task] = _open(case)
    days = 2  # masip's default
    assert task.due_date == add_working_days(TODAY, days)
    assert "new threat" in task.title
    assert task.owner_id == people["clinician"].pk
    created = AuditEvent.objects.get(object_type="risk.riskevent", object_id=str(event.pk))
    assert created.action == AuditAction.CREATE
    assert created.actor_id == people["advocate"].pk
    assert "regret" not in str(created.detail)
    assert AuditEvent.objects.filter(
        object_type="work.task", object_id=str(task.pk), detail__reason="risk_event"
    ).exists()


def test_an_event_brings_a_later_reassessment_forward_but_never_pushes_one_back():
    case, people = _case()
    assessment(case, "low", TODAY, people["investigator"])
    case_risk_refresh(case=case)
    [task] = _open(case)
    assert task.due_date == _level_due("low", TODAY)
    _record(people["investigator"], case, kind=RiskEventKind.CUSTODY_RELEASE)
    [forward] = _open(case)
    assert forward.pk == task.pk
    assert forward.due_date == add_working_days(TODAY, 2)
    assert "release from custody" in forward.title
    # The daily run keeps the earlier date the event set.
    work_rules_apply(case=case, reason=RuleReason.DAILY)
    assert _open(case)[0].due_date == add_working_days(TODAY, 2)
    # A court date a month ahead asks for a re-assessment after it: later, so nothing moves.
    _record(people["investigator"], case, kind=RiskEventKind.COURT_DATE, occurred_on=TODAY + timedelta(days=30))
    assert _open(case)[0].due_date == add_working_days(TODAY, 2)
    assert len(_open(case)) == 1


def test_an_assessment_after_the_event_answers_it_and_re_times_by_level():
    case, people = _case()
    assessment(case, "moderate", TODAY - timedelta(days=20), people["investigator"])
    case_risk_refresh(case=case)
    _record(people["investigator"], case)
    assert _open(case)[0].due_date == add_working_days(TODAY, 2)
    assessment(case, "high", TODAY, people["investigator"])
    case_risk_refresh(case=case)
    [task] = _open(case)
    assert task.due_date == _level_due("high", TODAY)
    assert task.title == "Re-assess risk (high risk)"


def test_the_units_working_days_after_an_event_apply():
    case, people = _case()
    manager = member(Role.UNIT_MANAGER, unit=case.unit)
    risk_settings_set(actor=manager, unit=case.unit, current_risk_rule="latest", reassess_after_event_working_days=5)
    _record(people["investigator"], case, occurred_on=TODAY - timedelta(days=10))
    # Counted from the day it is recorded when the event itself is older.
    assert _open(case)[0].due_date == add_working_days(TODAY, 5)


def test_completing_a_reassessment_by_hand_sets_the_next_from_today():
    case, people = _case()
    assessment(case, "high", TODAY - timedelta(days=40), people["investigator"])
    case_risk_refresh(case=case)
    [task] = _open(case)
    assert task.due_date < TODAY  # overdue, and shown so
    task_complete(actor=people["clinician"], task=task, expected_version=task.version)
    [following] = _open(case)
    assert following.pk != task.pk
    assert following.due_date == _level_due("high", TODAY)


def test_one_open_reassessment_per_case_is_certain():
    case, people = _case()
    _record(people["investigator"], case)
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.unscoped.create(case=case, title="Another", due_date=TODAY, kind=TaskKind.REASSESSMENT)


def test_an_event_in_a_narrower_compartment_is_not_named_in_the_team_task():
    case, people = _case()
    event = _record(people["investigator"], case, kind=RiskEventKind.BREACH, compartment=Compartment.POLICE)
    [task] = _open(case)
    assert "breach" not in task.title.lower()
    assert "police only" in task.title.lower()
    advocate = verified_client(people["advocate"])
    detail = reverse("risk:event_detail", kwargs={"case_id": case.pk, "event_id": event.pk})
    assert advocate.get(detail).status_code == 404
    assert verified_client(people["investigator"]).get(detail).status_code == 200
    with pytest.raises(PermissionDenied):
        _record(people["advocate"], case, compartment=Compartment.POLICE)


def test_bad_events_are_refused_and_nothing_is_written():
    case, people = _case()
    with pytest.raises(ValidationError) as refused:
        _record(people["investigator"], case, kind=RiskEventKind.OTHER, occurred_on=TODAY + timedelta(days=400))
    assert {"details", "occurred_on"} <= set(refused.value.message_dict)
    case.status = CaseStatus.CLOSED
    case.save()
    with pytest.raises(ValidationError, match="closed"):
        _record(people["investigator"], case)
    assert not RiskEvent.unscoped.exists()
    assert _open(case) == []


def test_the_event_page_records_one_and_sets_the_reassessment():
    case, people = _case()
    client = verified_client(people["advocate"])
    url = reverse("risk:event_add", kwargs={"case_id": case.pk})
    page = client.get(url)
    assert page.status_code == 200
    assert "Police only" not in page.content.decode()
    bad = client.post(url, {"kind": "separation", "occurred_on": "31/02/2026", "compartment": "team"})
    assert bad.status_code == 200
    assert "Enter a real date" in bad.content.decode()
    done = client.post(
        url,
        {
            "kind": "separation",
            "occurred_on": TODAY.strftime("%d/%m/%Y"),
            "compartment": "team",
            "details": "Moved out",
        },
    )
    assert done.status_code == 302
    assert RiskEvent.unscoped.get(case=case).kind == RiskEventKind.SEPARATION
    history = client.get(done["Location"]).content.decode()
    assert "Separation" in history
    assert "Re-assess risk after an event: separation" in history


def test_the_work_rules_page_sets_the_reassessment_intervals():
    case, _ = _case()
    manager = member(Role.UNIT_MANAGER, unit=case.unit)
    client = verified_client(manager)
    rules = work_rules_for(unit_id=case.unit_id)
    form = {
        "unit": case.unit_id,
        "high_review_days": rules.high_review_days,
        "moderate_review_days": rules.moderate_review_days,
        "low_review_days": rules.low_review_days,
        "not_assessed_review_working_days": rules.not_assessed_review_working_days,
        "first_contact_working_days": rules.first_contact_working_days,
        "reassess_high_days": 14,
        "reassess_moderate_days": 60,
        "reassess_low_days": 120,
    }
    assert client.post(reverse("work:rules"), form).status_code == 302
    assert work_rules_for(unit_id=case.unit_id).reassess_high_days == 14
    page = client.get(reverse("work:rules")).content.decode()
    assert "High risk re-assessment" in page
