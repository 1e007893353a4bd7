"""The case workflow services: status moves, repeats, further referrals, people, team, processes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from masip.access.models import CaseRole, CaseTeamMember
from masip.accounts.models import Role
from masip.audit.models import AuditEvent
from masip.cases.models import (
    Case,
    CaseParticipant,
    CaseStatus,
    CaseStatusChange,
    ParallelProcess,
    ParticipantRole,
    ProcessKind,
)
from masip.cases.services import (
    CaseStatusConflict,
    case_participant_add,
    case_participant_end,
    case_process_add,
    case_process_end,
    case_team_allocate,
    case_team_end,
    case_transition,
)
from masip.referrals.models import Referral, ReferralSubject, SubjectRole
from masip.referrals.services import triage_decide
from tests.factories import CaseFactory, PersonFactory, TeamMemberFactory, member
from tests.referrals.helpers import submitted_referral

pytestmark = pytest.mark.django_db

CLOSE = {"closure_reason": "risk_reduced", "risk_at_closure": "low", "reason": "No contact for four months."}


def lead_of(case: Case, role: str = Role.POLICE_INVESTIGATOR, case_role: str = CaseRole.LEAD_INVESTIGATOR):
    user = member(role, unit=case.unit, full_name="Dr Ada Lead")
    TeamMemberFactory(case=case, user=user, role_on_case=case_role)
    return user


def move(actor, case: Case, to: str, **extra):
    case.refresh_from_db()
    return case_transition(actor=actor, case=case, to=to, expected_version=case.version, **extra)


# Status workflow ---------------------------------------------------------------------------


def test_a_case_walks_the_whole_workflow_and_each_move_is_kept_and_audited():
    case = CaseFactory()
    lead = lead_of(case)
    move(lead, case, CaseStatus.ACTIVE)
    move(lead, case, CaseStatus.UNDER_REVIEW)
    move(lead, case, CaseStatus.CLOSED, **CLOSE)
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    assert case.closed_at is not None
    assert (case.closure_reason, case.risk_at_closure) == ("risk_reduced", "low")
    move(lead, case, CaseStatus.REOPENED, reason="New messages from a fresh number.")
    move(lead, case, CaseStatus.ACTIVE)
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE
    assert case.closed_at is None  # no longer closed; the closure stays in the history
    history = list(CaseStatusChange.unscoped.filter(case=case).order_by("created_at"))
    assert [(h.from_status, h.to_status) for h in history] == [
        ("open", "active"),
        ("active", "under_review"),
        ("under_review", "closed"),
        ("closed", "reopened"),
        ("reopened", "active"),
    ]
    assert history[2].closure_reason == "risk_reduced"
    assert history[2].reason == "No contact for four months."
    assert all(h.created_by == lead for h in history)
    changes = AuditEvent.objects.filter(case_id=case.pk, action="change", object_type="cases.case").order_by("seq")
    assert [(e.detail["from"], e.detail["to"]) for e in changes] == [(h.from_status, h.to_status) for h in history]


def test_closing_cancels_the_rule_made_tasks_and_reopening_gives_a_review_again():
    from masip.work.models import Task, TaskKind, TaskStatus
    from masip.work.services import RuleReason, task_create, work_rules_apply

    case = CaseFactory()
    lead = lead_of(case)
    work_rules_apply(case=case, reason=RuleReason.CASE_OPENED)
    manual = task_create(
        actor=lead, case=case, title="Return the victim's phone", due_date=timezone.localdate(), owner_id=lead.pk
    )
    assert Task.unscoped.filter(case=case, status=TaskStatus.OPEN).count() == 3  # review, first contact, manual
    move(lead, case, CaseStatus.ACTIVE)
    move(lead, case, CaseStatus.UNDER_REVIEW)
    move(lead, case, CaseStatus.CLOSED, **CLOSE)
    still_open = Task.unscoped.filter(case=case, status=TaskStatus.OPEN)
    assert list(still_open.values_list("pk", flat=True)) == [manual.pk]  # by hand: left to its owner
    assert not Task.unscoped.filter(case=case, kind=TaskKind.REVIEW, status=TaskStatus.OPEN).exists()
    move(lead, case, CaseStatus.REOPENED, reason="New messages from a fresh number.")
    assert Task.unscoped.filter(case=case, kind=TaskKind.REVIEW, status=TaskStatus.OPEN).count() == 1


def test_an_illegal_move_is_refused_naming_the_allowed_ones_and_nothing_is_written():
    case = CaseFactory()
    lead = lead_of(case)
    with pytest.raises(ValidationError) as refused:
        move(lead, case, CaseStatus.CLOSED, **CLOSE)
    message = refused.value.message_dict["to"][0]
    assert "“Open” cannot move to “Closed”" in message
    assert "“Active risk management”" in message
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    assert case.version == 1
    assert not CaseStatusChange.unscoped.filter(case=case).exists()


def test_closing_needs_a_reason_from_the_list_an_explanation_and_the_risk_at_closure():
    case = CaseFactory(status=CaseStatus.UNDER_REVIEW)
    lead = lead_of(case)
    with pytest.raises(ValidationError) as refused:
        move(lead, case, CaseStatus.CLOSED)
    assert set(refused.value.message_dict) == {"closure_reason", "risk_at_closure", "reason"}
    with pytest.raises(ValidationError):
        move(lead, case, CaseStatus.CLOSED, closure_reason="bored", risk_at_closure="low", reason="x")
    with pytest.raises(ValidationError):
        move(lead, case, CaseStatus.CLOSED, closure_reason="risk_reduced", risk_at_closure="not_assessed", reason="x")
    case.refresh_from_db()
    assert case.status == CaseStatus.UNDER_REVIEW


def test_reopening_needs_a_reason():
    case = CaseFactory(status=CaseStatus.CLOSED, closed_at=timezone.now())
    lead = lead_of(case)
    with pytest.raises(ValidationError) as refused:
        move(lead, case, CaseStatus.REOPENED, reason="   ")
    assert "reason" in refused.value.message_dict


@pytest.mark.parametrize(
    ("role", "case_role", "allowed"),
    [
        (Role.POLICE_INVESTIGATOR, CaseRole.LEAD_INVESTIGATOR, True),
        (Role.CLINICIAN, CaseRole.LEAD_CLINICIAN, True),
        (Role.POLICE_INVESTIGATOR, CaseRole.INVESTIGATOR, False),
        (Role.OUTREACH_WORKER, CaseRole.OUTREACH_WORKER, False),
        (Role.STALKING_ADVOCATE, CaseRole.ADVOCATE, False),
        (Role.SUPPORT_OFFICER, CaseRole.LEAD_INVESTIGATOR, False),  # no `change` in the team compartment
    ],
)
def test_only_the_case_leads_move_the_status(role, case_role, allowed):
    case = CaseFactory()
    user = lead_of(case, role, case_role)
    if allowed:
        move(user, case, CaseStatus.ACTIVE)
    else:
        with pytest.raises(PermissionDenied):
            move(user, case, CaseStatus.ACTIVE)
        assert not CaseStatusChange.unscoped.filter(case=case).exists()


def test_the_unit_manager_moves_the_status_without_being_on_the_team_but_not_in_another_unit():
    case = CaseFactory()
    move(member(Role.UNIT_MANAGER, unit=case.unit), case, CaseStatus.ACTIVE)
    with pytest.raises(PermissionDenied):
        move(member(Role.UNIT_MANAGER), case, CaseStatus.UNDER_REVIEW)


def test_a_lead_who_has_left_the_team_no_longer_moves_the_status():
    case = CaseFactory()
    lead = lead_of(case)
    CaseTeamMember.objects.filter(case=case, user=lead).update(until=timezone.now() - timedelta(minutes=1))
    with pytest.raises(PermissionDenied):
        move(lead, case, CaseStatus.ACTIVE)


def test_two_users_changing_the_status_at_once_the_second_is_told_who_moved_it_to_what_and_when():
    case = CaseFactory(status=CaseStatus.ACTIVE)
    first = lead_of(case)
    second = lead_of(case, Role.CLINICIAN, CaseRole.LEAD_CLINICIAN)
    first.full_name, second.full_name = "Dr Xavier Ward", "Sam Second"
    first.save()
    opened_by_both = case.version
    case_transition(actor=first, case=case, to=CaseStatus.UNDER_REVIEW, expected_version=opened_by_both)
    stale_copy = Case.unscoped.get(pk=case.pk)
    with pytest.raises(CaseStatusConflict) as conflict:
        case_transition(actor=second, case=stale_copy, to=CaseStatus.UNDER_REVIEW, expected_version=opened_by_both)
    change = CaseStatusChange.unscoped.get(case=case)
    at = timezone.localtime(change.created_at).strftime("%H:%M")
    assert f"Dr Xavier Ward moved this case to Under review at {at}" in str(conflict.value)
    assert "Nothing you entered was saved" in str(conflict.value)
    assert CaseStatusChange.unscoped.filter(case=case).count() == 1
    case.refresh_from_db()
    assert case.version == opened_by_both + 1


# Repeat referrals and further referrals ----------------------------------------------------


def accepted_person(unit, role=SubjectRole.VICTIM):
    screener = member(Role.POLICE_INVESTIGATOR, unit=unit)
    referral = submitted_referral(unit=unit)
    triage_decide(
        actor=screener, referral=referral, decision="accepted", reasons="x", expected_version=referral.version
    )
    referral.refresh_from_db()
    return referral.case, ReferralSubject.unscoped.get(referral=referral, role=role).person, screener


def link_subjects(referral: Referral, **people) -> None:
    for role, person in people.items():
        ReferralSubject.unscoped.filter(referral=referral, role=role).update(person=person)


@pytest.mark.parametrize(("closed_days_ago", "repeat"), [(30, True), (364, True), (400, False)])
def test_a_referral_about_a_victim_of_a_case_closed_within_12_months_is_flagged_as_a_repeat(closed_days_ago, repeat):
    unit = CaseFactory().unit
    earlier, victim, screener = accepted_person(unit)
    Case.unscoped.filter(pk=earlier.pk).update(
        status=CaseStatus.CLOSED, closed_at=timezone.now() - timedelta(days=closed_days_ago)
    )
    again = submitted_referral(unit=unit)
    link_subjects(again, victim=victim)
    triage_decide(actor=screener, referral=again, decision="accepted", reasons="y", expected_version=again.version)
    again.refresh_from_db()
    assert again.case != earlier
    assert (again.case.repeat_of == earlier) is repeat
    opened = AuditEvent.objects.get(case_id=again.case.pk, action="create", object_type="cases.case")
    assert ("repeat_of" in opened.detail) is repeat


def test_a_further_referral_attaches_to_the_open_case_adding_new_people_and_opening_no_case():
    unit = CaseFactory().unit
    case, victim, screener = accepted_person(unit)
    before = Case.unscoped.filter(unit=unit).count()
    further = submitted_referral(unit=unit)
    link_subjects(further, victim=victim)  # same victim, a suspect the case does not know yet
    triage_decide(
        actor=screener,
        referral=further,
        decision="accepted",
        reasons="Same ex-partner, new threats.",
        expected_version=further.version,
        attach_to=case,
    )
    further.refresh_from_db()
    assert further.case == case
    assert Case.unscoped.filter(unit=unit).count() == before
    roles = sorted(CaseParticipant.unscoped.filter(case=case).values_list("role", flat=True))
    assert roles == ["suspect", "suspect", "victim"]  # the victim is not added twice
    event = AuditEvent.objects.get(case_id=case.pk, action="change", detail__attached=True)
    assert event.detail["referral"] == further.reference


def test_a_referral_cannot_be_attached_to_a_closed_case_and_nothing_is_written():
    unit = CaseFactory().unit
    case, victim, screener = accepted_person(unit)
    Case.unscoped.filter(pk=case.pk).update(status=CaseStatus.CLOSED, closed_at=timezone.now())
    further = submitted_referral(unit=unit)
    link_subjects(further, victim=victim)
    with pytest.raises(ValidationError, match="closed or no longer involves"):
        triage_decide(
            actor=screener,
            referral=further,
            decision="accepted",
            reasons="x",
            expected_version=further.version,
            attach_to=case,
        )
    further.refresh_from_db()
    assert further.case is None
    assert further.decision == ""


def test_only_an_accepted_referral_attaches():
    unit = CaseFactory().unit
    case, victim, screener = accepted_person(unit)
    further = submitted_referral(unit=unit)
    link_subjects(further, victim=victim)
    with pytest.raises(ValidationError):
        triage_decide(
            actor=screener,
            referral=further,
            decision="signposted",
            reasons="x",
            expected_version=further.version,
            attach_to=case,
        )


# People on the case ------------------------------------------------------------------------


def test_a_witness_is_added_then_their_part_ended_and_the_row_kept():
    case = CaseFactory()
    worker = lead_of(case, Role.OUTREACH_WORKER, CaseRole.OUTREACH_WORKER)
    person = PersonFactory(unit=case.unit)
    added = case_participant_add(
        actor=worker, case=case, person=person, role=ParticipantRole.WITNESS, relationship="neighbour"
    )
    with pytest.raises(ValidationError, match="already on this case"):
        case_participant_add(actor=worker, case=case, person=person, role=ParticipantRole.WITNESS)
    case_participant_end(actor=worker, participant=added, expected_version=added.version)
    added.refresh_from_db()
    assert added.ended_at is not None
    assert added.ended_by == worker
    # Once ended, the same person may take part again.
    case_participant_add(actor=worker, case=case, person=person, role=ParticipantRole.WITNESS)
    assert CaseParticipant.unscoped.filter(case=case, person=person).count() == 2
    actions = list(AuditEvent.objects.filter(person_id=person.pk).order_by("seq").values_list("action", flat=True))
    assert actions == ["create", "change", "create"]


def test_a_person_of_another_unit_is_never_added():
    case = CaseFactory()
    worker = lead_of(case, Role.OUTREACH_WORKER, CaseRole.OUTREACH_WORKER)
    with pytest.raises(ValidationError, match="not a record of this unit"):
        case_participant_add(actor=worker, case=case, person=PersonFactory(), role=ParticipantRole.FAMILY)


def test_a_support_officer_cannot_change_the_people_on_a_case():
    case = CaseFactory()
    officer = lead_of(case, Role.SUPPORT_OFFICER, CaseRole.SUPPORT)
    with pytest.raises(PermissionDenied):
        case_participant_add(
            actor=officer, case=case, person=PersonFactory(unit=case.unit), role=ParticipantRole.NEW_PARTNER
        )


# Case team ---------------------------------------------------------------------------------


def test_the_unit_manager_allocates_a_lead_and_reallocation_ends_the_previous_lead():
    case = CaseFactory()
    manager = member(Role.UNIT_MANAGER, unit=case.unit)
    first = member(Role.POLICE_INVESTIGATOR, unit=case.unit)
    second = member(Role.POLICE_INVESTIGATOR, unit=case.unit)
    one = case_team_allocate(actor=manager, case=case, user=first, role_on_case=CaseRole.LEAD_INVESTIGATOR)
    two = case_team_allocate(actor=manager, case=case, user=second, role_on_case=CaseRole.LEAD_INVESTIGATOR)
    one.refresh_from_db()
    assert one.until is not None
    assert two.until is None
    assert list(CaseTeamMember.objects.active().filter(case=case).values_list("user", flat=True)) == [second.pk]
    events = AuditEvent.objects.filter(case_id=case.pk, object_type="access.caseteammember").order_by("seq")
    assert [e.action for e in events] == ["create", "change", "create"]


def test_only_a_member_with_a_matching_role_is_allocated():
    case = CaseFactory()
    manager = member(Role.UNIT_MANAGER, unit=case.unit)
    clinician = member(Role.CLINICIAN, unit=case.unit)
    with pytest.raises(ValidationError, match="cannot be the case's lead investigator"):
        case_team_allocate(actor=manager, case=case, user=clinician, role_on_case=CaseRole.LEAD_INVESTIGATOR)
    outsider = member(Role.POLICE_INVESTIGATOR)  # another unit
    with pytest.raises(ValidationError):
        case_team_allocate(actor=manager, case=case, user=outsider, role_on_case=CaseRole.INVESTIGATOR)
    assert not CaseTeamMember.objects.filter(case=case).exists()


def test_only_the_unit_manager_allocates():
    case = CaseFactory()
    lead = lead_of(case)
    with pytest.raises(PermissionDenied):
        case_team_allocate(
            actor=lead, case=case, user=member(Role.CLINICIAN, unit=case.unit), role_on_case=CaseRole.CLINICIAN
        )


def test_ending_a_membership_keeps_the_row_with_the_date_left_and_cannot_be_done_twice():
    case = CaseFactory()
    manager = member(Role.UNIT_MANAGER, unit=case.unit)
    advocate = member(Role.STALKING_ADVOCATE, unit=case.unit)
    membership = case_team_allocate(actor=manager, case=case, user=advocate, role_on_case=CaseRole.ADVOCATE)
    case_team_end(actor=manager, member=membership)
    membership.refresh_from_db()
    assert membership.until is not None
    with pytest.raises(ValidationError, match="already left"):
        case_team_end(actor=manager, member=membership)
    assert CaseTeamMember.objects.filter(pk=membership.pk).exists()


# Parallel processes ------------------------------------------------------------------------


def test_mappa_needs_its_category_and_level_and_an_ended_process_keeps_its_dates():
    case = CaseFactory()
    lead = lead_of(case)
    today = timezone.localdate()
    with pytest.raises(ValidationError) as refused:
        case_process_add(actor=lead, case=case, kind=ProcessKind.MAPPA, lead_agency="Probation", started_on=today)
    assert set(refused.value.message_dict) == {"mappa_category", "mappa_level"}
    process = case_process_add(
        actor=lead,
        case=case,
        kind=ProcessKind.MAPPA,
        lead_agency="Probation Service",
        started_on=today,
        mappa_category="2",
        mappa_level="3",
    )
    assert process.summary.startswith("Category 2")
    with pytest.raises(ValidationError):
        case_process_end(actor=lead, process=process, ended_on=today - timedelta(days=1), expected_version=1)
    case_process_end(actor=lead, process=process, ended_on=today, expected_version=1)
    process.refresh_from_db()
    assert process.ended_on == today
    assert ParallelProcess.unscoped.filter(case=case).count() == 1
    events = AuditEvent.objects.filter(case_id=case.pk, object_type="cases.parallelprocess").order_by("seq")
    assert [e.action for e in events] == ["create", "change"]


def test_an_spo_needs_its_stage_and_another_unit_its_name():
    case = CaseFactory()
    lead = lead_of(case)
    today = timezone.localdate()
    with pytest.raises(ValidationError, match="stage"):
        case_process_add(actor=lead, case=case, kind=ProcessKind.SPO, lead_agency="Police", started_on=today)
    with pytest.raises(ValidationError, match="Name the other unit"):
        case_process_add(actor=lead, case=case, kind=ProcessKind.OTHER_UNIT, lead_agency="x", started_on=today)
    with pytest.raises(ValidationError, match="future"):
        case_process_add(
            actor=lead, case=case, kind=ProcessKind.MARAC, lead_agency="x", started_on=today + timedelta(days=2)
        )
    assert not ParallelProcess.unscoped.filter(case=case).exists()
