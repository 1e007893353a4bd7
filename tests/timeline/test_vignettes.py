"""Red flags on written case vignettes: what a case worker would expect the engine to raise, and
to leave alone. Each vignette is a timeline a reader can follow line by line."""

from __future__ import annotations

import pytest
from django.utils import timezone

from masip.access.policy import Compartment
from masip.cases.models import ParallelProcess, ParticipantRole, ProcessKind, RiskLevel, SpoStage
from masip.people.models import PersonFlag
from masip.referrals.models import Relationship
from masip.risk.models import Assessment, AssessmentStatus, RiskEvent, RiskEventKind
from masip.timeline.models import AlertStatus, RedFlagAlert
from masip.timeline.redflags import cases_for_next_panel, redflags_evaluate_case
from masip.work.models import Task, TaskKind, TaskStatus
from tests.factories import CaseFactory, ParticipantFactory
from tests.timeline.redflag_helpers import a_case, ago, alerts, entry, on_team, perpetrator, said, stalking_screen

pytestmark = pytest.mark.django_db


def ex_partner_escalating():
    """(a) Her ex-partner: a few messages a week for two months, then a flood of messages, then he
    turns up at her home twelve days after the flood began, then threatens to kill her."""
    case = a_case(relationship=Relationship.EX_INTIMATE)
    on_team(case)
    for week in range(9):  # two messages a week, 100 to 44 days ago
        entry(case, ago(100 - week * 7), "comm_text")
        entry(case, ago(97 - week * 7), "comm_phone")
    flood = [entry(case, ago(day), "comm_text", incidents=3) for day in range(30, 17, -2)]  # 21 messages in 2 weeks
    home = entry(case, ago(18), "turning_up_home")
    threat = entry(case, ago(16), "threat_kill", "comm_voicemail")
    return case, flood, home, threat


def test_ex_partner_escalating_to_turning_up_and_a_threat_to_kill():
    case, flood, home, threat = ex_partner_escalating()
    new = redflags_evaluate_case(case=case)
    found = alerts(case)
    assert {a.rule_key for a in new} == {"threat-to-kill", "proximity-escalation", "frequency-escalation"}

    (kill,) = found["threat-to-kill"]
    assert kill.explanation == f"Threat to kill on {said(ago(16))}; prior intimate relationship."
    assert list(kill.entries.all()) == [threat]

    (closer,) = found["proximity-escalation"]
    assert closer.explanation.startswith("Escalation from ")
    assert f"to turning up at the victim's home ({said(ago(18))}) within" in closer.explanation
    assert closer.explanation.endswith("; prior intimate relationship.")
    assert home in closer.entries.all()

    (faster,) = found["frequency-escalation"]
    assert "Escalation in frequency:" in faster.explanation
    assert "prior intimate relationship" in faster.explanation
    assert set(flood) <= set(faster.entries.all())
    assert all(a.for_panel and a.status == AlertStatus.OPEN for a in new)


def test_breach_of_a_stalking_protection_order_names_the_order():
    case = a_case()
    order = ParallelProcess.unscoped.create(
        case=case,
        kind=ProcessKind.SPO,
        lead_agency="Anytown Police",
        started_on=ago(60),
        spo_stage=SpoStage.INTERIM_GRANTED,
    )
    entry(case, ago(10), "breach_order", "comm_text", order_breached=order)
    redflags_evaluate_case(case=case)
    (breach,) = alerts(case)["breach"]
    assert breach.explanation == (
        f"Breach of an order on {said(ago(10))} (the order breached: Stalking Protection Order "
        f"(Interim order granted), from {said(ago(60))}); prior intimate relationship."
    )


def test_separation_recorded_as_a_risk_event_and_a_new_partner():
    case = a_case()
    RiskEvent.unscoped.create(case=case, kind=RiskEventKind.SEPARATION, occurred_on=ago(40))
    RiskEvent.unscoped.create(case=case, kind=RiskEventKind.SEPARATION, occurred_on=ago(400))  # too long ago
    ParticipantFactory(case=case, role=ParticipantRole.NEW_PARTNER)
    redflags_evaluate_case(case=case)
    found = alerts(case)["separation-or-new-partner"]
    texts = sorted(a.explanation for a in found)
    assert texts == sorted(
        [
            f"Separation on {said(ago(40))}, within the last 6 months; prior intimate relationship.",
            f"New partner named on the case on {said(timezone.localdate())}, within the last 6 months; "
            "prior intimate relationship.",
        ]
    )


def test_perpetrator_with_a_violent_history_and_on_another_victims_case():
    case = a_case(relationship=Relationship.ACQUAINTANCE)
    him = perpetrator(case, flags=[PersonFlag.VIOLENT_HISTORY, PersonFlag.LONE_WORKER_RISK])
    other = CaseFactory(unit=case.unit)
    perpetrator(other, person=him, role=ParticipantRole.SUSPECT)
    elsewhere = CaseFactory()  # another unit's case is not this unit's business
    perpetrator(elsewhere, person=him)
    redflags_evaluate_case(case=case)
    found = alerts(case)
    (history,) = found["perpetrator-history"]
    assert history.explanation == "The perpetrator's record says: history of violence."
    (others,) = found["other-victims"]
    assert others.explanation == "The perpetrator is also the perpetrator or suspect on 1 other case(s) of the unit."


def test_the_stalking_screen_answers_raise_flags_from_the_latest_completed_screen():
    case = a_case(relationship=Relationship.STRANGER)
    assessor = on_team(case)
    version = stalking_screen()
    Assessment.unscoped.create(
        unit=case.unit,
        case=case,
        instrument_version=version,
        status=AssessmentStatus.COMPLETED,
        assessor=assessor,
        assessed_on=ago(3),
        answers_json='{"frightened": "yes", "threats": "yes", "turns_up": "no", "violence_now": "unknown"}',
        completed_at=timezone.now(),
    )
    redflags_evaluate_case(case=case)
    found = alerts(case)
    assert found["victim-frightened"][0].explanation == (
        f"The victim said they are frightened of what may happen next (Stalking screen (masip illustrative), "
        f"{said(ago(3))})."
    )
    assert "Has this person threatened to hurt or kill" in found["screen-threats-violence"][0].explanation
    assert "turning up" not in found["screen-threats-violence"][0].explanation


def test_a_stranger_emailing_at_a_steady_rate_for_months_raises_nothing():
    case = a_case(relationship=Relationship.STRANGER)
    for week in range(30):
        entry(case, ago(220 - week * 7), "comm_email")
        if week % 2:
            entry(case, ago(218 - week * 7), "comm_email")
    assert redflags_evaluate_case(case=case) == []
    assert not RedFlagAlert.unscoped.filter(case=case).exists()


def test_an_acquaintance_who_approached_once_long_ago_raises_nothing():
    case = a_case(relationship=Relationship.ACQUAINTANCE)
    entry(case, ago(700), "approaching")
    entry(case, ago(500), "comm_letter")
    assert redflags_evaluate_case(case=case) == []


def test_re_running_never_duplicates_and_refreshes_last_seen():
    case, *_ = ex_partner_escalating()
    first = redflags_evaluate_case(case=case)
    seen = {a.pk: a.last_seen_at for a in RedFlagAlert.unscoped.filter(case=case)}
    assert redflags_evaluate_case(case=case) == []
    assert RedFlagAlert.unscoped.filter(case=case).count() == len(first) == len(seen)
    for alert in RedFlagAlert.unscoped.filter(case=case):
        assert alert.last_seen_at >= seen[alert.pk]


def test_acknowledged_stays_acknowledged_and_a_new_fact_makes_a_new_alert():
    case, *_ = ex_partner_escalating()
    redflags_evaluate_case(case=case)
    kill = RedFlagAlert.unscoped.get(case=case, rule_key="threat-to-kill")
    RedFlagAlert.unscoped.filter(pk=kill.pk).update(status=AlertStatus.ACKNOWLEDGED, acknowledgement="Seen at panel.")
    assert redflags_evaluate_case(case=case) == []
    kill.refresh_from_db()
    assert kill.status == AlertStatus.ACKNOWLEDGED
    entry(case, ago(2), "threat_kill")
    (again,) = redflags_evaluate_case(case=case)
    assert again.rule_key == "threat-to-kill"
    assert again.status == AlertStatus.OPEN
    assert again.explanation == f"Threat to kill on {said(ago(2))}; prior intimate relationship."


def test_a_new_alert_makes_or_brings_forward_the_reassessment_task():
    case, *_ = ex_partner_escalating()
    lead = on_team(case)
    later = Task.unscoped.create(
        case=case,
        title="Re-assess risk (low risk)",
        kind=TaskKind.REASSESSMENT,
        rule="reassess:low",
        due_date=timezone.localdate() + timezone.timedelta(days=150),
        created_by=lead,
    )
    redflags_evaluate_case(case=case)
    later.refresh_from_db()
    assert later.status == TaskStatus.OPEN
    assert later.due_date < timezone.localdate() + timezone.timedelta(days=30)
    assert later.title.startswith("Re-assess risk: 3 new red flags")
    assert Task.unscoped.filter(case=case, kind=TaskKind.REASSESSMENT).count() == 1


def test_without_a_task_one_is_made():
    case = a_case()
    entry(case, ago(5), "weapon")
    redflags_evaluate_case(case=case)
    (task,) = Task.unscoped.filter(case=case, kind=TaskKind.REASSESSMENT)
    assert task.title == f"Re-assess risk: red flag “Weapon” ({said(ago(5))})"


def test_an_alert_resting_on_police_only_entries_is_kept_in_the_police_compartment():
    case = a_case(relationship=Relationship.STRANGER)
    entry(case, ago(9), "threat_kill", compartment=Compartment.POLICE)
    entry(case, ago(8), "violence_physical", compartment=Compartment.HEALTH)
    entry(case, ago(30), "comm_text")
    redflags_evaluate_case(case=case)
    found = alerts(case)
    assert found["threat-to-kill"][0].compartment == Compartment.POLICE
    assert found["violence"][0].compartment == Compartment.HEALTH
    (task,) = Task.unscoped.filter(case=case, kind=TaskKind.REASSESSMENT)
    assert "Threat" not in task.title
    assert "recorded in" in task.title
    advocate = on_team(case, role="stalking_advocate", case_role="advocate")
    assert not RedFlagAlert.objects.visible_to(advocate).filter(case=case).exists()


def test_a_proximity_escalation_that_needs_a_police_entry_is_police_only():
    case = a_case(relationship=Relationship.STRANGER)
    entry(case, ago(20), "comm_text")
    entry(case, ago(15), "following", compartment=Compartment.POLICE)
    redflags_evaluate_case(case=case)
    (closer,) = alerts(case)["proximity-escalation"]
    assert closer.compartment == Compartment.POLICE


def test_the_engine_never_sets_or_lowers_the_risk_level():
    case, *_ = ex_partner_escalating()
    case.risk_level = RiskLevel.LOW
    case.save()
    redflags_evaluate_case(case=case)
    case.refresh_from_db()
    assert case.risk_level == RiskLevel.LOW
    unassessed, *_ = ex_partner_escalating()
    redflags_evaluate_case(case=unassessed)
    unassessed.refresh_from_db()
    assert unassessed.risk_level == RiskLevel.NOT_ASSESSED


def test_cases_with_open_panel_alerts_are_on_the_next_panel():
    asking, *_ = ex_partner_escalating()
    quiet = a_case(unit=asking.unit)
    entry(quiet, ago(3), "researching_victim")  # a flag that does not ask for the panel
    redflags_evaluate_case(case=asking)
    redflags_evaluate_case(case=quiet)
    assert alerts(quiet)["researching-or-using-others"]
    assert cases_for_next_panel(unit=asking.unit) == [asking]
