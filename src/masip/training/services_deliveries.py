"""Writes of training deliveries: booking one (from an enquiry or not), changing it, and its
attendance (counts by organisation and role, names optional).

Each write is one transaction with its audit row inside (field names only, never names of
people). Rules kept here, whatever page calls them: the trainers can present every topic on the
agenda used; a delivery is held only on or after its day and with its attendance counted; the
feedback link closes `feedback_days` after the day.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from masip.accounts.models import Unit
from masip.audit.models import AuditAction
from masip.audit.services import audit_record
from masip.core.models import locked_at_version
from masip.training.models import (
    Agenda,
    AgendaItem,
    AttendanceCount,
    Attendee,
    AttendeeRole,
    AudienceType,
    Delivery,
    DeliveryMode,
    DeliveryStatus,
    Enquiry,
    EnquiryStatus,
    Organisation,
)
from masip.training.selectors import settings_of, trainers_of
from masip.training.services_enquiries import next_reference, organisation_match_or_create

TITLE_MAX_LENGTH = 200
VENUE_MAX_LENGTH = 300
AUDIENCE_MAX = 500
COUNT_MAX = 1000
DELIVERY_FIELDS = ["organisation", "title", "date", "start_time", "mode", "venue", "audience", "agenda", "status"]


@dataclass(frozen=True)
class DeliveryDraft:
    """What a trainer entered for a delivery. The organisation is an existing one of the unit, or
    `organisation_name` (with kind and region) to match or make."""

    title: str
    date: date
    mode: str
    trainers: list[Any]
    organisation: Organisation | None = None
    organisation_name: str = ""
    organisation_kind: str = ""
    organisation_region: str = ""
    start_time: time | None = None
    venue: str = ""
    audience: dict[str, int] = field(default_factory=dict)
    agenda: Agenda | None = None
    status: str = DeliveryStatus.PLANNED
    enquiry: Enquiry | None = None


def _quote(title: str) -> str:
    return f"\u2018{title}\u2019"


def uncovered_topics(*, agenda: Agenda, trainers: list[Any]) -> list[str]:
    """The titles of the agenda's topics that none of `trainers` can present, in agenda order."""
    trainer_ids = {t.pk for t in trainers}
    items = (
        AgendaItem.objects.filter(agenda=agenda, topic__isnull=False)
        .select_related("topic")
        .prefetch_related("topic__trainers")
        .order_by("position")
    )
    missing: list[str] = []
    for item in items:
        topic = item.topic
        if topic is None:
            continue
        able = {t.pk for t in topic.trainers.all()}
        if not able & trainer_ids and topic.title not in missing:
            missing.append(topic.title)
    return missing


def _check(*, unit: Unit, draft: DeliveryDraft, today: date, delivery: Delivery | None) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = defaultdict(list)
    title = draft.title.strip()
    if not title:
        problems["title"].append("Enter a title for the delivery, for example “Stalking awareness for SPOCs”.")
    elif len(title) > TITLE_MAX_LENGTH:
        problems["title"].append(f"The title can be at most {TITLE_MAX_LENGTH} characters.")
    if draft.mode not in DeliveryMode.values:
        problems["mode"].append("Choose in person or online.")
    venue = draft.venue.strip()
    if draft.mode == DeliveryMode.IN_PERSON and not venue:
        problems["venue"].append("Enter the venue's address: the delivery is in person.")
    if len(venue) > VENUE_MAX_LENGTH:
        problems["venue"].append(f"The venue can be at most {VENUE_MAX_LENGTH} characters.")
    if draft.organisation is not None and draft.organisation.unit_id != unit.pk:
        problems["organisation"].append("Choose one of the unit's organisations.")
    if draft.organisation is None and not draft.organisation_name.strip():
        problems["organisation"].append("Choose the organisation, or enter the name of a new one.")
    for key, number in draft.audience.items():
        if key not in AudienceType.values or not 0 <= number <= AUDIENCE_MAX:
            problems["audience"].append(f"Expected numbers are 0 to {AUDIENCE_MAX} for each audience.")
            break
    if not draft.trainers:
        problems["trainers"].append("Choose at least one trainer.")
    allowed = set(trainers_of(unit).values_list("pk", flat=True))
    if any(t.pk not in allowed for t in draft.trainers):
        problems["trainers"].append("Choose trainers of this unit only.")
    if draft.agenda is not None:
        if draft.agenda.unit_id != unit.pk:
            problems["agenda"].append("Choose one of the unit's agendas.")
        elif draft.trainers:
            for topic in uncovered_topics(agenda=draft.agenda, trainers=draft.trainers):
                problems["trainers"].append(
                    f"None of this delivery's trainers can present {_quote(topic)}: add a trainer who can, "
                    "or take the topic off the agenda."
                )
    if draft.status not in DeliveryStatus.values:
        problems["status"].append("Choose a status from the list.")
    if draft.status == DeliveryStatus.HELD:
        if draft.date > today:
            problems["status"].append(
                f"The delivery is on {draft.date.day} {draft.date:%B %Y}: it can be marked held on or after that day."
            )
        elif delivery is None or not delivery.attendance.exists():
            problems["status"].append("Record the attendance first: a delivery is marked held with its attendance.")
    return problems


def _organisation(unit: Unit, draft: DeliveryDraft) -> Organisation:
    if draft.organisation is not None:
        return draft.organisation
    return organisation_match_or_create(
        unit=unit, name=draft.organisation_name, kind=draft.organisation_kind, region=draft.organisation_region
    )


def _audience(draft: DeliveryDraft) -> dict[str, int]:
    return {key: int(value) for key, value in draft.audience.items() if value}


def delivery_create(
    *, actor: Any, unit: Unit, draft: DeliveryDraft, request: HttpRequest | None = None, today: date | None = None
) -> Delivery:
    """Book a delivery with the next `<UNIT>-DEL-<year>-<nnnn>` reference.

    Guarantees: ValidationError (field → messages) and nothing written when the draft breaks a
    rule (see the module); the organisation is matched by name or made; the feedback link
    closes `feedback_days` after the day; an enquiry it was booked from is marked booked; audited.
    """
    today = today or timezone.localdate()
    problems = _check(unit=unit, draft=draft, today=today, delivery=None)
    if problems:
        raise ValidationError(dict(problems))
    with transaction.atomic():
        locked = Unit.objects.select_for_update().get(pk=unit.pk)
        organisation = _organisation(locked, draft)
        delivery = Delivery.objects.create(
            unit=locked,
            reference=next_reference(locked, "DEL", Delivery),
            organisation=organisation,
            enquiry=draft.enquiry,
            title=draft.title.strip(),
            date=draft.date,
            start_time=draft.start_time,
            mode=draft.mode,
            venue=draft.venue.strip(),
            audience=_audience(draft),
            agenda=draft.agenda,
            status=draft.status,
            feedback_closes_on=draft.date + timedelta(days=settings_of(locked).feedback_days),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        delivery.trainers.set(draft.trainers)
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            request=request,
            unit=locked,
            obj=delivery,
            fields=[*DELIVERY_FIELDS, "trainers"],
            detail={"reference": delivery.reference},
        )
        if draft.enquiry is not None and draft.enquiry.unit_id == locked.pk:
            enquiry = Enquiry.objects.select_for_update().get(pk=draft.enquiry.pk)
            if enquiry.status != EnquiryStatus.BOOKED:
                enquiry.status = EnquiryStatus.BOOKED
                enquiry.organisation = enquiry.organisation or organisation
                enquiry.version += 1
                enquiry.save(update_fields=["status", "organisation", "version", "updated_at"])
                audit_record(
                    action=AuditAction.CHANGE,
                    actor=actor,
                    request=request,
                    unit=locked,
                    obj=enquiry,
                    fields=["status", "organisation"],
                    detail={"reference": enquiry.reference, "delivery": delivery.reference},
                )
    return delivery


def delivery_update(
    *,
    actor: Any,
    delivery: Delivery,
    expected_version: int,
    draft: DeliveryDraft,
    request: HttpRequest | None = None,
    today: date | None = None,
) -> Delivery:
    """Change a delivery. Guarantees what delivery_create does, and: StaleEditError (nothing
    written) when someone saved it since `expected_version`; the feedback link's closing day
    moves with the delivery's day; audited with the changed field names."""
    today = today or timezone.localdate()
    with transaction.atomic():
        current = locked_at_version(Delivery.objects, delivery.pk, expected_version=expected_version, label="delivery")
        problems = _check(unit=current.unit, draft=draft, today=today, delivery=current)
        if problems:
            raise ValidationError(dict(problems))
        new: dict[str, Any] = {
            "organisation": _organisation(current.unit, draft),
            "title": draft.title.strip(),
            "date": draft.date,
            "start_time": draft.start_time,
            "mode": draft.mode,
            "venue": draft.venue.strip(),
            "audience": _audience(draft),
            "agenda": draft.agenda,
            "status": draft.status,
        }
        changed = [name for name, value in new.items() if getattr(current, name) != value]
        if current.date != draft.date:
            new["feedback_closes_on"] = draft.date + timedelta(days=settings_of(current.unit).feedback_days)
            changed.append("feedback_closes_on")
        for name, value in new.items():
            setattr(current, name, value)
        current.version += 1
        current.save(update_fields=[*new, "version", "updated_at"])
        before = set(current.trainers.values_list("pk", flat=True))
        if before != {t.pk for t in draft.trainers}:
            current.trainers.set(draft.trainers)
            changed.append("trainers")
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=current.unit,
            obj=current,
            fields=changed,
            detail={"reference": current.reference},
        )
    return current


# Attendance -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CountRow:
    organisation_name: str
    role: str
    count: int


@dataclass(frozen=True)
class NamedRow:
    name: str
    organisation_name: str
    role: str


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def attendance_save(
    *,
    actor: Any,
    delivery: Delivery,
    expected_version: int,
    counts: list[CountRow],
    named: list[NamedRow],
    request: HttpRequest | None = None,
    today: date | None = None,
) -> Delivery:
    """Replace the delivery's attendance with `counts` and `named`.

    Guarantees: refused (ValidationError, nothing written) before the delivery's day, for a
    cancelled delivery, for no counts, a count outside 1..1000, the same organisation and role
    twice, or more named attendees than counted for their organisation and role; organisations
    are matched by name (case ignored) or made; StaleEditError when stale; audited with counts
    of rows only, never names.
    """
    today = today or timezone.localdate()
    problems: dict[str, list[str]] = defaultdict(list)
    if delivery.date > today:
        problems["__all__"].append(
            f"The delivery is on {delivery.date.day} {delivery.date:%B %Y}: record its attendance on or after that day."
        )
    if delivery.status == DeliveryStatus.CANCELLED:
        problems["__all__"].append("The delivery was cancelled, so it has no attendance.")
    if not counts:
        problems["counts"].append("Enter at least one row: how many came from which organisation, in which role.")
    totals: dict[tuple[str, str], int] = {}
    labels = dict(AttendeeRole.choices)
    for row in counts:
        if not row.organisation_name.strip():
            problems["counts"].append("Enter the organisation of every row.")
            continue
        if row.role not in AttendeeRole.values:
            problems["counts"].append("Choose a role from the list for every row.")
            continue
        if not 1 <= row.count <= COUNT_MAX:
            problems["counts"].append(f"Each count is 1 to {COUNT_MAX} ({row.organisation_name.strip()}).")
        key = (_key(row.organisation_name), row.role)
        if key in totals:
            problems["counts"].append(
                f"{' '.join(row.organisation_name.split())}, {labels[row.role]} is entered twice: "
                "put them in one row with the total."
            )
        totals[key] = totals.get(key, 0) + row.count
    named_per: dict[tuple[str, str], int] = defaultdict(int)
    for person in named:
        if not person.name.strip():
            problems["named"].append("Enter each named attendee's name, or leave the whole row empty.")
        if len(person.name.strip()) > 200:
            problems["named"].append("A name can be at most 200 characters.")
        if not person.organisation_name.strip():
            problems["named"].append(f"Enter the organisation of {person.name.strip() or 'each named attendee'}.")
            continue
        named_per[(_key(person.organisation_name), person.role)] += 1
    for (organisation, role), number in named_per.items():
        counted = totals.get((organisation, role), 0)
        if number > counted:
            shown = next(p.organisation_name for p in named if _key(p.organisation_name) == organisation)
            problems["named"].append(
                f"{number} named {labels.get(role, role)} attendees from {' '.join(shown.split())}, "
                f"but the count for them is {counted}: raise the count or remove names."
            )
    if problems:
        raise ValidationError(dict(problems))
    with transaction.atomic():
        current = locked_at_version(Delivery.objects, delivery.pk, expected_version=expected_version, label="delivery")
        organisations: dict[str, Organisation] = {}

        def organisation_named(name: str) -> Organisation:
            key = _key(name)
            if key not in organisations:
                organisations[key] = organisation_match_or_create(unit=current.unit, name=name)
            return organisations[key]

        current.attendees.all().delete()
        current.attendance.all().delete()
        AttendanceCount.objects.bulk_create(
            AttendanceCount(
                delivery=current, organisation=organisation_named(r.organisation_name), role=r.role, count=r.count
            )
            for r in counts
        )
        Attendee.objects.bulk_create(
            Attendee(
                delivery=current, name=p.name.strip(), organisation=organisation_named(p.organisation_name), role=p.role
            )
            for p in named
        )
        current.version += 1
        current.save(update_fields=["version", "updated_at"])
        audit_record(
            action=AuditAction.CHANGE,
            actor=actor,
            request=request,
            unit=current.unit,
            obj=current,
            fields=["attendance", "attendees"],
            detail={"reference": current.reference, "count_rows": len(counts), "named": len(named)},
        )
    return current
