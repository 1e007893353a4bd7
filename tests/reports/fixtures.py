"""A small fixed data set for the report measures, built by hand.

Unit A is measured over March 2025 (`MARCH`). Unit B holds one of everything in March 2025 and
must never be counted; unit C has nothing at all. Every figure the tests expect is worked out
by hand in tests/reports/test_measures.py from the dates written here.

Unit A, agencies P (police), N (NHS), V (advocacy):

    referral received            decided      decision           case
    R1  P  25 Feb                3 Mar        accepted           C1
    R2  P   2 Mar                4 Mar        accepted           C2
    R3  P   5 Mar                5 Mar        accepted           C3
    R4  P  10 Mar               14 Mar        partner-managed
    R5  P  20 Mar                -
    R6  N   1 Mar               11 Mar        signposted
    R7  N  12 Mar               13 Mar        no further action  (names C5's victim: a re-referral)
    R8  N  28 Mar                2 Apr        accepted
    R9  V  15 Mar               18 Mar        signposted
    R10 V  31 Mar 23:30 (BST)    -                               (names C7's perpetrator, too late)
    R11 V  10 Jan               15 Jan        accepted           C4
    R12 V  draft, never received

    case  opened   closed (reason, level)          risk now   first completed assessment
    C1    3 Mar    -                                high       -
    C2    4 Mar    25 Mar (risk reduced, low)       moderate   4 Mar moderate (a draft high before)
    C3    5 Mar    28 Mar (victim declined, high)   high       none
    C4    15 Jan   10 Mar (risk reduced, low)       low        16 Jan high (computed only), 20 Feb low
    C5    1 Oct 23 20 Mar 2024 (no contact)         low
    C6    1 Nov 23 10 Mar 2024 (risk reduced)       low        C4 is marked its repeat
    C7    1 Dec 23 25 Mar 2024 (other)              low
    C8    1 Feb    -  (opened by hand)              moderate
    C9    5 Apr    -                                not assessed
    C10   10 Feb   10 Apr (risk reduced)            low

Victim-reported measures (safety / wellbeing, 0-10), by the case's victim:

    C1   6 Mar intake 3/4      28 Mar review 6/4
    C2   5 Mar intake 5/6      25 Mar closure 4/8
    C3   5 Mar intake 4/4       2 Apr review 8/8 (after March)
    C4  20 Jan intake 2/3      20 Feb review 4/5     10 Mar closure 7/6
    C5   2 Oct 23 intake 5/5   20 Mar 24 closure 6/5
    C8   3 Mar intake 6/6 (once only)
    B-C1 13 Mar intake 1/1     25 Mar closure 10/10 (unit B)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.utils import timezone

from masip.access.policy import Compartment
from masip.accounts.models import AgencyKind, Unit
from masip.cases.models import (
    Case,
    CaseParticipant,
    CaseStatus,
    CaseStatusChange,
    ClosureReason,
    NoteKind,
    ParticipantRole,
    RiskLevel,
)
from masip.interventions.models_legal import Order, OrderKind, OrderStatus
from masip.interventions.models_perpetrator import InterventionKind, InterventionStatus, PerpetratorIntervention
from masip.interventions.models_safety import MeasureOccasion, VictimMeasure
from masip.interventions.models_vcop import (
    VcopEvent,
    VcopEventKind,
    VcopUpdateDue,
    VcopUpdateKind,
    VcopUpdateStatus,
)
from masip.referrals.models import ReferralStatus, ReferralSubject, SubjectRole, TriageDecision
from masip.reports.period import Period
from masip.risk.models import Assessment, AssessmentStatus
from masip.timeline.models import AlertStatus, RedFlagAlert, TimelineEntry
from tests.factories import (
    AgencyFactory,
    CaseFactory,
    CaseNoteFactory,
    ParticipantFactory,
    ReferralFactory,
    UnitFactory,
    UserFactory,
)
from tests.risk.history_factories import instrument_version

MARCH = Period(date(2025, 3, 1), date(2025, 3, 31))
NOTHING_HAPPENED = Period(date(2020, 1, 1), date(2020, 1, 31))

_fingerprints = itertools.count()


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    """An aware instant on a UK day (noon unless told)."""
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def d(month: int, day: int, year: int = 2025) -> date:
    return date(year, month, day)


@dataclass
class World:
    unit_a: Unit
    unit_b: Unit
    unit_c: Unit
    agencies: dict[str, Any]
    cases: dict[str, Case]


def _case(unit: Unit, reference: str, opened: date, risk: str, **values: Any) -> Case:
    return CaseFactory(unit=unit, reference=reference, opened_at=at(opened, 10), risk_level=risk, **values)


def _close(case: Case, day: date, reason: str, level: str) -> None:
    case.status = CaseStatus.CLOSED
    case.closed_at = at(day, 15)
    case.closure_reason = reason
    case.risk_at_closure = level
    case.save()
    change = CaseStatusChange.unscoped.create(
        case=case,
        from_status=CaseStatus.ACTIVE,
        to_status=CaseStatus.CLOSED,
        closure_reason=reason,
        risk_at_closure=level,
        case_version=2,
    )
    CaseStatusChange.unscoped.filter(pk=change.pk).update(created_at=at(day, 15))


def _referral(unit: Unit, agency: Any, received: datetime | None, decided: date | None = None, **values: Any) -> Any:
    status = ReferralStatus.DECIDED if decided else (ReferralStatus.RECEIVED if received else ReferralStatus.DRAFT)
    return ReferralFactory(
        unit=unit,
        source_agency=agency,
        received_at=received,
        status=status,
        decided_at=at(decided, 16) if decided else None,
        **values,
    )


def _names(referral: Any, person: Any, role: str = SubjectRole.VICTIM) -> None:
    ReferralSubject.unscoped.create(referral=referral, role=role, person=person, given_name="A")


def _contact(case: Case, when: datetime, participant: CaseParticipant) -> None:
    CaseNoteFactory(case=case, kind=NoteKind.CONTACT, contact_at=when, contact_with=participant)


def _assessment(case: Case, assessed_on: date, level: str, assessor: Any, **values: Any) -> None:
    Assessment.unscoped.create(
        unit=case.unit,
        case=case,
        instrument_version=instrument_version(),
        status=values.pop("status", AssessmentStatus.COMPLETED),
        assessor=assessor,
        assessed_on=assessed_on,
        computed_level=values.pop("computed_level", level),
        level=level,
        completed_at=at(assessed_on),
    )


def _entry(case: Case, day: date, incidents: int = 1, **values: Any) -> None:
    TimelineEntry.unscoped.create(case=case, occurred_on=day, incidents=incidents, reported_by="police", **values)


def _flag(case: Case, raised: date, acknowledged: date | None = None) -> None:
    alert = RedFlagAlert.unscoped.create(
        case=case,
        rule_key="repeat-approach",
        fingerprint=f"fp-{next(_fingerprints)}",
        title="Approaches escalating",
        explanation="Three approaches in a week.",
        occurred_on=raised,
        status=AlertStatus.ACKNOWLEDGED if acknowledged else AlertStatus.OPEN,
        acknowledged_at=at(acknowledged) if acknowledged else None,
    )
    RedFlagAlert.unscoped.filter(pk=alert.pk).update(created_at=at(raised))


def _order(case: Case, recorded: date, status: str, starts_on: date, kind: str = OrderKind.SPO) -> Order:
    order = Order.unscoped.create(case=case, kind=kind, status=status, starts_on=starts_on)
    Order.unscoped.filter(pk=order.pk).update(created_at=at(recorded))
    return order


def _update(
    case: Case, victim: CaseParticipant, due_on: date, status: str, sent_at: datetime | None = None, event: Any = None
) -> None:
    VcopUpdateDue.unscoped.create(
        case=case,
        kind=VcopUpdateKind.EVENT if event else VcopUpdateKind.REGULAR,
        event=event,
        participant=victim,
        enhanced_rights=True,
        due_on=due_on,
        status=status,
        sent_at=sent_at,
    )


def _event(case: Case, kind: str, day: date) -> VcopEvent:
    return VcopEvent.unscoped.create(case=case, kind=kind, occurred_at=at(day, 9))


def _intervention(case: Case, perpetrator: CaseParticipant, kind: str, status: str, **dates: Any) -> None:
    PerpetratorIntervention.unscoped.create(
        case=case, participant=perpetrator, kind=kind, compartment=Compartment.HEALTH, status=status, **dates
    )


def _measure(victim: CaseParticipant, day: date, occasion: str, safety: int, wellbeing: int) -> None:
    VictimMeasure.unscoped.create(
        case=victim.case,
        participant=victim,
        occasion=occasion,
        measured_on=day,
        safety=safety,
        wellbeing=wellbeing,
        daily_impact=5,
    )


def build_world() -> World:
    unit_a, unit_b, unit_c = UnitFactory(), UnitFactory(), UnitFactory()
    police = AgencyFactory(name="Police force P", kind=AgencyKind.POLICE)
    nhs = AgencyFactory(name="NHS trust N", kind=AgencyKind.NHS)
    advocacy = AgencyFactory(name="Advocacy V", kind=AgencyKind.ADVOCACY)
    assessor = UserFactory()

    # --- unit A: cases -------------------------------------------------------------------------
    c1 = _case(unit_a, "A-C1", d(3, 3), RiskLevel.HIGH, status=CaseStatus.ACTIVE)
    c2 = _case(unit_a, "A-C2", d(3, 4), RiskLevel.MODERATE)
    c3 = _case(unit_a, "A-C3", d(3, 5), RiskLevel.HIGH)
    c4 = _case(unit_a, "A-C4", d(1, 15), RiskLevel.LOW)
    c5 = _case(unit_a, "A-C5", d(10, 1, 2023), RiskLevel.LOW)
    c6 = _case(unit_a, "A-C6", d(11, 1, 2023), RiskLevel.LOW)
    c7 = _case(unit_a, "A-C7", d(12, 1, 2023), RiskLevel.LOW)
    c8 = _case(unit_a, "A-C8", d(2, 1), RiskLevel.MODERATE)
    c9 = _case(unit_a, "A-C9", d(4, 5), RiskLevel.NOT_ASSESSED)
    c10 = _case(unit_a, "A-C10", d(2, 10), RiskLevel.LOW)
    c4.repeat_of = c6
    c4.save()
    _close(c2, d(3, 25), ClosureReason.RISK_REDUCED, RiskLevel.LOW)
    _close(c3, d(3, 28), ClosureReason.VICTIM_DECLINED, RiskLevel.HIGH)
    _close(c4, d(3, 10), ClosureReason.RISK_REDUCED, RiskLevel.LOW)
    _close(c5, d(3, 20, 2024), ClosureReason.NO_CONTACT, RiskLevel.LOW)
    _close(c6, d(3, 10, 2024), ClosureReason.RISK_REDUCED, RiskLevel.LOW)
    _close(c7, d(3, 25, 2024), ClosureReason.OTHER, RiskLevel.LOW)
    _close(c10, d(4, 10), ClosureReason.RISK_REDUCED, RiskLevel.LOW)

    victim = {
        case.reference: ParticipantFactory(case=case, role=ParticipantRole.VICTIM) for case in (c1, c2, c3, c4, c5, c8)
    }
    perpetrator = {
        case.reference: ParticipantFactory(case=case, role=ParticipantRole.PERPETRATOR)
        for case in (c1, c2, c7, c8, c10)
    }

    # --- unit A: referrals ---------------------------------------------------------------------
    accepted = TriageDecision.ACCEPTED
    _referral(unit_a, police, at(d(2, 25)), d(3, 3), decision=accepted, case=c1)
    _referral(unit_a, police, at(d(3, 2)), d(3, 4), decision=accepted, case=c2)
    _referral(unit_a, police, at(d(3, 5), 9), d(3, 5), decision=accepted, case=c3)
    _referral(unit_a, police, at(d(3, 10)), d(3, 14), decision=TriageDecision.PARTNER_MANAGED)
    _referral(unit_a, police, at(d(3, 20)))
    _referral(unit_a, nhs, at(d(3, 1), 0, 5), d(3, 11), decision=TriageDecision.SIGNPOSTED)
    r7 = _referral(unit_a, nhs, at(d(3, 12)), d(3, 13), decision=TriageDecision.NO_FURTHER_ACTION)
    _names(r7, victim["A-C5"].person)
    _referral(unit_a, nhs, at(d(3, 28)), d(4, 2), decision=accepted)
    _referral(unit_a, advocacy, at(d(3, 15)), d(3, 18), decision=TriageDecision.SIGNPOSTED)
    r10 = _referral(unit_a, advocacy, at(d(3, 31), 23, 30))
    _names(r10, perpetrator["A-C7"].person, SubjectRole.SUSPECT)
    _referral(unit_a, advocacy, at(d(1, 10)), d(1, 15), decision=accepted, case=c4)
    _referral(unit_a, advocacy, None)

    # --- unit A: contacts (first victim contact) -----------------------------------------------
    _contact(c1, at(d(3, 4)), perpetrator["A-C1"])  # not the victim
    _contact(c1, at(d(3, 6)), victim["A-C1"])
    _contact(c2, at(d(3, 5)), victim["A-C2"])
    _contact(c2, at(d(3, 10)), victim["A-C2"])
    _contact(c3, at(d(3, 5), 17), victim["A-C3"])
    _contact(c4, at(d(1, 20)), victim["A-C4"])
    _contact(c4, at(d(3, 2)), victim["A-C4"])
    _contact(c8, at(d(3, 3)), victim["A-C8"])
    CaseNoteFactory(case=c10, kind=NoteKind.NOTE)  # a plain note is no contact

    # --- unit A: risk assessments --------------------------------------------------------------
    _assessment(c2, d(3, 1), RiskLevel.HIGH, assessor, status=AssessmentStatus.DRAFT)
    _assessment(c2, d(3, 20), RiskLevel.LOW, assessor)
    _assessment(c2, d(3, 4), RiskLevel.MODERATE, assessor)
    _assessment(c4, d(2, 20), RiskLevel.LOW, assessor)
    _assessment(c4, d(1, 16), "", assessor, computed_level=RiskLevel.HIGH)

    # --- unit A: orders, breaches and the timeline ---------------------------------------------
    o1 = _order(c1, d(3, 6), OrderStatus.IN_FORCE, d(3, 7), OrderKind.INTERIM_SPO)
    _order(c2, d(3, 12), OrderStatus.APPLIED, d(3, 12), OrderKind.DAPO)
    _order(c8, d(2, 1), OrderStatus.GRANTED, d(2, 1), OrderKind.BAIL_CONDITIONS)
    o4 = _order(c10, d(2, 15), OrderStatus.EXPIRED, d(3, 1), OrderKind.RESTRAINING_CONVICTION)
    _order(c3, d(3, 20), OrderStatus.REFUSED, d(3, 20))

    _entry(c1, d(8, 1, 2024), 50)  # before the 180 days before acceptance
    _entry(c1, d(1, 10), 6)
    _entry(c1, d(2, 1), 12)
    _entry(c1, d(3, 10), 2)
    _entry(c1, d(3, 20), 1, order=o1)  # the breach
    _entry(c1, d(4, 5), 4)  # after the period
    _entry(c2, d(2, 20), 30)
    _entry(c2, d(3, 5), 11)
    _entry(c4, d(12, 1, 2024), 9)
    _entry(c4, d(2, 1), 5)
    _entry(c10, d(3, 15), 10)
    _entry(c10, d(4, 2), 1, order=o4)  # a breach after the period

    # --- unit A: red flags ---------------------------------------------------------------------
    _flag(c1, d(3, 5), d(3, 6))
    _flag(c1, d(2, 20), d(3, 2))
    _flag(c2, d(3, 21))
    _flag(c8, d(3, 29), d(4, 2))

    # --- unit A: Victims' Code updates ---------------------------------------------------------
    _update(
        c1, victim["A-C1"], d(3, 6), VcopUpdateStatus.SENT, at(d(3, 6), 21), _event(c1, VcopEventKind.ARREST, d(3, 5))
    )
    _update(
        c1,
        victim["A-C1"],
        d(3, 11),
        VcopUpdateStatus.SENT,
        at(d(3, 12), 9),
        _event(c1, VcopEventKind.CHARGED, d(3, 10)),
    )
    _update(c2, victim["A-C2"], d(3, 15), VcopUpdateStatus.OPEN)
    _update(
        c2,
        victim["A-C2"],
        d(3, 19),
        VcopUpdateStatus.WITHDRAWN,
        event=_event(c2, VcopEventKind.COURT_DATE_SET, d(3, 18)),
    )
    _update(c8, victim["A-C8"], d(2, 25), VcopUpdateStatus.SENT, at(d(3, 1)))
    # Sent at 00:30 on 1 April UK time (23:30 on 31 March UTC): a day late.
    _update(
        c8,
        victim["A-C8"],
        d(3, 31),
        VcopUpdateStatus.SENT,
        at(d(4, 1), 0, 30),
        _event(c8, VcopEventKind.INTERVIEW, d(3, 30)),
    )

    # --- unit A: perpetrator interventions -----------------------------------------------------
    done, going = InterventionStatus.COMPLETED, InterventionStatus.IN_PROGRESS
    programme = InterventionKind.TREATMENT_PROGRAMME
    _intervention(c1, perpetrator["A-C1"], InterventionKind.WARNING_VISIT, done, started_on=d(3, 2), ended_on=d(3, 2))
    _intervention(c1, perpetrator["A-C1"], programme, going, started_on=d(3, 10))
    _intervention(c8, perpetrator["A-C8"], programme, done, started_on=d(12, 1, 2024), ended_on=d(3, 20))
    _intervention(
        c10, perpetrator["A-C10"], programme, InterventionStatus.WITHDRAWN, started_on=d(1, 5), ended_on=d(3, 25)
    )
    _intervention(c2, perpetrator["A-C2"], InterventionKind.SOCIAL_SUPPORT, going, started_on=d(4, 2))

    # --- unit A: victim-reported measures -------------------------------------------------------
    intake, review, closure = MeasureOccasion.INTAKE, MeasureOccasion.REVIEW, MeasureOccasion.CLOSURE
    _measure(victim["A-C1"], d(3, 6), intake, 3, 4)
    _measure(victim["A-C1"], d(3, 28), review, 6, 4)
    _measure(victim["A-C2"], d(3, 5), intake, 5, 6)
    _measure(victim["A-C2"], d(3, 25), closure, 4, 8)
    _measure(victim["A-C3"], d(3, 5), intake, 4, 4)
    _measure(victim["A-C3"], d(4, 2), review, 8, 8)
    _measure(victim["A-C4"], d(1, 20), intake, 2, 3)
    _measure(victim["A-C4"], d(2, 20), review, 4, 5)
    _measure(victim["A-C4"], d(3, 10), closure, 7, 6)
    _measure(victim["A-C5"], d(10, 2, 2023), intake, 5, 5)
    _measure(victim["A-C5"], d(3, 20, 2024), closure, 6, 5)
    _measure(victim["A-C8"], d(3, 3), intake, 6, 6)

    _build_unit_b(unit_b, police, assessor)
    cases = {case.reference: case for case in (c1, c2, c3, c4, c5, c6, c7, c8, c9, c10)}
    return World(unit_a, unit_b, unit_c, {"P": police, "N": nhs, "V": advocacy}, cases)


def _build_unit_b(unit: Unit, agency: Any, assessor: Any) -> None:
    """One of everything in March 2025, none of which unit A may count."""
    case = _case(unit, "B-C1", d(3, 12), RiskLevel.HIGH)
    old = _case(unit, "B-C2", d(1, 1, 2024), RiskLevel.LOW, repeat_of=None)
    _close(old, d(3, 15, 2024), ClosureReason.OTHER, RiskLevel.LOW)
    victim = ParticipantFactory(case=case, role=ParticipantRole.VICTIM)
    perpetrator = ParticipantFactory(case=case, role=ParticipantRole.PERPETRATOR)
    _referral(unit, agency, at(d(3, 10)), d(3, 12), decision=TriageDecision.ACCEPTED, case=case)
    _contact(case, at(d(3, 13)), victim)
    _assessment(case, d(3, 12), RiskLevel.HIGH, assessor)
    _flag(case, d(3, 15), d(3, 16))
    order = _order(case, d(3, 15), OrderStatus.GRANTED, d(3, 15))
    _entry(case, d(3, 16), 3, order=order)
    _entry(case, d(2, 1), 3)
    _update(case, victim, d(3, 20), VcopUpdateStatus.OPEN)
    _intervention(
        case,
        perpetrator,
        InterventionKind.TREATMENT_PROGRAMME,
        InterventionStatus.COMPLETED,
        started_on=d(3, 20),
        ended_on=d(3, 30),
    )
    _measure(victim, d(3, 13), MeasureOccasion.INTAKE, 1, 1)
    _measure(victim, d(3, 25), MeasureOccasion.CLOSURE, 10, 10)
    _close(case, d(3, 25), ClosureReason.RISK_REDUCED, RiskLevel.LOW)
