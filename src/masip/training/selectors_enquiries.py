"""Reads of the public offer and of the trainers' enquiries queue."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404

from masip.access.lookup import NOT_FOUND_MESSAGE
from masip.accounts.models import Unit
from masip.training.models import (
    Enquiry,
    EnquiryStatus,
    LearningOutcome,
    Topic,
    TopicKind,
    TrainingSettings,
)


def published_offers() -> list[TrainingSettings]:
    """The settings of every unit that publishes its offer, by unit name."""
    return list(TrainingSettings.objects.filter(offer_published=True).select_related("unit").order_by("unit__name"))


@dataclass(frozen=True)
class Offer:
    unit: Unit
    settings: TrainingSettings
    opening: list[Topic]
    topics: list[Topic]


def offer_settings(unit_code: str) -> TrainingSettings:
    """The published settings of the unit `unit_code`; the same 404 for an unknown unit and for
    one that does not publish its offer."""
    found = (
        TrainingSettings.objects.filter(offer_published=True, unit__code__iexact=unit_code)
        .select_related("unit")
        .first()
    )
    if found is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return found


def offer_of(settings: TrainingSettings) -> Offer:
    """The unit's offer as the public page shows it: its active opening items and selectable
    topics in agenda order, each with its current learning outcomes."""
    topics = list(
        Topic.objects.filter(unit=settings.unit, active=True)
        .prefetch_related(Prefetch("outcomes", queryset=LearningOutcome.objects.filter(retired=False)))
        .order_by("sequence", "title")
    )
    return Offer(
        unit=settings.unit,
        settings=settings,
        opening=[t for t in topics if t.kind == TopicKind.OPENING],
        topics=[t for t in topics if t.kind == TopicKind.SELECTABLE],
    )


def enquiry_queue(*, unit: Unit, status: str = "") -> QuerySet[Enquiry, Enquiry]:
    """The unit's enquiries, newest first, of one status when `status` is given."""
    rows = Enquiry.objects.filter(unit=unit).select_related("assigned_to").order_by("-created_at", "-pk")
    return rows.filter(status=status) if status else rows


def enquiry_counts(*, unit: Unit) -> list[dict[str, Any]]:
    """How many of the unit's enquiries are at each status, every status listed (one query)."""
    counted = dict(
        Enquiry.objects.filter(unit=unit).values("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    return [{"value": value, "label": label, "count": counted.get(value, 0)} for value, label in EnquiryStatus.choices]
