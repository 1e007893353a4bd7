from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from masip.accounts.models import Role
from masip.referrals.models import Referral, ReferralStatus, ReferralSubject, Screening, TriageDecision, Urgency
from masip.referrals.selectors import referrals_of_referrer, screening_counts, screening_queue
from masip.referrals.services import referral_save_draft, screening_save, triage_decide
from tests.factories import UnitFactory, member

from .helpers import complete_draft, referrer_in, submitted_referral

pytestmark = pytest.mark.django_db


def test_queue_shows_the_units_open_referrals_only_to_its_screeners() -> None:
    unit, other_unit = UnitFactory(), UnitFactory()
    referrer = referrer_in(unit)
    screener = member(Role.CLINICIAN, unit=unit)
    mine = submitted_referral(unit=unit, referrer=referrer)
    theirs = submitted_referral(unit=other_unit)
    draft = referral_save_draft(actor=referrer, unit=unit, draft=complete_draft())
    decided = submitted_referral(unit=unit)
    triage_decide(
        actor=screener, referral=decided, decision="signposted", reasons="x", expected_version=decided.version
    )

    assert [r.pk for r in screening_queue(user=screener)] == [mine.pk]
    assert [r.pk for r in screening_queue(user=screener, status=ReferralStatus.DECIDED)] == [decided.pk]
    assert draft.pk not in {r.pk for r in screening_queue(user=screener, status=ReferralStatus.DRAFT)}
    assert theirs.pk not in {r.pk for r in screening_queue(user=screener)}
    # Referrers, and staff without the triage capability, have no queue.
    assert list(screening_queue(user=referrer)) == []
    assert list(screening_queue(user=member(Role.STALKING_ADVOCATE, unit=unit))) == []


def test_overdue_referrals_are_flagged_and_come_first() -> None:
    unit = UnitFactory()
    screener = member(Role.CLINICIAN, unit=unit)
    late = submitted_referral(unit=unit)
    due_today = submitted_referral(unit=unit)
    Referral.unscoped.filter(pk=late.pk).update(decision_deadline=timezone.localdate() - timedelta(days=1))
    Referral.unscoped.filter(pk=due_today.pk).update(decision_deadline=timezone.localdate())
    queue = list(screening_queue(user=screener))
    assert [(r.pk, r.overdue) for r in queue] == [(late.pk, True), (due_today.pk, False)]


def test_queue_filters() -> None:
    unit = UnitFactory()
    screener = member(Role.CLINICIAN, unit=unit)
    urgent = submitted_referral(unit=unit, urgency=Urgency.URGENT)
    routine = submitted_referral(unit=unit, urgency=Urgency.ROUTINE)
    Referral.unscoped.filter(pk=routine.pk).update(
        received_at=timezone.now() - timedelta(days=20), screener=screener, status=ReferralStatus.SCREENING
    )
    assert [r.pk for r in screening_queue(user=screener, urgency=Urgency.URGENT)] == [urgent.pk]
    assert [r.pk for r in screening_queue(user=screener, screener=screener)] == [routine.pk]
    assert [r.pk for r in screening_queue(user=screener, status=ReferralStatus.SCREENING)] == [routine.pk]
    today = timezone.localdate()
    assert [r.pk for r in screening_queue(user=screener, received_from=today - timedelta(days=1))] == [urgent.pk]
    assert [r.pk for r in screening_queue(user=screener, received_to=today - timedelta(days=1))] == [routine.pk]


def test_queue_reads_in_a_fixed_number_of_queries(django_assert_max_num_queries) -> None:
    unit = UnitFactory()
    screener = member(Role.CLINICIAN, unit=unit)
    for _ in range(4):
        submitted_referral(unit=unit)
    with django_assert_max_num_queries(2):
        rows = list(screening_queue(user=screener))
        labels = [(r.unit.code, r.source_agency.name, r.screener) for r in rows]
    assert len(labels) == 4


def test_counts_for_a_period() -> None:
    unit = UnitFactory()
    screener = member(Role.UNIT_MANAGER, unit=unit)
    decisions = [
        (TriageDecision.ACCEPTED, ""),
        (TriageDecision.PARTNER_MANAGED, "Safety plan."),
        (TriageDecision.PARTNER_MANAGED, "Safety plan."),
        (TriageDecision.NO_FURTHER_ACTION, ""),
    ]
    for decision, advice in decisions:
        referral = submitted_referral(unit=unit)
        triage_decide(
            actor=screener,
            referral=referral,
            decision=decision,
            reasons="Reasons.",
            advice=advice,
            expected_version=referral.version,
        )
    submitted_referral(unit=unit)  # received, not yet decided
    submitted_referral(unit=UnitFactory())  # another unit's
    today = timezone.localdate()
    counts = screening_counts(user=screener, start=today, end=today)
    assert (counts.received, counts.accepted, counts.partner_managed, counts.signposted, counts.no_further_action) == (
        5,
        1,
        2,
        0,
        1,
    )
    assert counts.median_working_days_to_decision == 0
    empty = screening_counts(user=screener, start=today - timedelta(days=30), end=today - timedelta(days=1))
    assert (empty.received, empty.median_working_days_to_decision) == (0, None)
    assert screening_counts(user=referrer_in(unit), start=today, end=today).received == 0


def test_referrer_sees_their_own_referrals_with_status_and_advice_only() -> None:
    unit = UnitFactory()
    referrer, colleague = referrer_in(unit), referrer_in(unit)
    screener = member(Role.CLINICIAN, unit=unit)
    draft = referral_save_draft(actor=referrer, unit=unit, draft=complete_draft())
    managed = submitted_referral(unit=unit, referrer=referrer)
    screening_save(
        actor=screener, referral=managed, fixated="yes", obsessive="no", unwanted="yes", repeated="yes", answers={}
    )
    triage_decide(
        actor=screener,
        referral=Referral.unscoped.get(pk=managed.pk),
        decision=TriageDecision.PARTNER_MANAGED,
        reasons="Internal reasoning the referrer does not see.",
        advice="Review the bail conditions with the victim.",
        expected_version=managed.version,
    )
    submitted_referral(unit=unit, referrer=colleague)

    views = {v.reference: v for v in referrals_of_referrer(user=referrer)}
    assert set(views) == {draft.reference, managed.reference}
    seen = views[managed.reference]
    assert (seen.status, seen.decision, seen.advice) == (
        ReferralStatus.DECIDED,
        TriageDecision.PARTNER_MANAGED,
        "Review the bail conditions with the victim.",
    )
    assert not hasattr(seen, "decision_reasons")
    assert not hasattr(seen, "summary")
    assert views[draft.reference].status_label == "Draft"
    # Nor can the referrer reach the unit's working papers through the scoped managers.
    assert list(Screening.objects.visible_to(referrer)) == []
    assert ReferralSubject.objects.visible_to(referrer).filter(referral=managed).count() == 2
    assert ReferralSubject.objects.visible_to(colleague).filter(referral=managed).count() == 0
