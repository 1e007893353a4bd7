"""Training rows made directly with the ORM for the feedback and report tests: a unit's topics
with learning outcomes, an agenda that uses them, a delivery held on a given day, attendance."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from masip.accounts.models import Unit
from masip.training.models import (
    Agenda,
    AgendaItem,
    AgendaItemKind,
    AttendanceCount,
    AttendeeRole,
    Delivery,
    FeedbackResponse,
    LearningOutcome,
    Organisation,
    OrganisationKind,
    OutcomeRating,
    Topic,
    TopicKind,
)

_numbers = itertools.count(1)


@dataclass
class Catalogue:
    opening: Topic
    law: Topic
    risk: Topic
    agenda: Agenda
    outcomes: dict[str, LearningOutcome]


def catalogue(unit: Unit) -> Catalogue:
    """An opening item (one outcome), 'Legal issues' (two outcomes, one retired) and 'Risk'
    (two outcomes), on an agenda in that order with a break, and 'Legal issues' twice."""
    n = next(_numbers)
    opening = Topic.objects.create(
        unit=unit, key=f"story-{n}", title="A victim's story", kind=TopicKind.OPENING, min_minutes=20, max_minutes=30
    )
    law = Topic.objects.create(unit=unit, key=f"law-{n}", title="Legal issues", min_minutes=20, max_minutes=40)
    risk = Topic.objects.create(unit=unit, key=f"risk-{n}", title="Risk", min_minutes=20, max_minutes=40)
    outcomes = {
        "story": LearningOutcome.objects.create(topic=opening, text="Recognise stalking in a story", position=1),
        "offences": LearningOutcome.objects.create(topic=law, text="Name the stalking offences", position=1),
        "retired": LearningOutcome.objects.create(topic=law, text="An old outcome", position=2, retired=True),
        "orders": LearningOutcome.objects.create(topic=law, text="Explain stalking protection orders", position=3),
        "screen": LearningOutcome.objects.create(topic=risk, text="Use the screening questions", position=1),
        "plan": LearningOutcome.objects.create(topic=risk, text="Plan for safety", position=2),
    }
    agenda = Agenda.objects.create(unit=unit, title="Half day", slot_minutes=210)
    rows: list[tuple[str, Topic | None, str]] = [
        (AgendaItemKind.OPENING, opening, opening.title),
        (AgendaItemKind.TOPIC, law, law.title),
        (AgendaItemKind.BREAK, None, "Break"),
        (AgendaItemKind.TOPIC, risk, risk.title),
        (AgendaItemKind.TOPIC, law, "Legal issues, questions"),
    ]
    for position, (kind, topic, title) in enumerate(rows, start=1):
        AgendaItem.objects.create(agenda=agenda, position=position, kind=kind, topic=topic, title=title, minutes=30)
    return Catalogue(opening, law, risk, agenda, outcomes)


def organisation(unit: Unit, name: str = "Northshire Police", kind: str = OrganisationKind.POLICE) -> Organisation:
    return Organisation.objects.get_or_create(unit=unit, name=name, defaults={"kind": kind})[0]


def delivery(
    unit: Unit,
    *,
    agenda: Agenda | None = None,
    on: date | None = None,
    closes_in: int = 14,
    **fields: Any,
) -> Delivery:
    on = on or timezone.localdate()
    n = next(_numbers)
    return Delivery.objects.create(
        unit=unit,
        reference=f"{unit.code}-DEL-2026-{n:04d}",
        organisation=fields.pop("organisation", None) or organisation(unit),
        title=fields.pop("title", "Stalking awareness"),
        date=on,
        agenda=agenda,
        feedback_closes_on=on + timedelta(days=closes_in),
        **fields,
    )


def attend(target: Delivery, organisation: Organisation, role: str, count: int) -> AttendanceCount:
    return AttendanceCount.objects.create(delivery=target, organisation=organisation, role=role, count=count)


def respond(
    target: Delivery, ratings: dict[LearningOutcome, tuple[int, int]], *, comments: str = "", role: str = ""
) -> FeedbackResponse:
    response = FeedbackResponse.objects.create(
        delivery=target, form_nonce=f"nonce-{next(_numbers)}", comments=comments, role=role
    )
    for outcome, (before, after) in ratings.items():
        OutcomeRating.objects.create(
            response=response, outcome=outcome, topic_id=outcome.topic_id, before=before, after=after
        )
    return response


__all__ = ["AttendeeRole", "Catalogue", "attend", "catalogue", "delivery", "organisation", "respond"]
