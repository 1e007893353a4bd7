"""Reads of training deliveries: the unit's list, one delivery's page, attendance and what a
certificate of attendance says."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Prefetch, QuerySet, Sum
from django.utils import timezone

from masip.accounts.models import Unit, User
from masip.training.models import (
    Agenda,
    AgendaItem,
    AttendanceCount,
    Attendee,
    Delivery,
    Organisation,
)


def delivery_lists(*, unit: Unit, today: date | None = None) -> tuple[list[Any], list[Any]]:
    """The unit's deliveries from today on (soonest first) and before today (latest first), each
    with its organisation, trainers and attendance total (a fixed number of queries)."""
    today = today or timezone.localdate()
    rows = (
        Delivery.objects.filter(unit=unit)
        .select_related("organisation")
        .prefetch_related(Prefetch("trainers", queryset=User.objects.order_by("full_name")))
        .annotate(attended=Sum("attendance__count"))
    )
    upcoming = list(rows.filter(date__gte=today).order_by("date", "start_time", "reference"))
    past = list(rows.filter(date__lt=today).order_by("-date", "reference")[:200])
    return upcoming, past


def agendas_of(unit: Unit) -> QuerySet[Agenda, Agenda]:
    return Agenda.objects.filter(unit=unit).order_by("-created_at")


def organisations_of(unit: Unit) -> QuerySet[Organisation, Organisation]:
    return Organisation.objects.filter(unit=unit).order_by("name")


@dataclass(frozen=True)
class AttendanceSummary:
    rows: list[AttendanceCount]
    total: int
    named: list[Attendee]


def attendance_of(delivery: Delivery) -> AttendanceSummary:
    rows = list(delivery.attendance.select_related("organisation").order_by("organisation__name", "role"))
    named = list(delivery.attendees.select_related("organisation").order_by("name", "pk"))
    return AttendanceSummary(rows=rows, total=sum(r.count for r in rows), named=named)


def agenda_items(agenda: Agenda | None) -> list[AgendaItem]:
    if agenda is None:
        return []
    return list(agenda.items.select_related("topic").order_by("position"))


@dataclass(frozen=True)
class CertificateFacts:
    """What every certificate of one delivery says besides the attendee's name."""

    delivery: Delivery
    unit_name: str
    organisation: str
    minutes: int
    topics: list[str]
    trainers: list[str]


def certificate_facts(delivery: Delivery) -> CertificateFacts:
    """The delivery's title, day, organisation, unit, trainers, and from its agenda the topics
    covered and the length (the agenda's items, else its slot; nothing without an agenda)."""
    items = agenda_items(delivery.agenda)
    minutes = sum(i.minutes for i in items) or (delivery.agenda.slot_minutes if delivery.agenda else 0)
    topics = [i.title for i in items if i.kind in ("opening", "topic")]
    trainers = [t.full_name or t.email for t in delivery.trainers.order_by("full_name")]
    return CertificateFacts(
        delivery=delivery,
        unit_name=delivery.unit.name,
        organisation=delivery.organisation.name,
        minutes=minutes,
        topics=topics,
        trainers=trainers,
    )


def counts_by_status(unit: Unit) -> dict[str, Any]:
    return dict(Delivery.objects.filter(unit=unit).values("status").annotate(n=Count("pk")).values_list("status", "n"))
