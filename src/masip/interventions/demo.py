"""The demo unit's interventions: for about half of its open cases, what the team has done so far
(safety plans, some revised; what was agreed with the victim under the Victims' Code, the events
they were told of, a few updates overdue; the criminal-justice record with arrests and bail;
orders, some ending soon with their expiry reminder, some breached; treatment programmes with
attendance; the investigation checklist ticked as far as the investigation has gone).

Written through the services, so the audit trail, the Victims' Code clocks, the expiry reminders
and the red flags of breaches come as they do in use. Called once by core.demo while it builds
the unit, inside its transaction: the demo is made once, so this is too."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from masip.access.models import CaseRole, CaseTeamMember
from masip.cases.models import Case, CaseParticipant, CaseStatus, ContactChannel, ParticipantRole
from masip.interventions import services_legal, services_perpetrator, services_safety, services_vcop
from masip.interventions.models_legal import OrderKind, OrderStatus
from masip.interventions.models_perpetrator import Attendance, InterventionKind, InterventionStatus
from masip.interventions.models_safety import SafetyActionKind
from masip.interventions.models_vcop import VcopUpdateDue, VcopUpdateStatus, VcopVictimSettings
from masip.timeline.models import ReportedBy

SHARE = 0.4  # of the open cases at least three weeks old
PROVIDER = "Northshire Stalking Clinic"

RISKS = (
    "Turns up at her workplace and follows her home; knows her new address.",
    "Repeated messages from new numbers and accounts; threats to share photographs.",
    "Waits outside the children's school; has driven past the house at night.",
)
ACTIONS = (
    (SafetyActionKind.HOME_SECURITY, "Fit a door chain, a video doorbell and window locks."),
    (SafetyActionKind.ALARM, "Give her a personal alarm linked to the control room."),
    (SafetyActionKind.PHONE_ONLINE, "Check her phone and accounts for tracking; new number shared with few."),
    (SafetyActionKind.SAFE_ROUTES, "Agree a safe route to work, varied, with a colleague on arrival."),
    (SafetyActionKind.LIAISON, "Brief her employer's security team with her agreement."),
    (SafetyActionKind.CHILDREN, "Tell the school who may collect the children."),
)
BAIL_CONDITIONS = "Not to contact the victim directly or indirectly; not to enter the town centre exclusion zone."
ORDER_CONDITIONS = "Not to contact the victim by any means; not to go within 200 metres of her home or workplace."
UPDATE_SUMMARY = "Told her what happened and what comes next; she had no questions."
BREACH_TEXT = (
    "Sent her a message through a friend's account.",
    "Seen waiting at the end of her road.",
    "Turned up at her workplace car park.",
)


def demo_interventions(*, team: list[CaseTeamMember], seed: int) -> dict[str, int]:
    """Record the interventions of a share of the demo's open cases; returns what was made,
    by kind (counts only). `team` holds the cases' team places, each case with its lead
    investigator. Same seed, same choices (dates relative to today)."""
    rng = random.Random(f"interventions:{seed}")  # noqa: S311 - the demo is deterministic on purpose
    now = timezone.now()
    today = timezone.localdate()
    places: dict[Any, dict[str, Any]] = {}
    cases: dict[Any, Case] = {}
    for place in team:
        places.setdefault(place.case.pk, {})[place.role_on_case] = place.user
        cases[place.case.pk] = place.case
    made: Counter[str] = Counter()
    chosen = [
        case
        for case in sorted(cases.values(), key=lambda c: c.reference)
        if case.status != CaseStatus.CLOSED and (now - case.opened_at).days >= 21
    ]
    victims = {
        p.case_id: p
        for p in CaseParticipant.unscoped.filter(case__in=chosen, role=ParticipantRole.VICTIM).order_by("created_at")
    }
    subjects = {
        p.case_id: p
        for p in CaseParticipant.unscoped.filter(case__in=chosen, role=ParticipantRole.PERPETRATOR).select_related(
            "person"
        )
    }
    for case in chosen:
        if rng.random() >= SHARE or case.pk not in victims:
            continue
        _Case(rng, case, victims[case.pk], subjects.get(case.pk), places[case.pk], now, today, made).build()
    return dict(made)


class _Case:
    def __init__(
        self,
        rng: random.Random,
        case: Case,
        victim: CaseParticipant,
        subject: CaseParticipant | None,
        people: dict[str, Any],
        now: datetime,
        today: date,
        made: Counter[str],
    ) -> None:
        self.rng, self.case, self.victim, self.subject = rng, case, victim, subject
        self.investigator = people[CaseRole.LEAD_INVESTIGATOR]
        self.advocate = people.get(CaseRole.ADVOCATE)
        self.clinician = people.get(CaseRole.LEAD_CLINICIAN)
        self.now, self.today, self.made = now, today, made
        self.opened = timezone.localdate(case.opened_at)
        self.age = (today - self.opened).days

    def day_after_opening(self, low: int, high: int) -> date:
        """A day between `low` and `high` days after the case opened, never after yesterday."""
        return min(self.opened + timedelta(days=self.rng.randint(low, high)), self.today - timedelta(days=1))

    def build(self) -> None:
        self.safety_plan()
        channel = self.vcop_agreement()
        if self.rng.random() < 0.75:
            self.justice(channel)
        if self.clinician and self.subject and self.rng.random() < 0.5:
            self.programme(self.clinician, self.subject)
        # The updates told since are counted from their own days: the regular one as it now stands.
        services_vcop.regular_update_sync(participant=self.victim, actor=self.investigator)

    def safety_plan(self) -> None:
        author = self.advocate or self.investigator
        owners = [u for u in (self.advocate, self.investigator) if u is not None]
        actions = [
            services_safety.PlannedAction(
                kind=kind,
                description=text,
                owner=self.rng.choice(owners),
                due_on=self.day_after_opening(3, 20),
            )
            for kind, text in self.rng.sample(ACTIONS, 3)
        ]
        review_on = self.today + timedelta(days=self.rng.randint(7, 42))
        version = services_safety.safety_plan_revise(
            actor=author,
            participant=self.victim,
            based_on=0,
            risks=self.rng.choice(RISKS),
            review_on=review_on,
            actions=actions,
        )
        self.made["safety plans"] += 1
        if self.rng.random() < 0.35:  # revised at its review, an action done and one added
            actions[0] = services_safety.PlannedAction(
                kind=actions[0].kind,
                description=actions[0].description,
                owner=actions[0].owner,
                due_on=actions[0].due_on,
                status="done",
            )
            kind, text = next(a for a in ACTIONS if a[0] not in {p.kind for p in actions})
            actions.append(services_safety.PlannedAction(kind, text, author, self.today + timedelta(days=14)))
            services_safety.safety_plan_revise(
                actor=author,
                participant=self.victim,
                based_on=version.number,
                risks=version.risks,
                review_on=review_on,
                actions=actions,
            )
            self.made["safety plans revised"] += 1

    def vcop_agreement(self) -> str:
        frequency = self.rng.choice(("weekly", "fortnightly", "fortnightly", "monthly", "monthly", "events_only"))
        channel = self.rng.choice((ContactChannel.PHONE, ContactChannel.PHONE, ContactChannel.EMAIL))
        enhanced = self.rng.random() < 0.9
        agreed = services_vcop.vcop_settings_save(
            actor=self.advocate or self.investigator,
            case=self.case,
            participant=self.victim,
            enhanced_rights=enhanced,
            enhanced_reason="" if enhanced else "A single incident; she does not want more contact than needed.",
            update_frequency=frequency,
            channel=channel,
        )
        # Agreed at the first contact, a few days after the case opened, not today.
        VcopVictimSettings.unscoped.filter(pk=agreed.pk).update(frequency_agreed_on=self.day_after_opening(2, 5))
        self.made["Victims' Code agreements"] += 1
        return channel

    def tell(self, channel: str) -> None:
        """Give the victim the updates still open for the events recorded, most of them on time;
        the last one is sometimes still to give (and so overdue when its day has passed)."""
        open_updates = list(
            VcopUpdateDue.unscoped.filter(participant=self.victim, status=VcopUpdateStatus.OPEN, event__isnull=False)
            .select_related("event", "case__unit", "participant")
            .order_by("due_on")
        )
        for update in open_updates:
            if update is open_updates[-1] and self.rng.random() < 0.2:
                self.made["Victims' Code updates left to give"] += 1
                continue
            event = update.event
            if event is None:  # the query keeps event updates only
                continue
            sent_at = min(event.occurred_at + timedelta(hours=self.rng.randint(2, 20)), timezone.now())
            services_vcop.vcop_update_mark_sent(
                actor=self.advocate or self.investigator,
                update=update,
                sent_at=sent_at,
                channel=channel,
                summary=UPDATE_SUMMARY,
                expected_version=update.version,
            )
            self.made["Victims' Code updates given"] += 1

    def justice(self, channel: str) -> None:
        arrested_on = self.day_after_opening(2, 25)
        arrested_at = timezone.make_aware(datetime.combine(arrested_on, time(self.rng.randint(7, 19), 0)))
        services_legal.justice_offences_set(
            actor=self.investigator, case=self.case, considered=["s2a", "s4a"], charged=[]
        )
        services_legal.justice_arrest_record(actor=self.investigator, case=self.case, arrested_at=arrested_at)
        self.made["arrests"] += 1
        if self.rng.random() < 0.7:
            services_legal.justice_bail_start(
                actor=self.investigator, case=self.case, started_on=arrested_on, conditions=BAIL_CONDITIONS
            )
            self.made["released on bail"] += 1
        self.tell(channel)
        self.checklist()
        if self.rng.random() < 0.6:
            self.order(channel)

    def checklist(self) -> None:
        _version, items = services_legal.checklist_for(unit_id=self.case.unit_id)
        for item in items[: self.rng.randint(1, 4)]:
            services_legal.checklist_tick(actor=self.investigator, case=self.case, item_key=item.key, done=True)
            self.made["checklist ticks"] += 1

    def order(self, channel: str) -> None:
        starts_on = self.day_after_opening(10, 40)
        roll = self.rng.random()
        if roll < 0.45:  # an interim SPO until the full hearing: ending soon, so its reminder is made
            kind, ends_on, until_further = OrderKind.INTERIM_SPO, self.today + timedelta(self.rng.randint(5, 80)), False
        elif roll < 0.75:
            kind, ends_on, until_further = OrderKind.SPO, services_legal.add_months(starts_on, 24), False
        elif roll < 0.9:  # a restraining order on an earlier conviction, ending within the quarter
            kind, ends_on, until_further = OrderKind.RESTRAINING_CONVICTION, self.today + timedelta(40), False
            starts_on = self.opened - timedelta(days=300)
        else:
            kind, ends_on, until_further = OrderKind.SPO, None, True
        order = services_legal.order_create(
            actor=self.investigator,
            case=self.case,
            draft=services_legal.OrderDraft(
                kind=kind,
                status=OrderStatus.IN_FORCE,
                starts_on=starts_on,
                ends_on=ends_on,
                until_further_order=until_further,
                conditions=ORDER_CONDITIONS,
                notified_on=starts_on + timedelta(days=1) if kind != OrderKind.RESTRAINING_CONVICTION else None,
            ),
        )
        self.made["orders"] += 1
        self.tell(channel)
        if self.rng.random() < 0.3:
            life_start = max(order.starts_on, self.today - timedelta(days=40))
            if life_start < self.today:
                occurred_on = life_start + timedelta(days=self.rng.randint(0, (self.today - life_start).days - 1))
                services_legal.order_breach_record(
                    actor=self.investigator,
                    order=order,
                    occurred_on=occurred_on,
                    description=self.rng.choice(BREACH_TEXT),
                    reported_by=ReportedBy.VICTIM,
                )
                self.made["breaches"] += 1

    def programme(self, clinician: Any, subject: CaseParticipant) -> None:
        started_on = self.day_after_opening(14, 60)
        programme = services_perpetrator.perpetrator_intervention_create(
            actor=clinician,
            case=self.case,
            draft=services_perpetrator.InterventionDraft(
                participant_id=subject.pk,
                kind=InterventionKind.TREATMENT_PROGRAMME,
                status=InterventionStatus.IN_PROGRESS,
                provider=PROVIDER,
                started_on=started_on,
            ),
        )
        sessions = services_perpetrator.perpetrator_programme_plan(
            actor=clinician, programme=programme, first_on=started_on, weekly=8, follow_up_weeks=4
        )
        self.made["treatment programmes"] += 1
        for session in sessions:
            if session.planned_on >= self.today:
                break
            attendance = self.rng.choice(
                (Attendance.ATTENDED, Attendance.ATTENDED, Attendance.ATTENDED, Attendance.DID_NOT_ATTEND)
            )
            services_perpetrator.perpetrator_session_record(
                actor=clinician, session=session, expected_version=session.version, attendance=attendance
            )
            self.made["sessions recorded"] += 1
