"""Reads for the catalogue pages: a unit's topics with what the list shows, in a fixed number of
queries."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from masip.accounts.models import Unit
from masip.training.models import AudienceType, Topic


def topics_of(unit: Unit) -> QuerySet[Topic, Any]:
    """The unit's topics in agenda order, with their audiences, trainers and the number of
    learning outcomes in use."""
    return (
        Topic.objects.filter(unit=unit)
        .annotate(outcome_count=Count("outcomes", filter=Q(outcomes__retired=False)))
        .prefetch_related("audiences", "trainers")
        .order_by("kind", "sequence", "title")
    )


def audience_rows(topic: Topic) -> list[tuple[str, Any]]:
    """(audience label, TopicAudience or None) for each audience type, in the fixed order."""
    by_type = {row.audience: row for row in topic.audiences.all()}
    return [(label, by_type.get(value)) for value, label in AudienceType.choices]
