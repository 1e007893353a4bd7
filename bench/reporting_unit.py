"""Ten years of a busy unit, for the reporting benchmarks: 30,000 referrals, 10,000 cases and
300,000 timeline entries by default, with what the measures read around them (people, contact
records, assessments, closures, red flags, orders and breaches, Victims' Code updates,
perpetrator interventions, victim measures, re-referrals).

Rows are written with `bulk_create` in batches; the time stamps that the models fill on
creation (`created_at`: a closure, an order entered, a red flag raised) are set to their
historical values by switching `auto_now_add` off while the unit is built: only in the
benchmark's own process. The shape follows a real unit's: about a third of referrals taken on,
most of the rest managed by partners; decisions within days; cases open for months.

Deterministic for a given seed, so the SQLite and PostgreSQL runs measure the same data.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

BATCH = 2000


@dataclass
class Built:
    unit: Any
    referrals: int
    cases: int
    entries: int
    rows: int


@contextmanager
def _historical_created_at(models: list[Any]) -> Iterator[None]:
    fields = [m._meta.get_field("created_at") for m in models]
    before = [f.auto_now_add for f in fields]
    for f in fields:
        f.auto_now_add = False
    try:
        yield
    finally:
        for f, value in zip(fields, before, strict=True):
            f.auto_now_add = value


def build_unit(
    *,
    code: str,
    today: date,
    years: int = 10,
    referrals: int = 30_000,
    cases: int = 10_000,
    entries_per_case: int = 30,
    seed: int = 9,
    agencies: list[Any] | None = None,
    instrument_version: Any = None,
    assessor: Any = None,
) -> Built:
    from django.db import transaction
    from django.utils import timezone

    from masip.access.policy import Compartment
    from masip.accounts.models import Agency, AgencyKind, Unit
    from masip.cases.models import (
        Case,
        CaseNote,
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
    from masip.interventions.models_safety import VictimMeasure
    from masip.interventions.models_vcop import VcopUpdateDue, VcopUpdateKind, VcopUpdateStatus
    from masip.people.models import Person
    from masip.referrals.models import Referral, ReferralStatus, ReferralSubject, SubjectRole, TriageDecision
    from masip.risk.models import Assessment, AssessmentStatus
    from masip.timeline.models import AlertStatus, RedFlagAlert, TimelineEntry

    rng = random.Random(f"{seed}-{code}")  # noqa: S311 (made-up data, not secrets)
    zone = timezone.get_current_timezone()

    def at(day: date, hour: int = 12) -> datetime:
        return datetime.combine(day, time(hour, rng.randrange(60)), tzinfo=zone)

    first_day = today - timedelta(days=365 * years)
    span = (today - first_day).days
    if agencies is None:
        agencies = [
            Agency.objects.get_or_create(name=name, defaults={"kind": kind})[0]
            for name, kind in (
                ("Bench police force", AgencyKind.POLICE),
                ("Bench NHS trust", AgencyKind.NHS),
                ("Bench probation", AgencyKind.PROBATION),
                ("Bench advocacy service", AgencyKind.ADVOCACY),
                ("Bench local authority", AgencyKind.LOCAL_AUTHORITY),
            )
        ]
    weights = [60, 12, 10, 12, 6][: len(agencies)]
    unit = Unit.objects.create(name=f"Bench unit {code}", code=code, lead_agency=agencies[0])
    levels = [value for value in RiskLevel.values if value != RiskLevel.NOT_ASSESSED]
    reasons = list(ClosureReason.values)
    order_statuses = [OrderStatus.APPLIED, OrderStatus.GRANTED, OrderStatus.IN_FORCE, OrderStatus.EXPIRED]

    # Referrals: received uniformly over the years; one in three taken on.
    received = sorted(first_day + timedelta(days=rng.randrange(span)) for _ in range(referrals))
    taken_on = set(rng.sample(range(referrals), cases))
    rows = 0
    built_referrals: list[Any] = []
    built_cases: list[Any] = []
    opened_on: dict[Any, date] = {}
    closed_on: dict[Any, date | None] = {}
    for index, day in enumerate(received):
        decided = day + timedelta(days=min(int(rng.expovariate(1 / 4)), 60))
        if decided >= today:
            decision, decided_at = "", None
        elif index in taken_on:
            decision, decided_at = TriageDecision.ACCEPTED, at(decided, 16)
        else:
            decision = rng.choices(
                [TriageDecision.PARTNER_MANAGED, TriageDecision.SIGNPOSTED, TriageDecision.NO_FURTHER_ACTION],
                [85, 10, 5],
            )[0]
            decided_at = at(decided, 16)
        case = None
        if decision == TriageDecision.ACCEPTED:
            length = 60 + int(rng.expovariate(1 / 160))
            closed = decided + timedelta(days=length)
            case = Case(
                id=uuid.uuid4(),
                unit=unit,
                reference=f"{code}-{len(built_cases) + 1:06d}",
                opened_at=at(decided, 17),
                risk_level=rng.choice(levels),
                created_at=at(decided, 17),
            )
            if closed < today:
                case.status = CaseStatus.CLOSED
                case.closed_at = at(closed, 15)
                case.closure_reason = rng.choice(reasons)
                case.risk_at_closure = rng.choice(levels)
            else:
                case.status = CaseStatus.ACTIVE
            opened_on[case.id] = decided
            closed_on[case.id] = closed if closed < today else None
            built_cases.append(case)
        built_referrals.append(
            Referral(
                id=uuid.uuid4(),
                unit=unit,
                reference=f"{code}-R{index + 1:06d}",
                source_agency=rng.choices(agencies, weights)[0],
                received_at=at(day, 10),
                status=ReferralStatus.DECIDED if decided_at else ReferralStatus.RECEIVED,
                decision=decision,
                decided_at=decided_at,
                case=case,
                created_at=at(day, 10),
            )
        )

    everything = [
        Case,
        Referral,
        Person,
        CaseParticipant,
        ReferralSubject,
        CaseNote,
        Assessment,
        CaseStatusChange,
        TimelineEntry,
        RedFlagAlert,
        Order,
        VcopUpdateDue,
        PerpetratorIntervention,
        VictimMeasure,
    ]
    stamped = [m for m in everything if "created_at" in {f.name for f in m._meta.fields}]
    with _historical_created_at(stamped), transaction.atomic():
        Case.unscoped.bulk_create(built_cases, batch_size=BATCH)
        Referral.unscoped.bulk_create(built_referrals, batch_size=BATCH)
        rows += len(built_cases) + len(built_referrals)

        people: list[Any] = []
        participants: list[Any] = []
        victims: dict[Any, Any] = {}
        perpetrators: dict[Any, Any] = {}
        for case in built_cases:
            for role, store in ((ParticipantRole.VICTIM, victims), (ParticipantRole.PERPETRATOR, perpetrators)):
                person = Person(
                    id=uuid.uuid4(),
                    unit=unit,
                    given_name="Bench",
                    family_name=f"P{len(people)}",
                    created_at=case.created_at,
                )
                people.append(person)
                participant = CaseParticipant(
                    id=uuid.uuid4(), case=case, person=person, role=role, created_at=case.created_at
                )
                participants.append(participant)
                store[case.id] = participant
        Person.unscoped.bulk_create(people, batch_size=BATCH)
        CaseParticipant.unscoped.bulk_create(participants, batch_size=BATCH)
        rows += len(people) + len(participants)

        # Each referral names someone; one in ten names a person of an earlier case (a re-referral).
        subjects = []
        earlier: list[Any] = []
        for referral in built_referrals:
            person = None
            if referral.case_id is not None:
                person = victims[referral.case_id].person
            elif earlier and rng.random() < 0.1:
                person = rng.choice(earlier[-300:]).person
            subjects.append(
                ReferralSubject(
                    id=uuid.uuid4(),
                    referral=referral,
                    role=SubjectRole.VICTIM,
                    person=person,
                    given_name="B",
                    created_at=referral.created_at,
                )
            )
            if referral.case_id is not None:
                earlier.append(victims[referral.case_id])
        ReferralSubject.unscoped.bulk_create(subjects, batch_size=BATCH)
        rows += len(subjects)

        notes, assessments, changes, measures_ = [], [], [], []
        entries, flags, orders_, updates, interventions = [], [], [], [], []
        for case in built_cases:
            opened, closed = opened_on[case.id], closed_on[case.id]
            last = closed or today
            victim, perpetrator = victims[case.id], perpetrators[case.id]
            contact = opened + timedelta(days=int(rng.expovariate(1 / 3)))
            if contact <= last:
                notes.append(
                    CaseNote(
                        id=uuid.uuid4(),
                        case=case,
                        kind=NoteKind.CONTACT,
                        body="Contact made.",
                        contact_at=at(contact, 11),
                        contact_with=victim,
                        created_at=at(contact, 11),
                    )
                )
            for offset in (0, 90):
                day = opened + timedelta(days=offset)
                if day <= last:
                    level = rng.choice(levels)
                    assessments.append(
                        Assessment(
                            id=uuid.uuid4(),
                            unit=unit,
                            case=case,
                            instrument_version=instrument_version,
                            status=AssessmentStatus.COMPLETED,
                            assessor=assessor,
                            assessed_on=day,
                            computed_level=level,
                            level=level,
                            completed_at=at(day),
                            created_at=at(day),
                        )
                    )
            if closed is not None:
                changes.append(
                    CaseStatusChange(
                        id=uuid.uuid4(),
                        case=case,
                        from_status=CaseStatus.ACTIVE,
                        to_status=CaseStatus.CLOSED,
                        closure_reason=case.closure_reason,
                        risk_at_closure=case.risk_at_closure,
                        case_version=2,
                        created_at=case.closed_at,
                    )
                )
            order = None
            if rng.random() < 0.3:
                starts = opened + timedelta(days=rng.randrange(1, 40))
                order = Order(
                    id=uuid.uuid4(),
                    case=case,
                    kind=rng.choice(OrderKind.values),
                    status=rng.choice(order_statuses),
                    starts_on=starts,
                    created_at=at(starts - timedelta(days=2)),
                )
                orders_.append(order)
            for _ in range(entries_per_case):
                day = opened + timedelta(days=rng.randrange(-180, 300))
                entries.append(
                    TimelineEntry(
                        id=uuid.uuid4(),
                        case=case,
                        occurred_on=min(day, today),
                        incidents=rng.choice((1, 1, 1, 2, 3)),
                        reported_by="police",
                        order=order if order is not None and day > order.starts_on and rng.random() < 0.1 else None,
                        created_at=at(min(day, today)),
                    )
                )
            if rng.random() < 0.5:
                raised = opened + timedelta(days=rng.randrange(0, 120))
                acknowledged = raised + timedelta(days=rng.randrange(0, 3))
                flags.append(
                    RedFlagAlert(
                        id=uuid.uuid4(),
                        case=case,
                        rule_key="repeat-approach",
                        fingerprint=uuid.uuid4().hex,
                        title="Approaches escalating",
                        explanation="Three approaches in a week.",
                        occurred_on=raised,
                        status=AlertStatus.ACKNOWLEDGED,
                        acknowledged_at=at(acknowledged),
                        created_at=at(raised),
                    )
                )
            for week in (1, 5, 9):
                due = opened + timedelta(weeks=week)
                if due > last:
                    break
                sent = due + timedelta(days=rng.choice((-2, -1, 0, 0, 1, 3)))
                updates.append(
                    VcopUpdateDue(
                        id=uuid.uuid4(),
                        case=case,
                        kind=VcopUpdateKind.REGULAR,
                        participant=victim,
                        enhanced_rights=True,
                        due_on=due,
                        status=VcopUpdateStatus.SENT if sent < today else VcopUpdateStatus.OPEN,
                        sent_at=at(sent, 14) if sent < today else None,
                        created_at=at(opened),
                    )
                )
            if rng.random() < 0.5:
                started = opened + timedelta(days=rng.randrange(5, 60))
                ended = started + timedelta(days=rng.randrange(30, 200))
                interventions.append(
                    PerpetratorIntervention(
                        id=uuid.uuid4(),
                        case=case,
                        participant=perpetrator,
                        kind=rng.choice([InterventionKind.TREATMENT_PROGRAMME, InterventionKind.WARNING_VISIT]),
                        compartment=Compartment.HEALTH,
                        status=InterventionStatus.COMPLETED if ended < last else InterventionStatus.IN_PROGRESS,
                        started_on=started,
                        ended_on=ended if ended < last else None,
                        created_at=at(started),
                    )
                )
            for offset in (0, 120):
                day = opened + timedelta(days=offset)
                if day <= last:
                    measures_.append(
                        VictimMeasure(
                            id=uuid.uuid4(),
                            case=case,
                            participant=victim,
                            occasion=VictimMeasure._meta.get_field("occasion").choices[0][0]
                            if offset == 0
                            else VictimMeasure._meta.get_field("occasion").choices[-1][0],
                            measured_on=day,
                            safety=rng.randrange(11),
                            wellbeing=rng.randrange(11),
                            daily_impact=rng.randrange(11),
                            created_at=at(day),
                        )
                    )
        for model, objects in (
            (CaseNote, notes),
            (Assessment, assessments),
            (CaseStatusChange, changes),
            (Order, orders_),
            (TimelineEntry, entries),
            (RedFlagAlert, flags),
            (VcopUpdateDue, updates),
            (PerpetratorIntervention, interventions),
            (VictimMeasure, measures_),
        ):
            model.unscoped.bulk_create(objects, batch_size=BATCH)
            rows += len(objects)
    return Built(unit=unit, referrals=len(built_referrals), cases=len(built_cases), entries=len(entries), rows=rows)
