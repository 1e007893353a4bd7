"""The demo unit's training package: its published offer and masip's illustrative catalogue,
two trainers, a year of deliveries to forces and partner agencies with their attendance and
feedback, enquiries waiting in the queue, and the next delivery booked with its agenda.

Everything goes through the training services, as a trainer's pages would, so the demo shows
what the product does (agendas proposed by the builder, references, the trainer-cover rule).
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.test import RequestFactory
from django.utils import timezone

from masip.accounts.models import Unit, User
from masip.training.models import (
    AgendaItem,
    AttendeeRole,
    AudienceType,
    Delivery,
    DeliveryMode,
    DeliveryStatus,
    EnquiryStatus,
    FeedbackResponse,
    OrganisationKind,
    SessionFormat,
    Topic,
    TrainingSettings,
    UkRegion,
)
from masip.training.services_agendas import agenda_propose
from masip.training.services_catalogue import catalogue_install
from masip.training.services_deliveries import (
    CountRow,
    DeliveryDraft,
    NamedRow,
    attendance_save,
    delivery_create,
    delivery_update,
)
from masip.training.services_enquiries import EnquiryDraft, enquiry_submit, enquiry_update
from masip.training.services_feedback import feedback_submit

# The topics the unit's police trainer presents; the training lead presents every other one.
POLICE_TOPICS = frozenset({"legal-issues", "investigations", "local-procedures"})


@dataclass(frozen=True)
class _Past:
    days_ago: int
    organisation: str
    kind: str
    region: str
    title: str
    session_format: str
    mode: str
    venue: str
    # (role, count) from the organisation itself, and a partner organisation's people.
    attendance: tuple[tuple[str, int], ...]
    partner: tuple[str, str, int] | None = None


PAST = (
    _Past(320, "Northshire Constabulary", OrganisationKind.POLICE, UkRegion.NORTH_WEST,
          "Stalking awareness for response officers", SessionFormat.HALF_DAY, DeliveryMode.IN_PERSON,
          "Northshire Police HQ, Training Suite 2", ((AttendeeRole.FRONT_LINE, 24), (AttendeeRole.MANAGERS, 2))),
    _Past(285, "Northshire Constabulary", OrganisationKind.POLICE, UkRegion.NORTH_WEST,
          "Stalking SPOC development day", SessionFormat.FULL_DAY, DeliveryMode.IN_PERSON,
          "Northshire Police HQ, Training Suite 1", ((AttendeeRole.SPOCS, 14), (AttendeeRole.MANAGERS, 3))),
    _Past(240, "Northshire Mental Health NHS Trust", OrganisationKind.HEALTH, UkRegion.NORTH_WEST,
          "Recognising stalking in mental health services", SessionFormat.HALF_DAY, DeliveryMode.ONLINE,
          "Microsoft Teams", ((AttendeeRole.FRONT_LINE, 31),), ("Northshire Council Adult Social Care",
                                                                 AttendeeRole.FRONT_LINE, 6)),
    _Past(190, "Westmoor Police", OrganisationKind.POLICE, UkRegion.YORKSHIRE,
          "Stalking for supervisors and managers", SessionFormat.HALF_DAY, DeliveryMode.IN_PERSON,
          "Westmoor Police Learning Centre", ((AttendeeRole.MANAGERS, 16),)),
    _Past(150, "Northshire Council", OrganisationKind.LOCAL_AUTHORITY, UkRegion.NORTH_WEST,
          "Stalking and multi-agency working", SessionFormat.HALF_DAY, DeliveryMode.IN_PERSON,
          "Civic Centre, Committee Room B", ((AttendeeRole.FRONT_LINE, 18), (AttendeeRole.MANAGERS, 4)),
          ("Northshire Housing Partnership", AttendeeRole.FRONT_LINE, 7)),
    _Past(95, "Westmoor Police", OrganisationKind.POLICE, UkRegion.YORKSHIRE,
          "Stalking SPOC development day", SessionFormat.FULL_DAY, DeliveryMode.IN_PERSON,
          "Westmoor Police Learning Centre", ((AttendeeRole.SPOCS, 11), (AttendeeRole.FRONT_LINE, 5))),
    _Past(40, "National Probation Service, North West", OrganisationKind.PROBATION, UkRegion.NORTH_WEST,
          "Managing stalking perpetrators", SessionFormat.HALF_DAY, DeliveryMode.ONLINE,
          "Microsoft Teams", ((AttendeeRole.FRONT_LINE, 20), (AttendeeRole.MANAGERS, 3))),
)  # fmt: skip

_COMMENTS = (
    "The victim's story at the start stayed with me all day.",
    "More time on the risk workshop, please.",
    "Useful to hear how the unit and the police work together.",
    "I will use the red flags list on every case now.",
    "",
    "",
)

_ENQUIRIES = (
    EnquiryDraft(
        organisation_name="Eastvale Police",
        organisation_kind=OrganisationKind.POLICE,
        region=UkRegion.EAST_MIDLANDS,
        contact_name="Insp. Dana Whitlock",
        email="dana.whitlock@eastvale.police.example",
        audience={AudienceType.SPOCS: 12, AudienceType.MANAGERS: 3},
        preferred_format=SessionFormat.HALF_DAY,
        preferred_dates="Any Tuesday in the spring",
        message="We are setting up stalking SPOCs in every district and want them trained together.",
    ),
    EnquiryDraft(
        organisation_name="Glenbrae Health and Social Care Partnership",
        organisation_kind=OrganisationKind.HEALTH,
        region=UkRegion.SCOTLAND,
        contact_name="Morag Lindsay",
        email="morag.lindsay@glenbrae.example",
        audience={AudienceType.FRONT_LINE: 30},
        preferred_format=SessionFormat.FULL_DAY,
        message="Community nurses and GP receptionists keep meeting stalking without naming it.",
    ),
    EnquiryDraft(
        organisation_name="Cardigan Bay Women's Aid",
        organisation_kind=OrganisationKind.VOLUNTARY,
        region=UkRegion.WALES,
        contact_name="Siân Morgan",
        email="sian.morgan@cbwa.example",
        audience={AudienceType.FRONT_LINE: 9, AudienceType.MANAGERS: 2},
        preferred_format=SessionFormat.HALF_DAY,
    ),
)


def demo_training(*, unit: Unit, lead: User, police_trainer: User, rng: random.Random) -> list[Delivery]:
    """The unit's training as a year of work leaves it; returns the deliveries made."""
    TrainingSettings.objects.update_or_create(
        unit=unit,
        defaults={
            "offer_published": True,
            "contact_email": "training@demo.masip.test",
            "offer_introduction": (
                f"{unit.name} trains police forces and partner agencies to recognise stalking, assess the "
                "risk and act on it together.\nEvery package is shaped around the people in the room."
            ),
        },
    )
    catalogue_install(unit=unit, actor=lead)
    for topic in Topic.objects.filter(unit=unit):
        topic.trainers.add(police_trainer if topic.key in POLICE_TOPICS else lead)
        if topic.key in POLICE_TOPICS and topic.key != "legal-issues":
            topic.trainers.add(lead)

    today = timezone.localdate()
    made = [_past(unit, lead, police_trainer, spec, today - timedelta(days=spec.days_ago), rng) for spec in PAST]
    made.append(_booked_from_enquiries(unit, lead, police_trainer, today))
    return made


def _audience(spec: _Past) -> dict[str, int]:
    audience: dict[str, int] = {}
    rows = [*spec.attendance, *([(spec.partner[1], spec.partner[2])] if spec.partner else [])]
    for role, count in rows:
        key = role if role in AudienceType.values else AudienceType.FRONT_LINE
        audience[key] = audience.get(key, 0) + count
    return audience


def _past(unit: Unit, lead: User, police_trainer: User, spec: _Past, day: date, rng: random.Random) -> Delivery:
    trainers = [lead, police_trainer]
    agenda = agenda_propose(
        unit=unit,
        actor=lead,
        title=spec.title,
        session_format=spec.session_format,
        audience=_audience(spec),
        trainers=trainers,
    )
    delivery = delivery_create(
        actor=lead,
        unit=unit,
        draft=DeliveryDraft(
            title=spec.title,
            date=day,
            mode=spec.mode,
            trainers=trainers,
            organisation_name=spec.organisation,
            organisation_kind=spec.kind,
            organisation_region=spec.region,
            start_time=time(9, 30),
            venue=spec.venue,
            audience=_audience(spec),
            agenda=agenda,
        ),
    )
    counts = [CountRow(spec.organisation, role, count) for role, count in spec.attendance]
    if spec.partner:
        counts.append(CountRow(*spec.partner))
    named = [NamedRow(name, spec.organisation, spec.attendance[0][0]) for name in _names(rng, 3)]
    delivery = attendance_save(
        actor=lead, delivery=delivery, expected_version=delivery.version, counts=counts, named=named
    )
    delivery = delivery_update(
        actor=lead,
        delivery=delivery,
        expected_version=delivery.version,
        draft=DeliveryDraft(
            title=delivery.title,
            date=delivery.date,
            mode=delivery.mode,
            trainers=trainers,
            organisation=delivery.organisation,
            start_time=delivery.start_time,
            venue=delivery.venue,
            audience=delivery.audience,
            agenda=agenda,
            status=DeliveryStatus.HELD,
        ),
    )
    _feedback(delivery, sum(count.count for count in counts), day, rng)
    return delivery


def _feedback(delivery: Delivery, attended: int, day: date, rng: random.Random) -> None:
    """About six in ten attendees answer; most feel more confident after than before."""
    outcomes = [
        outcome
        for item in AgendaItem.objects.filter(agenda__deliveries=delivery, topic__isnull=False).select_related("topic")
        for outcome in item.topic.outcomes.filter(retired=False)  # type: ignore[union-attr]
    ]
    roles = [AttendeeRole.FRONT_LINE, AttendeeRole.SPOCS, AttendeeRole.MANAGERS, ""]
    answered = []
    for _ in range(round(attended * rng.uniform(0.5, 0.7))):
        ratings = []
        for outcome in outcomes:
            before = rng.choice((1, 2, 2, 3, 3, 4))
            after = min(5, before + rng.choice((0, 1, 1, 1, 2, 2)))
            ratings.append((outcome, before, after))
        response = feedback_submit(
            delivery=delivery,
            nonce=secrets.token_hex(16),
            role=rng.choice(roles),
            comments=rng.choice(_COMMENTS),
            ratings=ratings,
        )
        answered.append(response.pk)
    # Sent on the day or the days after it, not when the demo was built.
    for pk in answered:
        sent = timezone.make_aware(datetime.combine(day + timedelta(days=rng.randint(0, 3)), time(rng.randint(13, 21))))
        FeedbackResponse.objects.filter(pk=pk).update(submitted_at=sent)


def _names(rng: random.Random, count: int) -> list[str]:
    given = ("Alex", "Jordan", "Priya", "Tomasz", "Ellie", "Marcus", "Fiona", "Kwame", "Hollie", "Gareth")
    family = ("Hughes", "Ashworth", "Kaur", "Nowak", "Fletcher", "Boateng", "McLeod", "Parry", "Dunn", "Iqbal")
    return sorted({f"{rng.choice(given)} {rng.choice(family)}" for _ in range(count)})


def _booked_from_enquiries(unit: Unit, lead: User, police_trainer: User, today: date) -> Delivery:
    """Three enquiries from the public page; the first is booked for three weeks' time with an
    agenda proposed for its audience, the second is in discussion, the third is new."""
    factory = RequestFactory()
    enquiries = [
        enquiry_submit(unit=unit, draft=draft, request=factory.post("/", REMOTE_ADDR=f"192.0.2.{number}"))
        for number, draft in enumerate(_ENQUIRIES, start=10)
    ]
    first, second = enquiries[0], enquiries[1]
    second = enquiry_update(
        actor=lead,
        enquiry=second,
        expected_version=second.version,
        status=EnquiryStatus.IN_DISCUSSION,
        assigned_to=lead,
        trainer_notes="Called Morag: they would like two dates, one for nurses and one for reception staff.",
    )
    agenda = agenda_propose(
        unit=unit,
        actor=lead,
        title="Stalking SPOC training for Eastvale Police",
        session_format=SessionFormat.HALF_DAY,
        audience=first.audience,
        trainers=[lead, police_trainer],
        enquiry=first,
    )
    return delivery_create(
        actor=lead,
        unit=unit,
        draft=DeliveryDraft(
            title="Stalking SPOC training",
            date=today + timedelta(days=21),
            mode=DeliveryMode.IN_PERSON,
            trainers=[lead, police_trainer],
            organisation_name=first.organisation_name,
            organisation_kind=first.organisation_kind,
            organisation_region=first.region,
            start_time=time(9, 30),
            venue="Eastvale Police Headquarters, Conference Room 3",
            audience=first.audience,
            agenda=agenda,
            enquiry=first,
        ),
    )
